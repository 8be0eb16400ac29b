// The burst benchmarks (`npm run bench -- burst [--smoke]`), each measured side by side with
// its anchor in this one run on this machine, against the real HTCondor pool and Spark master
// of scripts/rigs/. See bench/README.md.
//   burst-submit-queued   bridge submit to queued vs a plain htcondor2 bindings submit
//   burst-spark-e2e       a trivial cell on Spark end to end vs a raw spark-submit
// Context lines start with `#`; the `ratio` lines come last, in this order.
import { cpus, loadavg } from 'node:os';
import { runFigures } from './lib/figures.mjs';
import { sparkE2e } from './burst/spark-e2e.mjs';
import { submitQueued } from './burst/submit-queued.mjs';

const BENCHES = [
  {
    name: 'burst-submit-queued',
    target: '<=1.2',
    anchor: 'htcondor2-bindings-submit',
    fn: submitQueued
  },
  {
    name: 'burst-spark-e2e',
    target: '<=1.2',
    anchor: 'raw-spark-submit',
    fn: sparkE2e
  }
];

export async function run({ smoke = false } = {}) {
  const log = line => console.log(line);
  const started = Date.now();
  log(
    `# burst benchmarks${smoke ? ' (smoke: one or two rounds, rough figures)' : ''}: ${cpus().length} CPU(s), ` +
      `load average ${loadavg()
        .map(x => x.toFixed(2))
        .join(' ')} at start; node ${process.version}`
  );
  await runFigures('burst', BENCHES, { smoke, log, started });
  // The rigs and the bridge are stopped by the cleanups registered with onCleanup.
  process.exit();
}
