// collab-propagation: how long an edit takes to reach the other collaborators of a room.
//
// N clients (YNotebook + y-websocket, all in this process) open one small notebook; the first
// types one character at a time at the end of cell 0's source at a fixed rate; every other
// client timestamps each character's arrival in an observer on its own copy of that cell's
// source (the update has then been received, decoded and applied). Latency = arrival − send,
// both performance.now() of this process. The first `warmup` characters are not counted. A
// delivery still missing `drainMs` after the last send counts as infinitely late (so a p99 is
// "more than" the bound when over 1 % are missing), and the run ends there.
import { cpuSeconds, median, sleep, treeCpuSeconds } from '../lib/proc.mjs';
import { Client, destroyAll } from './client.mjs';
import { smallNotebook } from './notebook.mjs';
import { writeToRoot } from './servers.mjs';

const SMALL_CELLS = 5;

/**
 * One run: `n` clients of `target` in a fresh room (a new file `rel` in `server`'s root).
 * Returns {latencies (ms, counted updates × (n-1)), missing, cpu: {...}}.
 */
export async function propagationRun({
  target,
  server,
  ours,
  rel,
  n,
  updates,
  warmup,
  intervalMs,
  drainMs = 30000,
  connectTimeoutMs = 60000
}) {
  writeToRoot(server, rel, smallNotebook(SMALL_CELLS));
  const clients = [];
  try {
    for (let i = 0; i < n; i++) {
      clients.push(new Client(await target.open(rel)));
    }
    await Promise.all(
      clients.map((c, i) =>
        c.whenCells(SMALL_CELLS, connectTimeoutMs, `client ${i + 1}/${n}`)
      )
    );
    // Let the first awareness exchange (every client's state to every other) pass.
    await sleep(Math.min(3000, 500 + n * 20));

    const total = warmup + updates;
    const sent = new Float64Array(total).fill(NaN);
    const writer = clients[0];
    const text = writer.nb.cells[0].ysource;
    const base = text.length;
    const latencies = [];
    const seen = new Array(n).fill(0);
    const observers = [];
    for (let i = 1; i < n; i++) {
      const ytext = clients[i].nb.cells[0].ysource;
      if (ytext.length !== base) {
        throw new Error(`client ${i + 1} holds another cell 0 than the writer`);
      }
      const observer = () => {
        const now = performance.now();
        const have = ytext.length - base;
        while (seen[i] < have) {
          const k = seen[i]++;
          if (k >= warmup) {
            latencies.push(now - sent[k]);
          }
        }
      };
      ytext.observe(observer);
      observers.push([ytext, observer]);
    }
    const cpu0 = snapshotCpu(server, ours);
    const in0 = clients.map(c => c.incoming.messages);
    const t0 = performance.now();
    for (let k = 0; k < total; k++) {
      const due = t0 + k * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) {
        await sleep(wait);
      }
      sent[k] = performance.now();
      text.insert(base + k, String.fromCharCode(97 + (k % 26)));
    }
    // Wait for every reader to have every character (bounded).
    const deadline = performance.now() + drainMs;
    while (seen.slice(1).some(s => s < total) && performance.now() < deadline) {
      await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = snapshotCpu(server, ours);
    // What each reader received meanwhile: the updates, plus awareness and the server's own.
    const readerMessages = median(
      clients.slice(1).map((c, i) => c.incoming.messages - in0[i + 1])
    );
    for (const [ytext, observer] of observers) {
      ytext.unobserve(observer);
    }
    // Counted deliveries that never came: infinitely late.
    let missing = 0;
    let behind = 0;
    for (let i = 1; i < n; i++) {
      const lost = total - Math.max(seen[i], warmup);
      if (lost > 0) {
        missing += lost;
        behind++;
        for (let j = 0; j < lost; j++) {
          latencies.push(Infinity);
        }
      }
    }
    const closes = [...new Set(clients.flatMap(c => c.closes))];
    return {
      latencies,
      missing,
      behind,
      readerMessages,
      closes,
      seconds,
      cpu: {
        server: cpu1.server - cpu0.server,
        bridge: ours ? cpu1.bridge - cpu0.bridge : 0,
        harness: cpu1.harness - cpu0.harness
      }
    };
  } finally {
    destroyAll(clients);
  }
}

/** CPU seconds so far: the Jupyter server, our bridge (with its children), this process. */
function snapshotCpu(server, ours) {
  const u = process.cpuUsage();
  return {
    server: cpuSeconds(server.pid) ?? NaN,
    bridge: ours ? (treeCpuSeconds(ours.bridgePid) ?? NaN) : 0,
    harness: (u.user + u.system) / 1e6
  };
}

/** Nearest-rank percentile that keeps Infinity (a delivery that never came). */
function rank(sorted, p) {
  if (!sorted.length) {
    return NaN;
  }
  const r = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, r - 1))];
}

/** p50, p99 and max of a run's latencies (Infinity where deliveries were missing). */
export function summarize(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: latencies.length,
    p50: rank(sorted, 50),
    p99: rank(sorted, 99),
    max: rank(sorted, 100)
  };
}

/**
 * Wait until the given processes are quiet (together under `threshold` of a CPU over 500 ms),
 * at most `maxMs`: a server still draining a backlog must not slow the next run. Resolves to
 * the seconds waited.
 */
export async function quiesce(pids, { threshold = 0.1, maxMs = 60000 } = {}) {
  const t0 = Date.now();
  const cpu = () =>
    pids.reduce((sum, pid) => sum + (treeCpuSeconds(pid) ?? 0), 0);
  for (;;) {
    const c0 = cpu();
    await sleep(500);
    if ((cpu() - c0) / 0.5 < threshold || Date.now() - t0 > maxMs) {
      return (Date.now() - t0) / 1000;
    }
  }
}
