// One phase of monitor-gpu-sample-cpu, our side: the bridge's GPU monitor (server-bridge's
// compiled lib/metrics/gpu/monitor.js, as the sampler uses it) over ONE long-lived
// `nvidia-smi -q -x -lms <interval>` child, with PATH = the stand-in. Lets the loop start and
// its first documents through uncounted (as the anchor's side makes one uncounted warm-up
// call: in the bridge the loop runs for hours, and its start is not a per-sample cost), then
// takes `samples` readings (each stream-parsed in this process, then read() as the sampler
// does per tick), stops the loop, waits until it is reaped, and prints the CPU time of the
// counted readings: this process's utime+stime, and the loop's (one bash process: its CPU
// when reaped, less what it had used when counting began).
// Usage: node gpu-ours.cjs <server-bridge/lib dir> <samples> <intervalMs>
'use strict';
const { readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');

const [libDir, samplesArg, intervalArg] = process.argv.slice(2);
const samples = Number(samplesArg);
const intervalMs = Number(intervalArg);
const { GpuMonitor } = require(
  path.resolve(libDir, 'metrics', 'gpu', 'monitor.js')
);

function ticks() {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime: fields 14-17
  return {
    self: Number(f[11]) + Number(f[12]),
    children: Number(f[13]) + Number(f[14])
  };
}

function liveChildren() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const t = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid) {
        out.push(Number(name));
      }
    } catch {
      // gone
    }
  }
  return out;
}

const logger = { info() {}, warn() {}, debug() {} };

/** utime+stime of a live process, clock ticks (0 when gone). */
function liveTicks(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Documents let through before counting: the loop's start and the parser's JIT warm-up. */
const WARM_UP = 5;

async function main() {
  let got = 0;
  let devices = 0;
  let done;
  const finished = new Promise(resolve => (done = resolve));
  let t0 = null;
  let t1 = null;
  let wall0 = 0;
  let wall1 = 0;
  // GpuMonitor's public reading hook (the sampler only reads the latest reading per tick;
  // here each document is a sample): read() as the sampler does, once per document.
  const monitor = new GpuMonitor({
    config: { source: 'nvidia-smi', nvidiaSmiPath: 'nvidia-smi' },
    intervalMs,
    logger,
    onReading: () => {
      void monitor.read().then(snap => {
        devices = snap.reading ? snap.reading.devices.length : 0;
        got++;
        if (got === WARM_UP) {
          // Counting starts here: this process's CPU, and the loop's so far (it is reaped,
          // and its whole life added to our children's CPU, only at the end).
          t0 = ticks();
          t0.loop = liveChildren().reduce(
            (sum, pid) => sum + liveTicks(pid),
            0
          );
          wall0 = Date.now();
        } else if (got === WARM_UP + samples) {
          t1 = ticks();
          wall1 = Date.now();
          done();
        }
      });
    }
  });
  const start = ticks();
  monitor.start();
  const timeout = setTimeout(
    () => {
      console.error(
        `gpu-ours: only ${got}/${WARM_UP + samples} readings; state ${JSON.stringify(monitor.nvidiaSmi.state)}`
      );
      process.exit(1);
    },
    (WARM_UP + samples) * intervalMs * 4 + 20000
  );
  await finished;
  clearTimeout(timeout);
  monitor.stop();
  // Wait until the stand-in loop is reaped, so that its CPU is in our children's.
  for (let i = 0; i < 200 && liveChildren().length; i++) {
    await new Promise(r => setTimeout(r, 10));
  }
  const reaped = ticks();
  const left = liveChildren().length;
  console.log(
    JSON.stringify({
      samples: got - WARM_UP,
      devices,
      wallMs: wall1 - wall0,
      selfTicks: t1.self - t0.self,
      // the loop's CPU between t0 and its end (its whole life, less what it had used by t0)
      childTicks: reaped.children - t0.children - t0.loop,
      // not counted: start-up and warm-up (spawning the loop, the first documents)
      warmUpTicks: t0.self - start.self + t0.loop,
      spawns: monitor.nvidiaSmi.spawnCount,
      childrenLeft: left
    })
  );
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
