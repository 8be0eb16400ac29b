// The burst benchmarks (`npm run bench -- burst [--smoke]`), each measured side by side with
// its anchor in this one run on this machine, against the real HTCondor pool and Spark master
// of scripts/rigs/. See bench/README.md.
//   burst-submit-queued   bridge submit to queued vs a plain htcondor2 bindings submit
//   burst-spark-e2e       a trivial cell on Spark end to end vs a raw spark-submit
// Context lines start with `#`; the `ratio` lines come last, in this order.
import { cpus, loadavg } from 'node:os';
import { fmt } from './lib/proc.mjs';
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
  const lines = [];
  const failures = [];
  for (const b of BENCHES) {
    const t0 = Date.now();
    try {
      const { ratio } = await b.fn({ smoke, log });
      if (!Number.isFinite(ratio)) {
        throw new Error(`no finite ratio (${ratio})`);
      }
      lines.push(
        `ratio ${b.name} ${fmt(ratio)} target ${b.target} vs ${b.anchor}`
      );
    } catch (err) {
      failures.push(b.name);
      log(
        `# ${b.name} FAILED: ${(err?.stack ?? String(err)).split('\n').join('\n#   ')}`
      );
    }
    log(`#   (${b.name} took ${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  log(
    `# done in ${Math.round((Date.now() - started) / 1000)} s; load average ${loadavg()
      .map(x => x.toFixed(2))
      .join(' ')} at the end`
  );
  for (const l of lines) {
    console.log(l);
  }
  if (failures.length) {
    console.error(`burst benchmarks failed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
  // The rigs and the bridge are stopped by the cleanups registered with onCleanup.
  process.exit();
}
