/**
 * A big notebook's first sync through a real bridge (the real notebook adapter and file agent):
 * every client gets the whole document, in messages under jupyter-server-proxy's limit, with
 * y-websocket's sync step 2 last; clients that join after edits, and clients that reconnect,
 * get exactly the room's document (nothing deleted comes back, nothing is doubled).
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { readNotebook } from '../../src/collab/document/layout';
import { syncStep1 } from '../../src/collab/protocol';
import { MAX_SYNC_MESSAGE_BYTES } from '../../src/collab/sync-reply';
import { resolveConfig } from '../../src/config';
import { COLLAB_MSG, COLLAB_SYNC } from '../../src/schema-types';
import { createBridge, IBridge } from '../../src/server';
import { captureLogger } from '../helpers';
import {
  bigNotebook,
  rawSocket,
  TEST_TOKEN,
  TestClient,
  waitFor
} from './helpers';

const NB = 'json:notebook:big.ipynb';
const CELLS = 400;

let root: string;
let state: string;
let bridge: IBridge | undefined;
let url: string;
const clients: TestClient[] = [];
const sockets: ReturnType<typeof rawSocket>[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'collab-first-root-'));
  state = await mkdtemp(path.join(os.tmpdir(), 'collab-first-state-'));
  await writeFile(path.join(root, 'big.ipynb'), bigNotebook(CELLS, 25_000));
  await startBridge();
});

/** A bridge on the test's root and state dirs (on `port`: a restart keeps the URL). */
async function startBridge(port = 0) {
  bridge = createBridge({
    mode: { kind: 'standalone', token: TEST_TOKEN },
    config: resolveConfig(
      {
        stateDir: state,
        collab: { saveDebounceMs: 30, diskCheckSeconds: 60, groupCommitMs: 2 }
      },
      {}
    ),
    listen: { host: '127.0.0.1', port },
    logger: captureLogger('info').logger,
    rootDir: root
  });
  url = `ws://${await bridge.start()}/collab`;
}

