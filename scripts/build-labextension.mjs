// Builds one labextension with @jupyter/builder against the pinned JupyterLab core
// (@jupyterlab/core-meta), so the build needs Node alone, no Python.
// Usage: node scripts/build-labextension.mjs <package dir> [--development] [--watch]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const [pkgDir, ...flags] = process.argv.slice(2);
if (!pkgDir) {
  console.error(
    'usage: build-labextension.mjs <package dir> [--development] [--watch]'
  );
  process.exit(2);
}
const builder = require.resolve('@jupyter/builder/lib/build-labextension.js');
const coreMeta = require.resolve('@jupyterlab/core-meta/core.package.json');
const args = [builder, '--core-package-file', coreMeta];
if (flags.includes('--development')) {
  args.push('--development');
}
if (flags.includes('--watch')) {
  args.push('--watch');
}
args.push(path.resolve(pkgDir));
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', code => process.exit(code ?? 1));
