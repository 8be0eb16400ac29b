// The resource monitor's benchmarks (`npm run bench -- monitor [--smoke]`), each measured side
// by side with its anchor in this one run on this machine. See bench/README.md.
//   monitor-sample-cpu       bridge sampler vs jupyter-resource-usage, CPU per sample
//   monitor-gpu-sample-cpu   our nvidia-smi loop vs systeminformation.graphics(), CPU per sample
//   monitor-lab-ready        JupyterLab time to ready with the suite vs without it
// Context lines start with `#`; the three `ratio` lines come last, in this order.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gpuSampleCpu } from './monitor/gpu-sample-cpu.mjs';
import { ROOT } from './lib/jupyter.mjs';
import { labReady } from './monitor/lab-ready.mjs';
import { runFigures } from './lib/figures.mjs';
import { sampleCpu } from './monitor/sample-cpu.mjs';

const BENCHES = [
  {
    name: 'monitor-sample-cpu',
    target: '<=0.5',
    anchor: 'jupyter-resource-usage',
    fn: sampleCpu
  },
  {
    name: 'monitor-gpu-sample-cpu',
    target: '<=0.1',
    anchor: 'systeminformation.graphics',
    fn: gpuSampleCpu
  },
  {
    name: 'monitor-lab-ready',
    target: '<=1.1',
    anchor: 'jupyterlab-without-suite',
    fn: labReady
  }
];

/** systeminformation (a root devDependency) must be there; install it (no save) if not. */
function ensureNodeAnchors(log) {
  const require = createRequire(path.join(ROOT, 'package.json'));
  try {
    require.resolve('systeminformation');
    return;
  } catch {
    // missing: install below
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const range = pkg.devDependencies?.systeminformation ?? 'latest';
  log(`# installing systeminformation@${range} (npm install --no-save)`);
  execFileSync(
    'npm',
    [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      `systeminformation@${range}`
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
  );
}

export async function run({ smoke = false } = {}) {
  const log = line => console.log(line);
  const started = Date.now();
  log(
    `# monitor benchmarks${smoke ? ' (smoke: tiny phases, rough figures)' : ''}: ${cpus().length} CPU(s) ` +
      `${cpus()[0]?.model ?? ''}, load average ${loadavg()
        .map(x => x.toFixed(2))
        .join(' ')} at start; node ${process.version}`
  );
  ensureNodeAnchors(log);
  await runFigures('monitor', BENCHES, { smoke, log, started });
}
