// Jupyter servers for the benchmarks (moved here from bench/monitor/jupyter.mjs, which
// re-exports them): the suite's .venv (or another venv: an anchor's own), a fresh temporary
// config, data, runtime and root directory per server, a free port, a random token, and a
// process group that is always stopped (kernels and the bridge included).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, onCleanup, sleep, spawnManaged } from './proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const VENV = path.join(ROOT, '.venv');
export const PYTHON = path.join(VENV, 'bin', 'python');
/** A fresh temporary directory (removed by the caller's cleanup, or left in the OS temp). */
export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), `mlinfn-bench-${prefix}-`));
}

/** The suite must be installed (scripts/setup.sh) before anything here runs. */
export function checkSuite() {
  if (!existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: run scripts/setup.sh first`);
  }
}

/** A Python literal for a config file. */
const py = v =>
  JSON.stringify(v)
    .replace(/\btrue\b/g, 'True')
    .replace(/\bfalse\b/g, 'False')
    .replace(/\bnull\b/g, 'None');

/**
 * Start a Jupyter server (`jupyter-server` or `jupyter-lab`) with `config` (a map of
 * "Class.trait" to JSON values, or a function of the server's temporary directory returning
 * one) on a free port; resolves when /api/status answers. stop() removes the directory.
 * `venv` is the virtual environment whose `bin/<app>` runs (default: the suite's .venv).
 */
export async function startJupyter({
  app = 'jupyter-server',
  name,
  config = {},
  env = {},
  venv = VENV,
  timeoutMs = 120000
}) {
  if (venv === VENV) {
    checkSuite();
  } else if (!existsSync(path.join(venv, 'bin', app))) {
    throw new Error(`${path.join(venv, 'bin', app)} is missing`);
  }
  const dir = tempDir(name);
  const root = path.join(dir, 'root');
  for (const d of ['root', 'config', 'data', 'runtime', 'state']) {
    mkdirSync(path.join(dir, d), { recursive: true });
  }
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const settings = {
    'ServerApp.ip': '127.0.0.1',
    'ServerApp.port': port,
    'ServerApp.port_retries': 0,
    'ServerApp.open_browser': false,
    'ServerApp.root_dir': root,
    'IdentityProvider.token': token,
    ...(process.getuid?.() === 0 ? { 'ServerApp.allow_root': true } : {}),
    ...(typeof config === 'function' ? config(dir) : config)
  };
  const lines = ['c = get_config()  # noqa'];
  for (const [key, value] of Object.entries(settings)) {
    lines.push(`c.${key} = ${py(value)}`);
  }
  const configFile = path.join(dir, 'jupyter_bench_config.py');
  writeFileSync(configFile, lines.join('\n') + '\n');
  const childEnv = {
    ...process.env,
    JUPYTER_CONFIG_DIR: path.join(dir, 'config'),
    JUPYTER_DATA_DIR: path.join(dir, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'),
    MLINFN_STATE_DIR: path.join(dir, 'state'),
    PATH: `${path.join(venv, 'bin')}:${process.env.PATH}`,
    ...env
  };
  delete childEnv.JUPYTER_PATH;
  delete childEnv.JUPYTER_CONFIG_PATH;
  const server = spawnManaged(
    path.join(venv, 'bin', app),
    [`--config=${configFile}`],
    { cwd: root, env: childEnv }
  );
  // Registered after the server, so that at exit its processes are killed first.
  const removeDir = onCleanup(() =>
    rmSync(dir, { recursive: true, force: true })
  );
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null) {
      await server.stop();
      await removeDir();
      throw new Error(
        `${app} (${name}) exited early:\n${server.output().slice(-3000)}`
      );
    }
    try {
      const r = await fetch(`${url}api/status`, {
        headers: { Authorization: `token ${token}` },
        signal: AbortSignal.timeout(2000)
      });
      if (r.ok) {
        break;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      await removeDir();
      throw new Error(
        `${app} (${name}) did not answer within ${timeoutMs / 1000} s:\n${server.output().slice(-3000)}`
      );
    }
    await sleep(250);
  }
  return {
    name,
    url,
    token,
    pid: server.pid,
    dir,
    root,
    server,
    headers: { Authorization: `token ${token}` },
    /** GET/POST/DELETE relative to the base URL, JSON answer (or null). */
    async api(method, rel, body, timeout = 30000) {
      const r = await fetch(url + rel, {
        method,
        headers: {
          Authorization: `token ${token}`,
          ...(body ? { 'Content-Type': 'application/json' } : {})
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeout)
      });
      const text = await r.text();
      if (!r.ok) {
        throw new Error(`${method} ${rel}: ${r.status} ${text.slice(0, 300)}`);
      }
      return text ? JSON.parse(text) : null;
    },
    async stop() {
      server.remember();
      await server.stop();
      await removeDir();
    }
  };
}

/**
 * Ask a kernel for its kernel_info over its channels WebSocket, as a front end does first; the
 * REST state stays "starting" until someone does.
 */
async function kernelInfo(jupyter, id, timeoutMs) {
  const url = `${jupyter.url.replace(/^http/, 'ws')}api/kernels/${id}/channels?token=${jupyter.token}`;
  const ws = new WebSocket(url);
  const msgId = randomBytes(8).toString('hex');
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kernel ${id}: no kernel_info_reply`)),
        timeoutMs
      );
      ws.on('error', err => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('open', () => {
        ws.send(
          JSON.stringify({
            header: {
              msg_id: msgId,
              msg_type: 'kernel_info_request',
              username: 'bench',
              session: msgId,
              date: new Date().toISOString(),
              version: '5.3'
            },
            parent_header: {},
            metadata: {},
            content: {},
            channel: 'shell',
            buffers: []
          })
        );
      });
      ws.on('message', raw => {
        let msg;
        try {
          msg = JSON.parse(raw.toString());
        } catch {
          return;
        }
        if (
          msg.msg_type === 'kernel_info_reply' &&
          msg.parent_header?.msg_id === msgId
        ) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    ws.terminate();
  }
}

/** Start `n` python3 kernels through the REST API; resolves when each answered kernel_info. */
export async function startKernels(jupyter, n, timeoutMs = 90000) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const k = await jupyter.api(
      'POST',
      'api/kernels',
      { name: 'python3' },
      timeoutMs
    );
    ids.push(k.id);
  }
  for (const id of ids) {
    await kernelInfo(jupyter, id, timeoutMs);
  }
  jupyter.server.remember();
  return ids;
}
