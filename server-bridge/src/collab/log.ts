/**
 * A room's append-only update log, the source of truth of its document.
 *
 *     file   = MAGIC record(header JSON) record*
 *     record = u32le length, u32le CRC32(payload), payload
 *     payload = 0x00 update                         a Yjs update (v1)
 *             | 0x01 flags sha256(base) [update]    the room's merge base changed (seed, save,
 *                                                   merge from disk), with the update that
 *                                                   seed or merge made: one record, so both
 *                                                   are durable or neither is; flags bit 0:
 *                                                   the document may differ from that base
 *
 * A seed made in parts starts the log as update records, one per part, then the base record
 * with the last part: all in the one file `create` writes, so all of it is durable or none.
 *
 * The header names the room's epoch. Appends are written and fsynced before the room relays
 * or acknowledges them. A crash can tear only the last record: reading finds it by its
 * length or CRC and the writer truncates it; a bad record with more data after it is
 * corruption, and the room rebuilds its history under a new epoch. Compaction writes the
 * whole document as one update to a new file, fsyncs it, renames it over the log and fsyncs
 * the directory, while appends go on.
 *
 * The log lives on the bridge's local state dir, so plain async fs calls are fine here.
 */
import { constants } from 'node:fs';
import { FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

/** The first bytes of every log file. */
export const LOG_MAGIC = Buffer.from('MLYLOG01', 'ascii');
const FRAME_HEADER = 8;
/** No record is larger (the frame's length is a u32). */
const MAX_RECORD = 0xffffffff;

/** What the header record holds. */
export interface ILogHeader {
  version: 1;
  epoch: string;
  room: string;
  createdAt: number;
  /** Bytes of the record that starts the log (the seed or a compaction's snapshot). */
  snapshotBytes?: number;
}

/** What reading a log found. */
export type LogReadResult =
  | { status: 'missing' }
  | { status: 'corrupt'; reason: string }
  | {
      status: 'ok';
      header: ILogHeader;
      /** The records after the header, decoded. */
      records: ILogRecord[];
      /** Bytes up to the end of the last good record. */
      validBytes: number;
      /** Whether a torn last record was found (the writer truncates it). */
      tornTail: boolean;
    };

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE), zlib's where Node has it (20.15+). */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) {
    return native(data) >>> 0;
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** One framed record. */
export function frame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_RECORD) {
    throw new Error('log record too large');
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** A decoded record payload. */
export interface ILogRecord {
  update?: Uint8Array;
  /** sha256 hex of the room's new base. */
  baseHash?: string;
  /** With baseHash: the document may hold changes the base lacks (unsaved). */
  dirty?: boolean;
}

/** The payload of an update record. */
export function updateRecord(update: Uint8Array): Uint8Array {
  const out = new Uint8Array(update.length + 1);
  out[0] = 0;
  out.set(update, 1);
  return out;
}

/**
 * The payload of a base record (with the update of a seed or merge, if any).
 *
 * @param dirty - the document may differ from this base once the record is applied.
 */
export function baseRecord(
  hash: string,
  update?: Uint8Array,
  dirty = false
): Uint8Array {
  const digest = Buffer.from(hash, 'hex');
  if (digest.length !== 32) {
    throw new Error('a base record needs a sha256 hex digest');
  }
  const out = new Uint8Array(2 + 32 + (update?.length ?? 0));
  out[0] = 1;
  out[1] = dirty ? 1 : 0;
  out.set(digest, 2);
  if (update) {
    out.set(update, 34);
  }
  return out;
}

/**
 * Decode a record payload.
 *
 * @throws Error on an unknown kind (the log is then treated as corrupt).
 */
export function decodeRecord(payload: Uint8Array): ILogRecord {
  if (payload[0] === 0) {
    return { update: payload.subarray(1) };
  }
  if (payload[0] === 1 && payload.length >= 34) {
    return {
      baseHash: Buffer.from(payload.subarray(2, 34)).toString('hex'),
      dirty: (payload[1] & 1) === 1,
      update: payload.length > 34 ? payload.subarray(34) : undefined
    };
  }
  throw new Error(`unknown log record kind ${payload[0]}`);
}

/** The magic and header record that start a log. */
function preamble(header: ILogHeader): Buffer {
  return Buffer.concat([
    LOG_MAGIC,
    frame(Buffer.from(JSON.stringify(header), 'utf8'))
  ]);
}

/**
 * Read and check a whole log file.
 *
 * @param file - the log's path.
 */
export async function readLog(file: string): Promise<LogReadResult> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { status: 'missing' };
    }
    return {
      status: 'corrupt',
      reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? err}`
    };
  }
  return parseLog(data);
}

/** Parse a log's bytes (exported for tests). */
export function parseLog(data: Buffer): LogReadResult {
  if (
    data.length < LOG_MAGIC.length ||
    !data.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)
  ) {
    return { status: 'corrupt', reason: 'no log magic' };
  }
  let pos = LOG_MAGIC.length;
  const records: Uint8Array[] = [];
  let tornTail = false;
  while (pos < data.length) {
    if (data.length - pos < FRAME_HEADER) {
      tornTail = true;
      break;
    }
    const length = data.readUInt32LE(pos);
    const crc = data.readUInt32LE(pos + 4);
    const end = pos + FRAME_HEADER + length;
    if (end > data.length) {
      // A record cut short: the crash happened while it was being written.
      tornTail = true;
      break;
    }
    const payload = data.subarray(pos + FRAME_HEADER, end);
    if (crc32(payload) !== crc) {
      if (end === data.length) {
        // The last record, complete in length but not in content: torn too.
        tornTail = true;
        break;
      }
      return {
        status: 'corrupt',
        reason: `bad CRC in the record at byte ${pos}, with more records after it`
      };
    }
    records.push(payload);
    pos = end;
  }
  if (records.length === 0) {
    return { status: 'corrupt', reason: 'no header record' };
  }
  let header: ILogHeader;
  try {
    header = JSON.parse(Buffer.from(records[0]).toString('utf8'));
  } catch {
    return { status: 'corrupt', reason: 'the header is not JSON' };
  }
  if (
    header?.version !== 1 ||
    typeof header.epoch !== 'string' ||
    !header.epoch
  ) {
    return {
      status: 'corrupt',
      reason: 'the header is not a version 1 header'
    };
  }
  let validBytes = LOG_MAGIC.length;
  for (const record of records) {
    validBytes += FRAME_HEADER + record.length;
  }
  let decoded: ILogRecord[];
  try {
    decoded = records.slice(1).map(decodeRecord);
  } catch (err) {
    return { status: 'corrupt', reason: (err as Error).message };
  }
  return {
    status: 'ok',
    header,
    records: decoded,
    validBytes,
    tornTail
  };
}

/** fsync a directory, so that a rename or a new file in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Appends records to a log, fsynced; compacts it. One writer per log file. */
export class LogWriter {
  private constructor(file: string, handle: FileHandle, size: number) {
    this._file = file;
    this._handle = handle;
    this._size = size;
  }

  /**
   * Create a new log (replacing any file there): preamble and `records` (payloads),
   * fsynced, renamed into place, directory fsynced.
   */
  static async create(
    file: string,
    header: ILogHeader,
    records: Uint8Array[]
  ): Promise<LogWriter> {
    const { handle, size } = await writeNewLog(`${file}.new`, header, records);
    try {
      await rename(`${file}.new`, file);
      await syncDir(path.dirname(file));
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return new LogWriter(file, handle, size);
  }

  /** Open an existing log for appending, cutting a torn tail at `validBytes`. */
  static async open(file: string, validBytes: number): Promise<LogWriter> {
    const handle = await open(file, 'r+');
    try {
      const { size } = await handle.stat();
      if (size !== validBytes) {
        await handle.truncate(validBytes);
        await handle.sync();
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return new LogWriter(file, handle, validBytes);
  }

  /** Bytes in the log file. */
  get size(): number {
    return this._size;
  }

  /** Append record payloads and fsync them; resolves once they are durable. */
  append(records: Uint8Array[]): Promise<void> {
    if (this._capture) {
      this._capture.push(...records);
    }
    return this._queue(async () => {
      const bytes = Buffer.concat(records.map(frame));
      await writeAll(this._handle, bytes, this._size);
      await this._handle.datasync();
      this._size += bytes.length;
    });
  }

  /**
   * Replace the log with `header` + `snapshot` (+ whatever is appended meanwhile), without
   * holding up appends while the snapshot is written.
   *
   * @param snapshot - a record payload holding `Y.encodeStateAsUpdate(doc)`, taken in the
   *   same tick as this call (a base record, so that the base survives compaction).
   */
  async compact(header: ILogHeader, snapshot: Uint8Array): Promise<void> {
    if (this._capture) {
      throw new Error('a compaction is already running');
    }
    const capture: Uint8Array[] = [];
    this._capture = capture;
    const tmp = `${this._file}.compact`;
    let next: { handle: FileHandle; size: number } | undefined;
    try {
      next = await writeNewLog(tmp, header, [snapshot]);
      const fresh = next;
      await this._queue(async () => {
        // Appends are queued behind this: the capture is complete.
        this._capture = undefined;
        let size = fresh.size;
        if (capture.length) {
          const bytes = Buffer.concat(capture.map(frame));
          await writeAll(fresh.handle, bytes, size);
          await fresh.handle.datasync();
          size += bytes.length;
        }
        await rename(tmp, this._file);
        await syncDir(path.dirname(this._file));
        const old = this._handle;
        this._handle = fresh.handle;
        this._size = size;
        await old.close().catch(() => undefined);
      });
    } catch (err) {
      this._capture = undefined;
      if (next && next.handle !== this._handle) {
        await next.handle.close().catch(() => undefined);
      }
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Wait for queued appends, then close the file. */
  async close(): Promise<void> {
    await this._queue(async () => {
      if (!this._closed) {
        this._closed = true;
        await this._handle.close();
      }
    });
  }

  /** Follow the file to a new path (the room's directory moved; the handle stays valid). */
  moved(file: string): void {
    this._file = file;
  }

  private _queue(task: () => Promise<void>): Promise<void> {
    const run = this._tail.then(() => {
      if (this._closed) {
        throw new Error('the log is closed');
      }
      return task();
    });
    this._tail = run.catch(() => undefined);
    return run;
  }

  private _file: string;
  private _handle: FileHandle;
  private _size: number;
  private _capture?: Uint8Array[];
  private _closed = false;
  private _tail: Promise<void> = Promise.resolve();
}

/** Write a complete new log file at `file` (exclusive), fsynced, open for appending. */
async function writeNewLog(
  file: string,
  header: ILogHeader,
  records: Uint8Array[]
): Promise<{ handle: FileHandle; size: number }> {
  await rm(file, { force: true });
  const handle = await open(file, 'wx+', 0o600);
  try {
    const bytes = Buffer.concat([preamble(header), ...records.map(frame)]);
    await writeAll(handle, bytes, 0);
    await handle.sync();
    return { handle, size: bytes.length };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

async function writeAll(
  handle: FileHandle,
  bytes: Buffer,
  position: number
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(
      bytes,
      offset,
      bytes.length - offset,
      position + offset
    );
    offset += bytesWritten;
  }
}
