// Process helpers shared by the benchmarks (moved here from bench/monitor/proc.mjs, which
// re-exports them): CPU time and RSS from /proc, process trees, free ports, child processes
// that are always cleaned up (their whole process group), small statistics.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports that fetch refuses (the Fetch standard's bad ports). */
const UNSAFE_PORTS = new Set(
  JSON.parse(
    readFileSync(
      new URL('../../scripts/unsafe-ports.json', import.meta.url),
      'utf8'
    )
  ).ports
);

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
export const CLK_TCK = 100;

/** The fields of /proc/<pid>/stat that we need, or null when the process is gone. */
export function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    pid,
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    utime: Number(rest[11]),
    stime: Number(rest[12]),
    cutime: Number(rest[13]),
    cstime: Number(rest[14]),
    starttime: Number(rest[19])
  };
}

/** CPU seconds of a process: its own utime+stime, plus its reaped children's with `reaped`. */
export function cpuSeconds(pid, { reaped = true } = {}) {
  const s = readStat(pid);
  if (!s) {
    return null;
  }
  const ticks = s.utime + s.stime + (reaped ? s.cutime + s.cstime : 0);
  return ticks / CLK_TCK;
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status), or null when gone. */
export function rssBytes(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** Every live process as {pid, ppid}. */
function allProcesses() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const s = readStat(Number(name));
    if (s) {
      out.push(s);
    }
  }
  return out;
}

/** The live descendants of `pid` (children, grandchildren...). */
export function descendants(pid) {
  const procs = allProcesses();
  const byParent = new Map();
  for (const p of procs) {
    if (!byParent.has(p.ppid)) {
      byParent.set(p.ppid, []);
    }
    byParent.get(p.ppid).push(p.pid);
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of byParent.get(todo.pop()) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** The command line of a process ('' when gone). */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * CPU seconds of a process and all its live descendants (each with its reaped children): a
 * long-lived child (an nvidia-smi loop) counts even before it is reaped.
 */
export function treeCpuSeconds(pid) {
  let total = cpuSeconds(pid);
  if (total === null) {
    return null;
  }
  for (const c of descendants(pid)) {
    total += cpuSeconds(c) ?? 0;
  }
  return total;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    });
    // fetch refuses the Fetch standard's bad ports (scripts/unsafe-ports.json).
    if (!UNSAFE_PORTS.has(port)) {
      return port;
    }
  }
}

export const sleep = ms => new Promise(r => setTimeout(r, ms));

export function median(values) {
  const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) {
    return NaN;
  }
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The p-th percentile (0-100) of `values`, nearest-rank on the sorted finite values. */
export function percentile(values, p) {
  const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) {
    return NaN;
  }
  const rank = Math.ceil((p / 100) * v.length);
  return v[Math.min(v.length - 1, Math.max(0, rank - 1))];
}

/** A number for a `#` line: 3 significant digits. */
export function fmt(x, digits = 3) {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : 'n/a';
}

/** What must be stopped before the benchmark exits, whatever happens. */
const cleanups = new Set();
let hooked = false;

/** Register a cleanup (sync or async); returns a function that runs it once and unregisters. */
export function onCleanup(fn) {
  if (!hooked) {
    hooked = true;
    const syncAll = () => {
      for (const f of [...cleanups]) {
        try {
          f({ sync: true });
        } catch {
          // best effort at exit
        }
      }
      cleanups.clear();
    };
    process.on('exit', syncAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        syncAll();
        process.exit(130);
      });
    }
  }
  cleanups.add(fn);
  let done = false;
  return async () => {
    if (done) {
      return;
    }
    done = true;
    cleanups.delete(fn);
    await fn({ sync: false });
  };
}

/** SIGKILL a list of pids (those still alive), ignoring errors. */
export function killAll(pids, signal = 'SIGKILL') {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone already
    }
  }
}

/**
 * Spawn a long-running child in its own process group, with its output kept (bounded) for
 * diagnosis. `stop()` sends SIGTERM to the group, waits up to `graceMs`, then SIGKILLs the group
 * and every descendant seen (kernels run in sessions of their own).
 */
export function spawnManaged(cmd, args, options = {}) {
  const { graceMs = 8000, ...spawnOptions } = options;
  const child = spawn(cmd, args, {
    ...spawnOptions,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const keep = chunk => {
    output += chunk;
    if (output.length > 64 * 1024) {
      output = output.slice(-32 * 1024);
    }
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise(resolve => child.on('exit', resolve));
  const known = new Set();
  const remember = () => {
    if (child.pid) {
      for (const d of descendants(child.pid)) {
        known.add(d);
      }
    }
  };
  const stopNow = ({ sync }) => {
    remember();
    if (sync) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      killAll(known);
      return;
    }
    return (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // gone
        }
        await Promise.race([exited, sleep(graceMs)]);
      }
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      killAll(known);
    })();
  };
  const stop = onCleanup(stopNow);
  return {
    child,
    pid: child.pid,
    exited,
    output: () => output,
    /** Record the current descendants, so that stop() reaches them even if re-parented. */
    remember,
    stop
  };
}
