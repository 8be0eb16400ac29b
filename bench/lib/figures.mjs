// The loop every benchmark file runs: each figure in turn, its failure logged without stopping
// the others, then the `ratio` lines last, and a non-zero exit code when a figure failed.
import { loadavg } from 'node:os';
import { fmt } from './proc.mjs';

const load = () =>
  loadavg()
    .map(x => x.toFixed(2))
    .join(' ');

/**
 * Run `benches` ({name, target, anchor, fn({smoke, log}) → {ratio}}) in order; print the
 * ratio lines at the end. Returns the names of the figures that failed.
 */
export async function runFigures(feature, benches, { smoke, log, started }) {
  const lines = [];
  const failures = [];
  for (const b of benches) {
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
    `# done in ${Math.round((Date.now() - started) / 1000)} s; load average ${load()} at the end`
  );
  for (const l of lines) {
    console.log(l);
  }
  if (failures.length) {
    console.error(`${feature} benchmarks failed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
  return failures;
}
