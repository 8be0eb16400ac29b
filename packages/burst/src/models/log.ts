/**
 * One job's log, kept while a view shows it: the `burst/<job id>` channel's pieces, put
 * together by byte offset, with the gaps filled from `GET /api/burst/jobs/:id/log`.
 */
import type { BurstLogMessage } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import type { IBurstJobs } from '../tokens';

/**
 * The log of one job.
 */
export class JobLogModel implements IDisposable {
  /**
   * Create the model and start following the job's log.
   */
  constructor(options: JobLogModel.IOptions) {
    this.jobId = options.jobId;
    this._jobs = options.jobs;
    this._maxBytes = options.maxBytes ?? 1024 * 1024;
    this._subscription = this._jobs.subscribeLog(this.jobId, message =>
      this.receive(message)
    );
    // The channel sends its snapshot only to the first subscriber of a job's log (another
    // view may already follow it): read what exists over REST; the pushed pieces then fit
    // in by byte offset.
    void this._fill();
  }

  /**
   * The job.
   */
  readonly jobId: string;

  /**
   * The log text held (its last `maxBytes` at most).
   */
  get text(): string {
    return this._text;
  }

  /**
   * Whether text before `text` was left out (the bridge keeps the last 256 KiB of a pushed
   * snapshot; this model keeps the last `maxBytes`).
   */
  get truncated(): boolean {
    return this._start > 0;
  }

  /**
   * Whether the job has ended and its log is whole.
   */
  get complete(): boolean {
    return this._complete;
  }

  /**
   * Emitted when the text changed.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Take one log message: append what follows the text held, fetch what is missing.
   */
  receive(
    message: Pick<BurstLogMessage, 'offset' | 'text' | 'complete'>
  ): void {
    if (this._isDisposed) {
      return;
    }
    const length = Private.byteLength(message.text);
    if (this._end === 0 && this._text === '' && message.offset > 0) {
      // A snapshot that starts late: the earlier part is gone.
      this._start = message.offset;
      this._end = message.offset;
    }
    if (message.offset > this._end) {
      // A piece was missed (a reconnection): ask for everything from where we are.
      void this._fill();
      return;
    }
    const skip = this._end - message.offset;
    if (skip < length) {
      this._append(Private.fromByte(message.text, skip));
    }
    if (message.complete) {
      this._complete = true;
      this._changed.emit();
    }
  }

  /**
   * Load the log over REST from where the model stands (after a gap, or to start).
   */
  async load(): Promise<void> {
    await this._fill();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._subscription.dispose();
    Signal.clearData(this);
  }

  private async _fill(): Promise<void> {
    if (this._filling) {
      return;
    }
    this._filling = true;
    try {
      for (let i = 0; i < 64 && !this._isDisposed; i++) {
        const answer = await this._jobs.log(this.jobId, this._end);
        if (answer.offset > this._end) {
          this._start = answer.offset;
          this._end = answer.offset;
          this._text = '';
        }
        this.receive({
          offset: answer.offset,
          text: answer.text,
          complete: answer.complete
        });
        if (answer.complete || answer.nextOffset <= answer.offset) {
          break;
        }
      }
    } catch {
      // The pushed pieces still come; a later gap tries again.
    } finally {
      this._filling = false;
    }
  }

  private _append(text: string): void {
    this._text += text;
    this._end += Private.byteLength(text);
    const held = this._end - this._start;
    if (held > this._maxBytes) {
      // Keep the tail, from a line start when there is one near.
      const kept = Private.fromByte(this._text, held - this._maxBytes);
      const newline = kept.indexOf('\n');
      const tail =
        newline >= 0 && newline < 4096 ? kept.slice(newline + 1) : kept;
      this._start = this._end - Private.byteLength(tail);
      this._text = tail;
    }
    this._changed.emit();
  }

  private _jobs: IBurstJobs;
  private _subscription: IDisposable;
  private _text = '';
  private _start = 0;
  private _end = 0;
  private _maxBytes: number;
  private _complete = false;
  private _filling = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `JobLogModel` statics.
 */
export namespace JobLogModel {
  /**
   * Options to create a log model.
   */
  export interface IOptions {
    /**
     * The job.
     */
    jobId: string;

    /**
     * The jobs model (channel and REST).
     */
    jobs: IBurstJobs;

    /**
     * The most bytes of log kept (default 1 MiB).
     */
    maxBytes?: number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The UTF-8 size of a code point.
   */
  export function size(codePoint: number): number {
    return codePoint < 0x80
      ? 1
      : codePoint < 0x800
        ? 2
        : codePoint < 0x10000
          ? 3
          : 4;
  }

  /**
   * The UTF-8 length of a string (offsets on the channel are bytes).
   */
  export function byteLength(text: string): number {
    let bytes = 0;
    for (const char of text) {
      bytes += size(char.codePointAt(0)!);
    }
    return bytes;
  }

  /**
   * The part of `text` from UTF-8 byte `skip` on (a partial character is dropped).
   */
  export function fromByte(text: string, skip: number): string {
    if (skip <= 0) {
      return text;
    }
    let bytes = 0;
    let index = 0;
    for (const char of text) {
      if (bytes >= skip) {
        break;
      }
      bytes += size(char.codePointAt(0)!);
      index += char.length;
    }
    return text.slice(index);
  }
}
