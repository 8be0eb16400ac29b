// The HTCondor pool and the Spark master for the burst benchmarks: started under a lease (this
// process's pid) with the rigs' own scripts, stopped at the end unless another lease holds them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../lib/jupyter.mjs';
import { onCleanup } from '../lib/proc.mjs';

function script(name, args, timeoutMs = 600000) {
  return execFileSync(path.join(ROOT, 'scripts', 'rigs', name), args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe']
  });
}

function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) {
      env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
    }
  }
  return env;
}

/** Start a rig (`htcondor.sh` or `spark.sh`); resolves to its env. */
export function startRig(name, log) {
  const lease = String(process.pid);
  const t0 = Date.now();
  script(name, ['start', '--lease', lease]);
  log(`# ${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  onCleanup(() => {
    try {
      script(name, ['stop', '--lease', lease], 180000);
    } catch {
      // best effort
    }
  });
  return parseEnv(script(name, ['env'], 60000));
}
