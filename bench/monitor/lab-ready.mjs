// monitor-lab-ready: JupyterLab's time to ready with the suite vs without it. Two jupyter-lab
// servers from the same .venv with the same configuration, but for the suite:
//   with     every installed labextension (the @mlinfn ones included) and the mlinfn_lab server
//            extension, as installed
//   without  LabApp.labextensions_path pointing at a directory that holds every installed
//            labextension except @mlinfn/* (so their code is not even downloaded: JupyterLab's
//            disabledExtensions would still fetch it), and jpserver_extensions mlinfn_lab: False
// Both use a labextensions directory of links built the same way, expose_app_in_browser, no
// news or update checks. Loads alternate between the two (the order flips each pair), each in a
// fresh chromium with a fresh user-data-dir (a cold cache); time to ready = performance.now()
// (from the start of navigation) when `window.jupyterapp.restored` resolves.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PYTHON, ROOT, startJupyter, tempDir } from '../lib/jupyter.mjs';
import {
  cmdline,
  descendants,
  fmt,
  killAll,
  median,
  onCleanup
} from '../lib/proc.mjs';

const CHROMIUM = process.env.MLINFN_BENCH_CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

/** Installed federated labextensions: [{name, dir}] (first one found on the path wins). */
function installedLabextensions() {
  const out = execFileSync(
    PYTHON,
    [
      '-c',
      'from jupyter_core.paths import jupyter_path; print("\\n".join(jupyter_path("labextensions")))'
    ],
    {
      env: {
        ...process.env,
        JUPYTER_PATH: '',
        JUPYTER_DATA_DIR: path.join(ROOT, '.cache', 'no-such-dir')
      }
    }
  )
    .toString()
    .trim()
    .split('\n');
  const found = new Map();
  const isExt = d => {
    try {
      return statSync(path.join(d, 'package.json')).isFile();
    } catch {
      return false;
    }
  };
  for (const base of out) {
    let entries;
    try {
      entries = readdirSync(base);
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = path.join(base, e);
      if (e.startsWith('@')) {
        for (const sub of readdirSync(full)) {
          const name = `${e}/${sub}`;
          if (!found.has(name) && isExt(path.join(full, sub))) {
            found.set(name, path.join(full, sub));
          }
        }
      } else if (!found.has(e) && isExt(full)) {
        found.set(e, full);
      }
    }
  }
  return [...found].map(([name, dir]) => ({ name, dir }));
}

/** A labextensions directory of links to `exts`. */
function linkDir(dir, exts) {
  for (const { name, dir: target } of exts) {
    const link = path.join(dir, name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(target, link);
  }
  return dir;
}

function labConfig(extDir, withSuite, dir) {
  return {
    'ServerApp.jpserver_extensions': { mlinfn_lab: withSuite },
    'LabApp.labextensions_path': [extDir],
    'LabApp.expose_app_in_browser': true,
    'LabApp.news_url': null,
    'LabApp.check_for_updates_class':
      'jupyterlab.handlers.announcements.NeverCheckForUpdate',
    'LabApp.user_settings_dir': path.join(dir, 'settings'),
    'LabApp.workspaces_dir': path.join(dir, 'workspaces')
  };
}

/** One load in a fresh browser: {readyMs, wallMs, mlinfnPlugins, errors}. */
async function load(chromium, server, timeoutMs) {
  const profile = tempDir('chromium');
  let context;
  const cleanup = onCleanup(async ({ sync }) => {
    if (!sync && context) {
      await context.close().catch(() => {});
    }
    // Whatever is left of this browser (an interrupted run): kill it before removing its profile.
    killAll(descendants(process.pid).filter(p => cmdline(p).includes(profile)));
    rmSync(profile, { recursive: true, force: true });
  });
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      timeout: 60000
    });
    await context.addInitScript(() => {
      let app;
      Object.defineProperty(window, 'jupyterapp', {
        configurable: true,
        get: () => app,
        set: v => {
          app = v;
          v.restored.then(() => {
            window.__benchRestoredAt = performance.now();
          });
        }
      });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', e => errors.push(String(e.message ?? e)));
    const t0 = Date.now();
    await page.goto(`${server.url}lab?token=${server.token}`, {
      waitUntil: 'commit',
      timeout: timeoutMs
    });
    await page.waitForFunction(
      () => window.__benchRestoredAt !== undefined,
      null,
      {
        timeout: timeoutMs,
        polling: 50
      }
    );
    const wallMs = Date.now() - t0;
    const info = await page.evaluate(() => ({
      readyMs: window.__benchRestoredAt,
      mlinfnPlugins: window.jupyterapp
        .listPlugins()
        .filter(
          id =>
            id.startsWith('@mlinfn/') && window.jupyterapp.isPluginActivated(id)
        ).length
    }));
    return { ...info, wallMs, errors };
  } finally {
    await cleanup();
  }
}

