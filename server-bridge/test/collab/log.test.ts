/**
 * The update log's format and recovery, and room-name checking: pure units.
 */
import {
  appendFile,
  mkdtemp,
  readFile,
  rm,
  truncate,
  writeFile
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import {
  baseRecord,
  crc32,
  decodeRecord,
  frame,
  ILogRecord,
  LOG_MAGIC,
  LogWriter,
  parseLog,
  readLog,
  updateRecord
} from '../../src/collab/log';
import { resolveCollabConfig } from '../../src/collab/config';
import { resolveConfig } from '../../src/config';
import {
  normalizeRelativePath,
  parseRoomName,
  roomFromUrlPath
} from '../../src/collab/room-name';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'collab-log-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const header = {
  version: 1 as const,
  epoch: 'e1',
  room: 'text:file:a',
  createdAt: 1
};

/** A doc and the update records that built it, one per edit. */
function edits(n: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(updateRecord(u)));
  for (let i = 0; i < n; i++) {
    doc.getText('source').insert(0, `line ${i}\n`);
  }
  return { doc, updates };
}

function replay(records: (Uint8Array | ILogRecord)[]): string {
  const doc = new Y.Doc();
  for (const r of records) {
    const update = r instanceof Uint8Array ? decodeRecord(r).update : r.update;
    if (update) {
      Y.applyUpdate(doc, update);
    }
  }
  return doc.getText('source').toString();
}

describe('the update log', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips header and records', async () => {
    const file = path.join(dir, 'log');
    const { doc, updates } = edits(5);
    const writer = await LogWriter.create(file, header, updates.slice(0, 2));
    await writer.append(updates.slice(2));
    await writer.close();
    const read = await readLog(file);
    expect(read.status).toBe('ok');
    if (read.status !== 'ok') {
      return;
    }
    expect(read.header.epoch).toBe('e1');
    expect(read.tornTail).toBe(false);
    expect(replay(read.records)).toBe(doc.getText('source').toString());
  });

  it('a torn last record (crash mid-write) is detected and truncated, earlier records intact', async () => {
    const file = path.join(dir, 'log');
    const { updates } = edits(4);
    const writer = await LogWriter.create(file, header, updates.slice(0, 3));
    await writer.close();
    const good = (await readFile(file)).length;
    // Half of the fourth record reached the disk.
    const torn = frame(updates[3]);
    await appendFile(file, torn.subarray(0, Math.floor(torn.length / 2)));
    let read = await readLog(file);
    expect(read.status === 'ok' && read.tornTail).toBe(true);
    if (read.status !== 'ok') {
      return;
    }
    expect(read.validBytes).toBe(good);
    expect(replay(read.records)).toBe(replay(updates.slice(0, 3)));
    // The writer cuts the tail and appends after the last good record.
    const reopened = await LogWriter.open(file, read.validBytes);
    await reopened.append([updates[3]]);
    await reopened.close();
    read = await readLog(file);
    expect(read.status === 'ok' && !read.tornTail).toBe(true);
    expect(read.status === 'ok' && replay(read.records)).toBe(replay(updates));
  });

  it('a complete last record with a bad CRC is a torn tail too; a bad one in the middle is corruption', async () => {
    const file = path.join(dir, 'log');
    const { updates } = edits(3);
    const writer = await LogWriter.create(file, header, updates);
    await writer.close();
    const bytes = await readFile(file);
    const last = Buffer.from(bytes);
    last[last.length - 1] ^= 0xff;
    const tail = parseLog(last);
    expect(tail.status === 'ok' && tail.tornTail).toBe(true);
    expect(tail.status === 'ok' && tail.records.length).toBe(2);
    // Flip a byte inside the first update record: records follow it.
    const middle = Buffer.from(bytes);
    const firstUpdate =
      LOG_MAGIC.length + 8 + JSON.stringify(header).length + 8;
    middle[firstUpdate + 1] ^= 0xff;
    expect(parseLog(middle).status).toBe('corrupt');
    expect(parseLog(Buffer.from('not a log')).status).toBe('corrupt');
    await writeFile(file, LOG_MAGIC);
    expect((await readLog(file)).status).toBe('corrupt');
    expect((await readLog(path.join(dir, 'none'))).status).toBe('missing');
    await truncate(file, 3);
    expect((await readLog(file)).status).toBe('corrupt');
  });

  it('compaction replaces the log with a snapshot and keeps what is appended meanwhile', async () => {
    const file = path.join(dir, 'log');
    const { doc, updates } = edits(50);
    const writer = await LogWriter.create(file, header, updates);
    const before = writer.size;
    const snapshot = baseRecord('ab'.repeat(32), Y.encodeStateAsUpdate(doc));
    const compacting = writer.compact(header, snapshot);
    // Appends go on while the snapshot is written.
    const more: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => more.push(updateRecord(u)));
    doc.getText('source').insert(0, 'after\n');
    const appended = writer.append(more);
    await Promise.all([compacting, appended]);
    expect(writer.size).toBeLessThan(before);
    await writer.append([]);
    await writer.close();
    const read = await readLog(file);
    expect(read.status).toBe('ok');
    expect(read.status === 'ok' && replay(read.records)).toBe(
      doc.getText('source').toString()
    );
    expect(read.status === 'ok' && read.records[0].baseHash).toBe(
      'ab'.repeat(32)
    );
  });

  it('base records carry the base hash and, for a merge, its update', () => {
    const update = new Uint8Array([1, 2, 3]);
    expect(decodeRecord(baseRecord('cd'.repeat(32), update, true))).toEqual({
      baseHash: 'cd'.repeat(32),
      dirty: true,
      update
    });
    expect(decodeRecord(baseRecord('cd'.repeat(32)))).toEqual({
      baseHash: 'cd'.repeat(32),
      dirty: false,
      update: undefined
    });
    expect(() => decodeRecord(new Uint8Array([9, 1]))).toThrow(/kind/);
  });
});

