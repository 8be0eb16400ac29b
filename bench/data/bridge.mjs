// The bridge for the data benchmark: the esbuild bundle in standalone mode on a free port, with
// a `data` section pointing at the rig; a tiny authenticated JSON client.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, sleep, spawnManaged } from '../lib/proc.mjs';
import { ROOT } from '../lib/jupyter.mjs';

let bundle;

/** Build the bundle once per run (a temporary file, never the shipped one). */
function buildBundle() {
  if (!bundle) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-bench-data-'));
    bundle = path.join(dir, 'bridge.cjs');
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'server-bridge', 'scripts', 'bundle.mjs'),
        '--outfile',
        bundle
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit']
      }
    );
  }
  return bundle;
}

/** Start a bridge with this data section; resolves to a client. */
export async function startBridge(data, env) {
  const file = buildBundle();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-bench-bridge-'));
  const token = 'bench-' + Math.random().toString(36).slice(2);
  writeFileSync(path.join(dir, 'token'), token);
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      stateDir: path.join(dir, 'state'),
      logLevel: 'warn',
      data
    })
  );
  const port = await freePort();
  const proc = spawnManaged(
    process.execPath,
    [
      file,
      '--listen',
      `127.0.0.1:${port}`,
      '--token-file',
      path.join(dir, 'token'),
      '--config',
      path.join(dir, 'config.json')
    ],
    { env: { PATH: process.env.PATH, HOME: dir, ...env } }
  );
  const base = `http://127.0.0.1:${port}`;
  const json = async (method, p, body) => {
    const res = await fetch(base + p, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
      },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  for (let i = 0; ; i++) {
    try {
      if ((await json('GET', '/healthz')).status === 200) {
        break;
      }
    } catch {
      // not yet
    }
    if (i > 400 || proc.child.exitCode !== null) {
      throw new Error(`the bridge did not start:\n${proc.output()}`);
    }
    await sleep(25);
  }
  return { json, stop: proc.stop, dir };
}
