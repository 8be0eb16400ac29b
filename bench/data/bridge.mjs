// The bridge for the data benchmark: the esbuild bundle in standalone mode on a free port, with
// a `data` section pointing at the rig; a tiny authenticated JSON client.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandaloneBridge } from '../lib/bridge.mjs';
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
  const { url, token, dir, proc } = await startStandaloneBridge({
    bundle: buildBundle(),
    config: { data },
    prefix: 'mlinfn-bench-bridge-',
    envFor: dir => ({ PATH: process.env.PATH, HOME: dir, ...env })
  });
  const json = async (method, p, body) => {
    const res = await fetch(url + p, {
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
  return { json, stop: proc.stop, dir };
}