afterEach(async () => {
  for (const client of clients.splice(0)) {
    client.destroy();
  }
  for (const socket of sockets.splice(0)) {
    socket.ws.terminate();
  }
  await bridge?.close();
  bridge = undefined;
  await rm(root, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

/**
 * A bare connection that asks for the document from `doc`'s state and applies what the room
 * sends, as y-websocket does; resolves once the sync step 2 arrived, with the sync messages.
 */
async function firstSync(doc = new Y.Doc()) {
  const socket = rawSocket(url, NB);
  sockets.push(socket);
  expect(await socket.opened).toBe(101);
  socket.ws.send(syncStep1(Y.encodeStateVector(doc)));
  const sync: { type: number; bytes: number }[] = [];
  let seen = 0;
  await waitFor(
    () => {
      for (; seen < socket.messages.length; seen++) {
        const message = socket.messages[seen];
        const decoder = decoding.createDecoder(message);
        if (decoding.readVarUint(decoder) !== COLLAB_MSG.sync) {
          continue;
        }
        const type = syncProtocol.readSyncMessage(
          decoder,
          encoding.createEncoder(),
          doc,
          'room'
        );
        if (type !== COLLAB_SYNC.step1) {
          sync.push({ type, bytes: message.length });
        }
      }
      return sync.some(m => m.type === COLLAB_SYNC.step2);
    },
    'the sync step 2',
    30000
  );
  // Every message's type, in the order they came (each type is one var-uint byte).
  const types = socket.messages.map(message => message[0]);
  return { doc, sync, types };
}

/** The sync messages: each under the limit, updates first, one step 2, last. */
function expectWellFormed(sync: { type: number; bytes: number }[]) {
  for (const { bytes } of sync) {
    expect(bytes).toBeLessThan(MAX_SYNC_MESSAGE_BYTES);
  }
  expect(sync.map(m => m.type)).toEqual([
    ...sync.slice(1).map(() => COLLAB_SYNC.update),
    COLLAB_SYNC.step2
  ]);
}

const notebookOf = (doc: Y.Doc) => readNotebook(doc).nb;

describe('first sync of a big notebook', () => {
  it('cold and warm clients get the whole notebook, in messages under the limit, the step 2 last', async () => {
    const cold = await firstSync();
    expectWellFormed(cold.sync);
    expect(cold.sync.length).toBeGreaterThan(1);
    // The first client got the parts while the room loaded (before the room's status, which
    // comes with the handshake once it is loaded), and the epoch before any of them.
    const firstPart = cold.types.indexOf(COLLAB_MSG.sync);
    expect(cold.types.indexOf(COLLAB_MSG.epoch)).toBe(0);
    expect(firstPart).toBeLessThan(cold.types.indexOf(COLLAB_MSG.roomStatus));
    const nb = notebookOf(cold.doc);
    expect(nb.cells).toHaveLength(CELLS);
    expect(nb.cells[CELLS - 1].source).toBe(`print(${CELLS - 1})`);
    expect(
      (nb.cells[CELLS - 1] as { outputs: { text: string }[] }).outputs[0].text
    ).toBe(`${CELLS - 1}:`.padEnd(25_000, 'x'));

    const warm = await firstSync();
    expectWellFormed(warm.sync);
    expect(notebookOf(warm.doc)).toEqual(nb);
    expect(Y.encodeStateVector(warm.doc)).toEqual(
      Y.encodeStateVector(cold.doc)
    );
  });

  it('after edits, a new client gets the edited notebook: deleted cells stay deleted, nothing doubles', async () => {
    const editor = new TestClient(url, NB);
    clients.push(editor);
    await editor.synced();
    await waitFor(
      () => editor.doc.getArray('cells').length === CELLS,
      'all cells'
    );
    const cells = editor.doc.getArray<Y.Map<unknown>>('cells');
    editor.doc.transact(() => {
      cells.delete(0, 10);
      (cells.get(0).get('source') as Y.Text).insert(0, '# edited\n');
    });
    await waitFor(() => editor.allDurable, 'the edit is durable');

    const late = await firstSync();
    expectWellFormed(late.sync);
    const nb = notebookOf(late.doc);
    expect(nb.cells).toHaveLength(CELLS - 10);
    expect(nb.cells[0].source).toBe('# edited\nprint(10)');
    expect(new Set(nb.cells.map(c => c.id)).size).toBe(CELLS - 10);
    expect(nb).toEqual(notebookOf(editor.doc));
  });

  it('after a restart the room loads the seed from its log: the same history, nothing doubled, the file untouched', async () => {
    const before = await firstSync();
    const file = path.join(root, 'big.ipynb');
    const { mtimeMs } = await stat(file);
    // The log is created whole (its seed in it) or not at all.
    await waitFor(
      async () =>
        (await readdir(state, { recursive: true })).some(f =>
          f.endsWith('log')
        ),
      'the log'
    );
    for (const socket of sockets.splice(0)) {
      socket.ws.terminate();
    }
    for (const client of clients.splice(0)) {
      client.destroy();
    }
    const port = Number(new URL(url).port);
    await bridge!.close();
    await startBridge(port);

    const after = await firstSync();
    expectWellFormed(after.sync);
    expect(notebookOf(after.doc)).toEqual(notebookOf(before.doc));
    // The same client ids and clocks: the history was loaded, not seeded again.
    expect(Y.encodeStateVector(after.doc)).toEqual(
      Y.encodeStateVector(before.doc)
    );
    // An old client's document merges without doubling anything.
    const old = new Y.Doc();
    Y.applyUpdate(old, Y.encodeStateAsUpdate(before.doc));
    Y.applyUpdate(old, Y.encodeStateAsUpdate(after.doc));
    expect(notebookOf(old).cells).toHaveLength(CELLS);
    expect((await stat(file)).mtimeMs).toBe(mtimeMs);
  });

  it('a client that reconnects with part of the document gets the rest, once', async () => {
    const first = await firstSync();
    // A client that holds the notebook from an earlier connection, plus an edit of its own
    // that the room has not seen.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(first.doc));
    const cells = doc.getArray<Y.Map<unknown>>('cells');
    (cells.get(5).get('source') as Y.Text).insert(0, 'offline ');
    const again = await firstSync(doc);
    expectWellFormed(again.sync);
    // Nothing it already had is sent again.
    expect(again.sync.reduce((n, m) => n + m.bytes, 0)).toBeLessThan(10_000);
    expect(notebookOf(doc).cells).toHaveLength(CELLS);
    expect(notebookOf(doc).cells[5].source).toBe('offline print(5)');

    // A client that got only the first half of the cells' content still ends up whole.
    const half = new Y.Doc();
    const full = Y.decodeStateVector(Y.encodeStateVector(first.doc));
    const [some] = [...full.keys()];
    const partial = new Y.Doc();
    Y.applyUpdate(partial, Y.encodeStateAsUpdate(first.doc));
    Y.applyUpdate(
      half,
      Y.encodeStateAsUpdate(
        partial,
        Y.encodeStateVector(new Map([...full].filter(([c]) => c !== some)))
      )
    );
    const rest = await firstSync(half);
    expectWellFormed(rest.sync);
    expect(notebookOf(half)).toEqual(notebookOf(first.doc));
  });
});