describe('room names', () => {
  it.each([
    ['json:notebook:a.ipynb', 'json:notebook:a.ipynb', 'a.ipynb'],
    [
      'json:notebook:dir/b c.ipynb',
      'json:notebook:dir/b c.ipynb',
      'dir/b c.ipynb'
    ],
    ['text:file:./x//y.txt', 'text:file:x/y.txt', 'x/y.txt'],
    ['text:file:a:b.txt', 'text:file:a:b.txt', 'a:b.txt']
  ])('accepts %s', (raw, name, relPath) => {
    const room = parseRoomName(raw);
    expect(room.name).toBe(name);
    expect(room.path).toBe(relPath);
  });

  it.each([
    ['json:notebook:../etc/passwd', 400],
    ['json:notebook:a/../../b', 400],
    ['json:notebook:a/../b', 400],
    ['json:notebook:/etc/passwd', 400],
    ['json:notebook:a\0b', 400],
    ['json:notebook:', 400],
    ['json:notebook:.', 400],
    ['json:notebook:a\nb', 400],
    ['notebook', 400],
    ['text:notebook:a.ipynb', 404],
    ['base64:file:a.bin', 404]
  ])('refuses %j with %d', (raw, status) => {
    expect(() => parseRoomName(raw)).toThrow(
      expect.objectContaining({ status })
    );
  });

  it('decodes the URL form and refuses bad encoding', () => {
    expect(
      roomFromUrlPath(encodeURIComponent('json:notebook:d/é x.ipynb')).path
    ).toBe('d/é x.ipynb');
    expect(roomFromUrlPath('json:notebook:d%2Fa.ipynb').path).toBe('d/a.ipynb');
    expect(() => roomFromUrlPath('json:notebook:%E0%A4%A')).toThrow(
      /URL encoding/
    );
    expect(() => roomFromUrlPath('json:notebook:%2E%2E%2Fx')).toThrow(/\.\./);
    expect(normalizeRelativePath('a/b/')).toBe('a/b');
  });
});

describe('the collab config section', () => {
  it('is validated by its own schema and completed with its defaults', () => {
    expect(() =>
      resolveConfig({ collab: { heartbeatSeconds: 30 } }, {})
    ).toThrow('/collab/heartbeatSeconds must be <= 20');
    expect(() => resolveConfig({ collab: { groupCommitMS: 5 } }, {})).toThrow(
      'unknown key "collab.groupCommitMS"'
    );
    expect(() =>
      resolveConfig({ collab: { stateSubdir: '../x' } }, {})
    ).toThrow(/stateSubdir/);
    const collab = resolveCollabConfig(
      resolveConfig({ collab: { saveDebounceMs: 10 } }, {}).collab
    );
    expect(collab).toMatchObject({
      enabled: true,
      stateSubdir: 'collab',
      groupCommitMs: 0,
      heartbeatSeconds: 15,
      idleUnloadSeconds: 300,
      saveDebounceMs: 10
    });
    expect(resolveCollabConfig(undefined).maxMessageBytes).toBe(67108864);
  });
});
