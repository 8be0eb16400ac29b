// monitor-gpu-sample-cpu: CPU time per GPU sample of our path (server-bridge's GpuMonitor over
// one long-lived `nvidia-smi -q -x -lms N` child, stream-parsed) vs systeminformation's
// graphics() (nvidia-smi --query-gpu=... per call, plus its lspci and other probes), both
// against the same stand-in nvidia-smi (gpu-standin.mjs: what it models is printed as a `#`
// line), at the same rate, each phase in a fresh Node process (gpu-ours.cjs, gpu-si.cjs) that
// reports its own CPU plus its children's from /proc, after 5 uncounted warm-up samples on
// each side. Phases alternate; the ratio is the median of the rounds'.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeGpuStandIn, MODEL, XML_FIXTURE } from './gpu-standin.mjs';
import { ROOT, tempDir } from './jupyter.mjs';
import { CLK_TCK, fmt, median, onCleanup } from '../lib/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const LIB = path.join(ROOT, 'server-bridge', 'lib');

function phase(script, args, env, timeoutMs) {
  const out = execFileSync(
    process.execPath,
    [path.join(here, script), ...args],
    {
      env,
      cwd: ROOT,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  return JSON.parse(out.toString().trim().split('\n').pop());
}

export async function gpuSampleCpu({ smoke, log }) {
  if (!existsSync(path.join(LIB, 'metrics', 'gpu', 'monitor.js'))) {
    throw new Error(
      `${LIB} has no compiled GPU monitor: run scripts/setup.sh (or npm run build)`
    );
  }
  const require = createRequire(path.join(ROOT, 'package.json'));
  const siVersion = require('systeminformation/package.json').version;
  const rounds = smoke ? 1 : 5;
  const samples = smoke ? 10 : 100;
  const intervalMs = 100;
  const dir = tempDir('gpu');
  const cleanup = onCleanup(() =>
    rmSync(dir, { recursive: true, force: true })
  );
  try {
    const { bin, gpus } = makeGpuStandIn(dir);
    // PATH is the stand-in alone: node is started by its absolute path.
    const env = { ...process.env, PATH: bin, LC_ALL: 'C' };
    const timeoutMs = samples * intervalMs * 10 + 60000;
    log(
      `# monitor-gpu-sample-cpu: the stand-in replaces a real GPU: recorded-format output of ${gpus} H100s ` +
        `(${path.relative(ROOT, XML_FIXTURE)} for -q -x -lms; the same GPUs as CSV for --query-gpu; an lspci -vvv of that machine), read by both sides`
    );
    log(`#   what the stand-in models: ${MODEL}`);
    const rows = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['ours', 'si'] : ['si', 'ours'];
      const row = {};
      for (const side of order) {
        row[side] =
          side === 'ours'
            ? phase(
                'gpu-ours.cjs',
                [LIB, String(samples), String(intervalMs)],
                env,
                timeoutMs
              )
            : phase(
                'gpu-si.cjs',
                [String(samples), String(intervalMs)],
                env,
                timeoutMs
              );
      }
      for (const side of ['ours', 'si']) {
        if (row[side].devices !== gpus) {
          throw new Error(
            `${side}: ${row[side].devices} GPUs read, ${gpus} expected`
          );
        }
      }
      const per = x => (x.selfTicks + x.childTicks) / CLK_TCK / x.samples;
      row.ratio = per(row.ours) / per(row.si);
      row.oursMs = per(row.ours) * 1000;
      row.siMs = per(row.si) * 1000;
      rows.push(row);
      const ms = (x, t) => `${fmt((t / CLK_TCK / x.samples) * 1000)} ms`;
      log(
        `#   round ${r + 1}: ours ${fmt(row.oursMs)} ms/sample (in-process ${ms(row.ours, row.ours.selfTicks)} + nvidia-smi loop ${ms(row.ours, row.ours.childTicks)}, ${row.ours.spawns} spawn), ` +
          `systeminformation ${fmt(row.siMs)} ms/sample (in-process ${ms(row.si, row.si.selfTicks)} + children ${ms(row.si, row.si.childTicks)}, ${row.si.launchesPerCall} child processes launched per call); ratio ${fmt(row.ratio)}`
      );
    }
    log(
      `#   ${rounds} round(s) of ${samples} samples each side at ${intervalMs} ms, ${gpus} GPUs read by both; systeminformation ${siVersion}; medians: ` +
        `ours ${fmt(median(rows.map(r => r.oursMs)))} ms, systeminformation ${fmt(median(rows.map(r => r.siMs)))} ms per sample`
    );
    log(
      "#   not counted on either side: 5 warm-up samples (systeminformation: its first 5 calls; ours: the loop's start and its first 5 documents, " +
        `${fmt(median(rows.map(r => (r.ours.warmUpTicks / CLK_TCK) * 1000)))} ms in all: a once-per-loop cost, the bridge's loop runs for hours)`
    );
    return { ratio: median(rows.map(r => r.ratio)) };
  } finally {
    await cleanup();
  }
}
