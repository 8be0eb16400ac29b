// Bundles the bridge (src/cli.ts, with its dependencies and schemas) into the single file the
// Python wheel ships: mlinfn_lab/bridge/bridge.cjs, run by jupyter-server-proxy as
// `node bridge.cjs --unix-socket ...`. `--outfile F` writes elsewhere (the tests do).
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const flag = process.argv.indexOf('--outfile');
const outfile =
  flag >= 0
    ? path.resolve(process.argv[flag + 1])
    : path.resolve(root, '..', 'mlinfn_lab', 'bridge', 'bridge.cjs');

await build({
  entryPoints: [path.join(root, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning'
});
console.log(`bundle: ${path.relative(process.cwd(), outfile)}`);
