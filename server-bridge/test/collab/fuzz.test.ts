/**
 * Convergence fuzz: eight headless YNotebook clients make random concurrent edits to the
 * notebook's structure (insert, delete, move cells) and text, disconnect and reconnect at
 * random, while the bridge is restarted three times (closed and created again in-process on
 * the same state dir and port). Seeded, bounded in time. At the end every document is
 * identical, no cell id appears twice, and the file on disk is the serialized document.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { YNotebook } from '@jupyter/ydoc';
import * as Y from 'yjs';
import { adapterFor } from '../../src/collab/document/index';
import { resolveConfig } from '../../src/config';
import { createBridge, IBridge } from '../../src/server';
import { captureLogger } from '../helpers';
import {
  loadYdoc,
  rng,
  sleep,
  TEST_TOKEN,
  TestClient,
  waitFor
} from './helpers';

const ydoc = loadYdoc();
const NB = 'json:notebook:fuzz.ipynb';
const CLIENTS = 8;
const TICKS = 1500;
const RESTART_AT = new Set([300, 700, 1100]);
const SEED = Number(process.env.COLLAB_FUZZ_SEED ?? 20240611);

let root: string;
let state: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'collab-fuzz-root-'));
  state = await mkdtemp(path.join(os.tmpdir(), 'collab-fuzz-state-'));
  await writeFile(
    path.join(root, 'fuzz.ipynb'),
    JSON.stringify({
      cells: ['a', 'b', 'c'].map(id => ({
        cell_type: 'code',
        execution_count: null,
        id,
        metadata: {},
        outputs: [],
        source: [`${id} = 1`]
      })),
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

async function startBridge(
  port: number
): Promise<{ bridge: IBridge; port: number }> {
  const { logger } = captureLogger('warn');
  const bridge = createBridge({
    mode: { kind: 'standalone', token: TEST_TOKEN },
    config: resolveConfig(
      {
        stateDir: state,
        collab: {
          saveDebounceMs: 50,
          groupCommitMs: 3,
          diskCheckSeconds: 0.5,
          compactAfterBytes: 16384
        }
      },
      {}
    ),
    listen: { host: '127.0.0.1', port },
    logger,
    rootDir: root
  });
  const address = await bridge.start();
  return { bridge, port: Number(address.split(':').pop()) };
}

const shape = (nb: YNotebook) =>
  JSON.stringify(nb.cells.map(c => [c.id, c.cell_type, c.getSource()]));

it(`converges: ${CLIENTS} clients, random edits, disconnects and 3 restarts (seed ${SEED})`, async () => {
  const random = rng(SEED);
  const first = await startBridge(0);
  let bridge = first.bridge;
  const port = first.port;
  const url = `ws://127.0.0.1:${port}/collab`;
  const nbs: YNotebook[] = [];
  const clients: TestClient[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const nb = new ydoc.YNotebook();
    nbs.push(nb);
    clients.push(
      new TestClient(url, NB, { doc: nb.ydoc, awareness: nb.awareness })
    );
  }
  try {
    await Promise.all(clients.map(c => c.synced()));
    const words = ['alpha', 'beta', 'γάμμα', 'δ', '\n', 'x = 1\n', '🙂', ' '];
    for (let tick = 0; tick < TICKS; tick++) {
      if (RESTART_AT.has(tick)) {
        await bridge.close();
        // Offline edits while the bridge is down.
        for (let k = 0; k < 10; k++) {
          const i = random.int(CLIENTS);
          const nb = nbs[i];
          const cell = nb.getCell(random.int(nb.cells.length));
          cell.updateSource(0, 0, random.pick(words));
        }
        ({ bridge } = await startBridge(port));
      }
      const i = random.int(CLIENTS);
      const nb = nbs[i];
      const client = clients[i];
      const roll = random.next();
      if (roll < 0.05) {
        // Disconnect or reconnect.
        if (client.provider.shouldConnect) {
          client.provider.disconnect();
        } else {
          client.provider.connect();
        }
      } else if (roll < 0.17) {
        nb.insertCell(random.int(nb.cells.length + 1), {
          cell_type: random.pick(['code', 'markdown', 'raw']),
          source: random.pick(words)
        });
      } else if (roll < 0.24 && nb.cells.length > 2) {
        nb.deleteCell(random.int(nb.cells.length));
      } else if (roll < 0.3 && i === 0 && nb.cells.length > 1) {
        // YNotebook moves a cell by deleting it and inserting a copy: two clients moving the
        // same cell at once would each insert one (a @jupyter/ydoc property, not the room's),
        // so only one client moves.
        nb.moveCell(random.int(nb.cells.length), random.int(nb.cells.length));
      } else if (roll < 0.35) {
        nb.awareness.setLocalStateField('cursor', {
          tick,
          cell: random.int(10)
        });
      } else {
        const cell = nb.getCell(random.int(nb.cells.length));
        const length = cell.getSource().length;
        if (random.chance(0.25) && length > 2) {
          const start = random.int(length - 1);
          cell.updateSource(
            start,
            Math.min(length, start + 1 + random.int(3)),
            ''
          );
        } else {
          const at = random.int(length + 1);
          cell.updateSource(at, at, random.pick(words));
        }
      }
      if (random.chance(0.3)) {
        await sleep(random.int(4));
      }
    }
    for (const client of clients) {
      client.provider.connect();
    }
    await waitFor(
      () => clients.every(c => c.provider.synced),
      'every client synced',
      15000
    );
    const room = () => bridge.collab.room(NB)!.doc;
    await waitFor(
      () => {
        const sv = Buffer.from(Y.encodeStateVector(room()));
        return nbs.every(
          nb =>
            Buffer.from(Y.encodeStateVector(nb.ydoc)).equals(sv) &&
            shape(nb) === shape(nbs[0])
        );
      },
      'convergence',
      15000
    );
    for (const client of clients) {
      expect(client.closed).toBeUndefined();
      expect(new Set(client.epochs.map(e => e.epoch)).size).toBe(1);
    }
    const ids = nbs[0].cells.map(c => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(3);
    // The bridge saves at shutdown: the file is the document, serialized.
    const expected = adapterFor('notebook').serialize(nbs[0].ydoc);
    await waitFor(() => clients.every(c => c.allDurable), 'durable', 10000);
    await bridge.close();
    const onDisk = await readFile(path.join(root, 'fuzz.ipynb'));
    expect(onDisk.toString('utf8')).toBe(
      Buffer.from(expected).toString('utf8')
    );
  } finally {
    for (const client of clients) {
      client.provider.destroy();
    }
    for (const nb of nbs) {
      nb.dispose();
    }
    await bridge.close();
  }
}, 45000);
