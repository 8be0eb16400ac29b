// collab-room-memory: what one open room with the big notebook costs the server in resident
// memory. Ours: the bridge process (the rooms live there); theirs: the Jupyter server process
// (its rooms live there). Both reached as users reach them, before any other phase:
//   1. warm-up: a small notebook opened and synced by one client on each side (code loaded,
//      JIT warm, the bridge's file agent started), its client closed
//   2. baseline: after `settleMs`, the median of RSS samples taken over 2 s
//   3. `rooms` copies of the big notebook opened one after the other, each by one client that
//      stays connected (the room stays open), each synced in full
//   4. settle `settleMs` (V8's memory reducer runs a few seconds after allocation stops;
//      CPython frees by reference counting), then the median of RSS samples over 2 s again
// The figure is (after − baseline) / rooms. RSS from /proc/<pid>/status (VmRSS).
import { descendants, median, rssBytes, sleep } from '../lib/proc.mjs';
import { Client, destroyAll } from './client.mjs';
import { smallNotebook } from './notebook.mjs';
import { writeToRoot } from './servers.mjs';

const MB = 1024 * 1024;

async function sampleRss(pids, settleMs, ms = 2000) {
  await sleep(settleMs);
  const samples = pids.map(() => []);
  const until = Date.now() + ms;
  do {
    pids.forEach((pid, i) => samples[i].push(rssBytes(pid) ?? NaN));
    await sleep(250);
  } while (Date.now() < until);
  return samples.map(s => median(s));
}

/** Sum of the RSS of a process's descendants (our bridge's file agent). */
function childrenRss(pid) {
  return descendants(pid).reduce((sum, p) => sum + (rssBytes(p) ?? 0), 0);
}

/**
 * Measure both sides; returns {ours: {bridge, proxyServer, children}, theirs: {server}, rooms}
 * in MiB per room, plus the baselines.
 */
export async function roomMemory({
  ours,
  theirs,
  targets,
  notebook,
  rooms,
  settleMs
}) {
  const clients = [];
  try {
    // 1. warm-up, both sides, through the users' path
    for (const [name, server] of [
      ['ours-proxy', ours],
      ['theirs', theirs]
    ]) {
      const rel = writeToRoot(server, 'mem-warmup.ipynb', smallNotebook(5));
      const c = new Client(await targets[name].open(rel));
      clients.push(c);
      await c.whenCells(5, 60000, `${name} warm-up`);
    }
    destroyAll(clients);
    await sleep(500);

    // 2. baselines
    const pids = () => [ours.bridgePid, ours.pid, theirs.pid];
    const [bridge0, oursServer0, theirs0] = await sampleRss(pids(), settleMs);
    const children0 = childrenRss(ours.bridgePid);

    // 3. rooms, kept open
    for (let k = 0; k < rooms; k++) {
      for (const [name, server] of [
        ['ours-proxy', ours],
        ['theirs', theirs]
      ]) {
        const rel = writeToRoot(server, `mem-${k}.ipynb`, notebook.text);
        const c = new Client(await targets[name].open(rel));
        clients.push(c);
        await c.whenCells(notebook.cells, 120000, `${name} room ${k + 1}`);
      }
    }

    // 4. settle, measure
    const [bridge1, oursServer1, theirs1] = await sampleRss(pids(), settleMs);
    const children1 = childrenRss(ours.bridgePid);
    const per = (a, b) => (b - a) / rooms / MB;
    return {
      rooms,
      ours: {
        bridge: per(bridge0, bridge1),
        proxyServer: per(oursServer0, oursServer1),
        children: per(children0, children1),
        bridgeBaseline: bridge0 / MB,
        serverBaseline: oursServer0 / MB
      },
      theirs: { server: per(theirs0, theirs1), serverBaseline: theirs0 / MB }
    };
  } finally {
    destroyAll(clients);
  }
}
