// One phase of monitor-gpu-sample-cpu, the anchor's side: systeminformation's graphics(), the
// way a Node monitor built on it samples GPUs, called `samples` times at `intervalMs` with
// PATH = the stand-in (so its `nvidia-smi --query-gpu=...` and `lspci -vvv` get recorded-format
// output of the same GPUs). Prints this process's CPU time over the phase: its own utime+stime
// plus its reaped children's (every nvidia-smi, lspci and shell it spawned, all reaped before
// graphics() resolves). Five warm-up calls first (module caches, JIT), not counted, as our
// side lets its first five documents through uncounted.
// Usage: node gpu-si.cjs <samples> <intervalMs>
'use strict';
const { readFileSync } = require('node:fs');

const [samplesArg, intervalArg] = process.argv.slice(2);
const samples = Number(samplesArg);
const intervalMs = Number(intervalArg);
// Count the child processes systeminformation starts (direct launches; a shell pipeline's
// own children are not seen here), for the `#` line.
const childProcess = require('node:child_process');
let launches = 0;
for (const fn of [
  'exec',
  'execFile',
  'execSync',
  'execFileSync',
  'spawn',
  'spawnSync'
]) {
  const original = childProcess[fn];
  const counted = function (...args) {
    launches++;
    return original.apply(this, args);
  };
  // keep what hangs on the original (exec's util.promisify.custom)
  Object.defineProperties(counted, Object.getOwnPropertyDescriptors(original));
  childProcess[fn] = counted;
}
const si = require('systeminformation');

function ticks() {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    self: Number(f[11]) + Number(f[12]),
    children: Number(f[13]) + Number(f[14])
  };
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function main() {
  let warm = await si.graphics();
  for (let i = 1; i < 5; i++) {
    warm = await si.graphics();
  }
  const nvidia = warm.controllers.filter(c => c.memoryTotal !== undefined);
  const t0 = ticks();
  const wall0 = Date.now();
  const launches0 = launches;
  let devices = 0;
  for (let i = 0; i < samples; i++) {
    const due = wall0 + i * intervalMs;
    const now = Date.now();
    if (due > now) {
      await sleep(due - now);
    }
    const g = await si.graphics();
    devices = g.controllers.filter(c => c.memoryTotal !== undefined).length;
  }
  const t1 = ticks();
  console.log(
    JSON.stringify({
      samples,
      devices,
      controllers: warm.controllers.length,
      warmDevices: nvidia.length,
      wallMs: Date.now() - wall0,
      selfTicks: t1.self - t0.self,
      childTicks: t1.children - t0.children,
      launchesPerCall: (launches - launches0) / samples
    })
  );
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
