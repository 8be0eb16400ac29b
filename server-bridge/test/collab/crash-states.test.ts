/**
 * Every state a crash can leave a room's state dir in, between the steps of a save or of a
 * merge of a disk change, loads without applying a disk change twice (duplicated text) or
 * losing one. Each case builds the state dir as the room would have left it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { baseRecord, LogWriter, updateRecord } from '../../src/collab/log';
import {
  fakeTextAdapter,
  sha,
  startRooms,
  TestClient,
  waitFor
} from './helpers';

const ROOM = 'text:file:a.txt';
const SEED = 'one\ntwo\n';
const EDIT = 'room edit\n';
const SAVED = `${EDIT}${SEED}`;
const DISK = `${SEED}disk edit\n`;

const LATER = 'later\n';

type Step = 'seed' | 'edit' | 'later' | 'mergeRecord' | 'saveRecord';

interface ICase {
  name: string;
  log: Step[];
  base: string;
  next?: { kind: 'save' | 'merge'; content: string };
  disk: string;
  expected: string;
}

const cases: ICase[] = [
  {
    name: 'edits logged, never saved',
    log: ['seed', 'edit'],
    base: SEED,
    disk: SEED,
    expected: SAVED
  },
  {
    name: 'a save reached the file, its record did not reach the log',
    log: ['seed', 'edit'],
    base: SEED,
    next: { kind: 'save', content: SAVED },
    disk: SAVED,
    expected: SAVED
  },
  {
    name: 'a save record is in the log, base not yet promoted',
    log: ['seed', 'edit', 'saveRecord'],
    base: SEED,
    next: { kind: 'save', content: SAVED },
    disk: SAVED,
    expected: SAVED
  },
  {
    name: 'a save was starting, the file not yet written',
    log: ['seed', 'edit'],
    base: SEED,
    next: { kind: 'save', content: SAVED },
    disk: SEED,
    expected: SAVED
  },
  {
    name: 'a merge from disk is in the log, base not yet promoted',
    log: ['seed', 'mergeRecord'],
    base: SEED,
    next: { kind: 'merge', content: DISK },
    disk: DISK,
    expected: DISK
  },
  {
    name: 'a merge from disk is in the log with edits after it, base not yet promoted',
    log: ['seed', 'mergeRecord', 'later'],
    base: SEED,
    next: { kind: 'merge', content: DISK },
    disk: DISK,
    expected: `${LATER}${DISK}`
  },
  {
    name: 'a save reached the file, its record did not reach the log, edits after it did',
    log: ['seed', 'edit', 'later'],
    base: SEED,
    next: { kind: 'save', content: SAVED },
    disk: SAVED,
    expected: `${LATER}${SAVED}`
  },
  {
    name: 'a merge from disk was starting, its record not in the log',
    log: ['seed'],
    base: SEED,
    next: { kind: 'merge', content: DISK },
    disk: DISK,
    expected: DISK
  }
];

let root: string;
let state: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'collab-crash-root-'));
  state = await mkdtemp(path.join(os.tmpdir(), 'collab-crash-state-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

/** The log records of each step, as the room writes them. */
function records(steps: Step[]): Uint8Array[] {
  const adapter = fakeTextAdapter();
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  let captured: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => captured.push(u));
  for (const step of steps) {
    captured = [];
    if (step === 'seed') {
      adapter.seed(doc, Buffer.from(SEED));
      out.push(baseRecord(sha(SEED), Y.mergeUpdates(captured)));
    } else if (step === 'edit') {
      doc.getText('source').insert(0, EDIT);
      out.push(updateRecord(captured[0]));
    } else if (step === 'later') {
      doc.getText('source').insert(0, LATER);
      out.push(updateRecord(captured[0]));
    } else if (step === 'saveRecord') {
      out.push(baseRecord(sha(SAVED)));
    } else {
      adapter.applyDiskChange(doc, Buffer.from(SEED), Buffer.from(DISK));
      out.push(baseRecord(sha(DISK), Y.mergeUpdates(captured), true));
    }
  }
  return out;
}

describe('crash states of a room', () => {
  it.each(cases)('$name', async c => {
    const dir = path.join(state, 'collab', 'rooms', sha(ROOM));
    await mkdir(dir, { recursive: true });
    const writer = await LogWriter.create(
      path.join(dir, 'log'),
      { version: 1, epoch: 'epoch-1', room: ROOM, createdAt: 0 },
      records(c.log)
    );
    await writer.close();
    await writeFile(path.join(dir, 'base'), c.base);
    if (c.next) {
      await writeFile(
        path.join(dir, `base-next-${c.next.kind}`),
        c.next.content
      );
    }
    await writeFile(path.join(root, 'a.txt'), c.disk);
    const rooms = await startRooms({
      stateDir: state,
      rootDir: root,
      config: { saveDebounceMs: 10, diskCheckSeconds: 3600 }
    });
    const client = new TestClient(rooms.url, ROOM);
    try {
      await client.synced();
      expect(client.text).toBe(c.expected);
      expect(client.epochs[0].epoch).toBe('epoch-1');
      await waitFor(
        async () =>
          (await readFile(path.join(root, 'a.txt'), 'utf8')) === c.expected,
        'the file'
      );
    } finally {
      client.destroy();
      await rooms.close();
    }
    // And once more from the state the room left: still the same, nothing doubled.
    const again = await startRooms({ stateDir: state, rootDir: root });
    const second = new TestClient(again.url, ROOM);
    try {
      await second.synced();
      expect(second.text).toBe(c.expected);
    } finally {
      second.destroy();
      await again.close();
    }
  });
});
