/**
 * burst: the logs pushed on `burst/<job id>` while someone watches. One timer reads every
 * watched log's new bytes; each channel keeps its last 256 KiB for the next subscriber's
 * snapshot (offsets are bytes in the log, so a reader can tell a repeat from a gap).
 */
import { open, stat } from 'node:fs/promises';
import type { BurstLogMessage } from '../schema-types';
import type { Hub } from '../ws/hub';
import { readLog } from './log';

const KEEP_BYTES = 256 * 1024;
const READ_BYTES = 256 * 1024;

interface ITail {
  /** Bytes read so far (where the next read starts). */
  offset: number;
  /** The last KEEP_BYTES of text, starting at byte `start`. */
  text: string;
  start: number;
  complete: boolean;
}

/** What the tails need from the module. */
export interface ILogTailsOptions {
  hub: Hub;
  channel: string;
  logPath(id: string): string | undefined;
  finished(id: string): boolean;
  intervalMs?: number;
}

/** Watched logs. */
export class LogTails {
  constructor(private readonly _options: ILogTailsOptions) {}

  start(): void {
    this._timer = setInterval(
      () => void this._tick(),
      this._options.intervalMs ?? 500
    );
  }

  stop(): void {
    clearInterval(this._timer);
  }

  watch(id: string): void {
    if (!this._tails.has(id)) {
      // offset -1: not started; the first read begins at the last KEEP_BYTES of the log.
      this._tails.set(id, { offset: -1, text: '', start: 0, complete: false });
      void this._tick();
    }
  }

  unwatch(id: string): void {
    this._tails.delete(id);
  }

  /** What a new subscriber of `burst/<id>` gets first. */
  snapshot(id: string): BurstLogMessage {
    const tail = this._tails.get(id);
    const message: BurstLogMessage = {
      type: 'log',
      id,
      offset: tail?.start ?? 0,
      text: tail?.text ?? ''
    };
    if (tail?.complete) {
      message.complete = true;
    }
    return message;
  }

  /** A log file's size (undefined when it does not exist). */
  async size(file: string | undefined): Promise<number | undefined> {
    if (!file) {
      return undefined;
    }
    try {
      return (await stat(file)).size;
    } catch {
      return undefined;
    }
  }

  private async _tick(): Promise<void> {
    if (this._busy) {
      return;
    }
    this._busy = true;
    try {
      for (const [id, tail] of this._tails) {
        if (tail.complete) {
          continue;
        }
        const finished = this._options.finished(id);
        if (tail.offset < 0) {
          const size = (await this.size(this._options.logPath(id))) ?? 0;
          tail.offset = await this._characterStart(
            this._options.logPath(id),
            Math.max(0, size - KEEP_BYTES)
          );
          tail.start = tail.offset;
        }
        const piece = await readLog(
          this._options.logPath(id),
          tail.offset,
          READ_BYTES
        );
        if (piece.text) {
          this._publish(id, {
            type: 'log',
            id,
            offset: tail.offset,
            text: piece.text
          });
          tail.text += piece.text;
          tail.offset = piece.next;
          const bytes = Buffer.byteLength(tail.text);
          if (bytes > KEEP_BYTES) {
            const keep = Buffer.from(tail.text).subarray(bytes - KEEP_BYTES);
            // Start the kept text on a character boundary.
            let cut = 0;
            while (cut < keep.length && (keep[cut] & 0xc0) === 0x80) {
              cut++;
            }
            tail.text = keep.subarray(cut).toString('utf8');
            tail.start = tail.offset - (keep.length - cut);
          }
        }
        if (finished && piece.next >= piece.size) {
          tail.complete = true;
          this._publish(id, {
            type: 'log',
            id,
            offset: tail.offset,
            text: '',
            complete: true
          });
        }
      }
    } finally {
      this._busy = false;
    }
  }

  /** The first character boundary at or after `offset` (skips UTF-8 continuation bytes). */
  private async _characterStart(
    file: string | undefined,
    offset: number
  ): Promise<number> {
    if (offset === 0 || !file) {
      return offset;
    }
    try {
      const handle = await open(file, 'r');
      try {
        const buf = Buffer.alloc(4);
        const { bytesRead } = await handle.read(buf, 0, 4, offset);
        let skip = 0;
        while (skip < bytesRead && (buf[skip] & 0xc0) === 0x80) {
          skip++;
        }
        return offset + skip;
      } finally {
        await handle.close();
      }
    } catch {
      return offset;
    }
  }

  private _publish(id: string, message: BurstLogMessage): void {
    this._options.hub.publish(`${this._options.channel}/${id}`, message);
  }

  private _tails = new Map<string, ITail>();
  private _timer: NodeJS.Timeout | undefined;
  private _busy = false;
}
