// The monitor benchmarks' Python anchors (jupyter-resource-usage in .cache/bench-site). The
// Jupyter-server helpers that used to live here moved to bench/lib/jupyter.mjs (shared with the
// other benchmarks) and are re-exported from here.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkSuite, PYTHON, ROOT } from '../lib/jupyter.mjs';

export * from '../lib/jupyter.mjs';

/** Where the Python anchors live: never .venv (see bench/requirements.txt). */
export const BENCH_SITE = path.join(ROOT, '.cache', 'bench-site');
const REQUIREMENTS = path.join(ROOT, 'bench', 'requirements.txt');

/**
 * Install the Python anchors into .cache/bench-site (pip --target, --no-deps), once per content
 * of bench/requirements.txt; idempotent and quick when nothing changed.
 */
export function ensurePythonAnchors(log) {
  checkSuite();
  const want = createHash('sha256')
    .update(readFileSync(REQUIREMENTS))
    .digest('hex')
    .slice(0, 16);
  const stampFile = path.join(BENCH_SITE, '.bench-stamp');
  const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
  const importable = () => {
    try {
      execFileSync(PYTHON, ['-c', 'import jupyter_resource_usage, psutil'], {
        env: { ...process.env, PYTHONPATH: BENCH_SITE },
        stdio: 'ignore'
      });
      return true;
    } catch {
      return false;
    }
  };
  if (have.trim() === want && importable()) {
    return;
  }
  log(
    `# installing the Python anchors into ${path.relative(ROOT, BENCH_SITE)} (pip --target)`
  );
  mkdirSync(BENCH_SITE, { recursive: true });
  execFileSync(
    PYTHON,
    [
      '-m',
      'pip',
      'install',
      '-q',
      '--disable-pip-version-check',
      '--no-deps',
      '--upgrade',
      '--target',
      BENCH_SITE,
      '-r',
      REQUIREMENTS
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  );
  if (!importable()) {
    throw new Error(`the Python anchors in ${BENCH_SITE} cannot be imported`);
  }
  writeFileSync(stampFile, want);
}