export async function labReady({ smoke, log }) {
  const require = createRequire(path.join(ROOT, 'package.json'));
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch {
    ({ chromium } = require('@playwright/test'));
  }
  const pairs = smoke ? 1 : 9;
  const timeoutMs = 120000;

  const exts = installedLabextensions();
  const suite = exts.filter(e => e.name.startsWith('@mlinfn/'));
  const others = exts.filter(e => !e.name.startsWith('@mlinfn/'));
  if (!suite.length) {
    throw new Error(
      'no @mlinfn labextension is installed in .venv: run scripts/setup.sh'
    );
  }
  const linksRoot = tempDir('labext');
  const stopLinks = onCleanup(() =>
    rmSync(linksRoot, { recursive: true, force: true })
  );
  const withDir = linkDir(path.join(linksRoot, 'with'), exts);
  const withoutDir = linkDir(path.join(linksRoot, 'without'), others);
  mkdirSync(withDir, { recursive: true });
  mkdirSync(withoutDir, { recursive: true });

  const servers = {};
  try {
    servers.with = await startJupyter({
      app: 'jupyter-lab',
      name: 'lab-with',
      config: dir => labConfig(withDir, true, dir)
    });
    servers.without = await startJupyter({
      app: 'jupyter-lab',
      name: 'lab-without',
      config: dir => labConfig(withoutDir, false, dir)
    });
    // What each server offers, from its page config.
    for (const side of ['with', 'without']) {
      const html = await (
        await fetch(`${servers[side].url}lab?token=${servers[side].token}`)
      ).text();
      const m =
        /<script id="jupyter-config-data" type="application\/json">([\s\S]*?)<\/script>/.exec(
          html
        );
      const pc = m ? JSON.parse(m[1]) : {};
      servers[side].federated = (pc.federated_extensions ?? []).map(
        e => e.name
      );
      const ticket = await fetch(`${servers[side].url}mlinfn/ticket`, {
        headers: servers[side].headers
      });
      servers[side].serverExt = ticket.status === 200;
    }
    log(
      `# monitor-lab-ready: with the suite: labextensions [${servers.with.federated.join(', ')}], mlinfn_lab server extension ${servers.with.serverExt ? 'on' : 'OFF?'}`
    );
    log(
      '#   without: LabApp.labextensions_path = a directory of links to every installed labextension except @mlinfn/* ' +
        `([${servers.without.federated.join(', ')}]) and ServerApp.jpserver_extensions mlinfn_lab=False ` +
        `(mlinfn/ticket ${servers.without.serverExt ? 'still answers?!' : 'absent'}); otherwise the same config`
    );
    if (
      servers.without.federated.some(n => n.startsWith('@mlinfn/')) ||
      servers.without.serverExt
    ) {
      throw new Error('the "without" server still has part of the suite');
    }

    if (!smoke) {
      // One warm-up load each, not counted (server-side template and settings caches).
      await load(chromium, servers.with, timeoutMs);
      await load(chromium, servers.without, timeoutMs);
    }
    const results = { with: [], without: [] };
    const ratios = [];
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
      const pair = {};
      for (const side of order) {
        pair[side] = await load(chromium, servers[side], timeoutMs);
        results[side].push(pair[side]);
      }
      ratios.push(pair.with.readyMs / pair.without.readyMs);
      log(
        `#   pair ${i + 1}: with ${fmt(pair.with.readyMs, 4)} ms (${pair.with.mlinfnPlugins} @mlinfn plugins active), ` +
          `without ${fmt(pair.without.readyMs, 4)} ms (${pair.without.mlinfnPlugins}); ratio ${fmt(pair.with.readyMs / pair.without.readyMs)}`
      );
    }
    const errs = side => results[side].reduce((n, r) => n + r.errors.length, 0);
    log(
      `#   medians: with ${fmt(median(results.with.map(r => r.readyMs)), 4)} ms, without ${fmt(median(results.without.map(r => r.readyMs)), 4)} ms ` +
        `(navigation start to app.restored, fresh chromium profile each load, ${pairs} pair(s)${smoke ? '' : ' after one warm-up load each'}); ` +
        `page errors: with ${errs('with')}, without ${errs('without')}`
    );
    log(
      `#   ratio = median of the pairs' ratios; the ratio of the two medians is ${fmt(
        median(results.with.map(r => r.readyMs)) /
          median(results.without.map(r => r.readyMs))
      )}`
    );
    return { ratio: median(ratios) };
  } finally {
    await Promise.all(Object.values(servers).map(s => s.stop()));
    await stopLinks();
  }
}
