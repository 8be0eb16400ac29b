// A standalone bridge (the bundle the wheel ships) for the burst benchmarks, on a free port,
// with a temporary root, state dir and token.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib/jupyter.mjs';
import { startStandaloneBridge } from '../lib/bridge.mjs';
import { onCleanup } from '../lib/proc.mjs';

export async function startBridge(burstConfig, env = {}) {
  const { url, token, dir, proc } = await startStandaloneBridge({
    bundle: path.join(ROOT, 'mlinfn_lab', 'bridge', 'bridge.cjs'),
    config: { burst: burstConfig },
    prefix: 'mlinfn-bench-burst-',
    envFor: dir => ({
      ...process.env,
      ...env,
      MLINFN_ROOT_DIR: path.join(dir, 'root')
    }),
    cwd: dir => {
      mkdirSync(path.join(dir, 'root'));
      return path.join(dir, 'root');
    }
  });
  const root = path.join(dir, 'root');
  const stop = onCleanup(async ({ sync }) => {
    if (!sync) {
      await proc.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const headers = {
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json'
  };
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
