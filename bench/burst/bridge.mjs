// A standalone bridge (the bundle the wheel ships) for the burst benchmarks, on a free port,
// with a temporary root, state dir and token.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/jupyter.mjs';
import { freePort, onCleanup, sleep, spawnManaged } from '../lib/proc.mjs';

export async function startBridge(burstConfig, env = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-bench-burst-'));
  const root = path.join(dir, 'root');
  mkdirSync(root);
  mkdirSync(path.join(dir, 'state'));
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  writeFileSync(path.join(dir, 'token'), token);
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      stateDir: path.join(dir, 'state'),
      logLevel: 'warn',
      burst: burstConfig
    })
  );
  const port = await freePort();
  const bundle = path.join(ROOT, 'mlinfn_lab', 'bridge', 'bridge.cjs');
  const proc = spawnManaged(
    'node',
    [
      bundle,
      '--listen',
      `127.0.0.1:${port}`,
      '--token-file',
      path.join(dir, 'token'),
      '--config',
      path.join(dir, 'config.json')
    ],
    { cwd: root, env: { ...process.env, ...env, MLINFN_ROOT_DIR: root } }
  );
  const stop = onCleanup(async ({ sync }) => {
    if (!sync) {
      await proc.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const headers = {
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json'
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`, { headers })).ok) {
        break;
      }
    } catch {
      // starting
    }
    if (i > 150) {
      throw new Error(`the bridge did not start:\n${proc.output()}`);
    }
    await sleep(200);
  }
  // node:http with one kept-alive connection: the client costs about what the anchor's pipe
  // does (fetch adds a millisecond or more per request, which is the client's, not ours).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method, p, body) =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        `${url}${p}`,
        {
          method,
          agent,
          headers:
            data === undefined
              ? { Authorization: headers.Authorization }
              : { ...headers, 'Content-Length': Buffer.byteLength(data) }
        },
        res => {
          const chunks = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode >= 400) {
              reject(new Error(`${method} ${p}: ${res.statusCode} ${text}`));
            } else {
              resolve(text ? JSON.parse(text) : undefined);
            }
          });
        }
      );
      req.on('error', reject);
      req.end(data);
    });
  return { url, root, dir, call, stop };
}

/** A one-cell notebook in the bridge's root. */
export function writeNotebook(root, name, source) {
  const nb = {
    cells: [
      {
        cell_type: 'code',
        id: 'cell-1',
        metadata: {},
        source,
        outputs: [],
        execution_count: null
      }
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  };
  writeFileSync(path.join(root, name), JSON.stringify(nb));
}
