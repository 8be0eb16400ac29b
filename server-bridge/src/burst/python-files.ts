/**
 * burst: where the Python side lives (`mlinfn_lab/burst/`: runner.py, condor_helper.py) and
 * which Python runs it. The bundled bridge sits in `mlinfn_lab/bridge/`, so the files are one
 * folder over; from the sources (tests) they are under the repository's `mlinfn_lab/`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

let found: string | undefined;

/** The folder holding runner.py and condor_helper.py. */
export function pythonFilesDir(): string {
  if (found) {
    return found;
  }
  const candidates = [
    process.env.MLINFN_BURST_PYTHON_DIR,
    path.resolve(__dirname, '..', 'burst'),
    path.resolve(__dirname, '..', '..', '..', 'mlinfn_lab', 'burst'),
    path.resolve(__dirname, '..', '..', '..', '..', 'mlinfn_lab', 'burst')
  ].filter((c): c is string => !!c);
  // Once, at module start: not in a request path.
  found = candidates.find(c => existsSync(path.join(c, 'runner.py')));
  if (!found) {
    throw new Error(
      `burst: runner.py not found (looked in ${candidates.join(', ')})`
    );
  }
  return found;
}

let python: string | undefined;

/**
 * The Python that runs helpers and local runners when a backend names none:
 * $MLINFN_BURST_PYTHON, else the Python of the environment mlinfn_lab is installed in (the
 * lab's own: the bundle sits in `<prefix>/lib/pythonX.Y/site-packages/mlinfn_lab/bridge/`),
 * else `python3` on the PATH.
 */
export function defaultPython(): string {
  if (python) {
    return python;
  }
  const fromEnv = process.env.MLINFN_BURST_PYTHON;
  const m =
    /^(.*)\/lib\/python3[.0-9]*\/site-packages\/mlinfn_lab\/bridge$/.exec(
      __dirname
    );
  const installed = m ? path.join(m[1], 'bin', 'python3') : undefined;
  // Once, at first use (module start): not in a request path.
  python =
    fromEnv || (installed && existsSync(installed) ? installed : 'python3');
  return python;
}
