import type {
  DataUploadCompleteRequest,
  DataUploadCreateResponse,
  DataUploadPart,
  DataUploadPartsRequest
} from '@mlinfn/common';
import { ProgressModel } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DataApi } from '../api';
import { putToUrl, PutToUrl } from './xhr';

/**
 * What an upload reads: a `File`, or anything that can be sliced like a `Blob`. Only the
 * parts being sent are sliced off it, so the file is never read into memory as a whole.
 */
export interface IUploadSource {
  /**
   * Size in bytes.
   */
  readonly size: number;

  /**
   * The bytes `[start, end)`.
   */
  slice(start: number, end: number): Blob;
}

/**
 * Where an upload stands.
 *
 * - `starting`: asking the bridge to start the multipart upload;
 * - `uploading`: sending parts;
 * - `completing`: every part is stored, S3 is assembling the object;
 * - `failed`: a part failed after its retries, or a step failed: `resume()` goes on;
 * - `done`: the object is stored;
 * - `cancelled`: aborted by the user (S3 dropped the parts).
 */
export type UploadState =
  'starting' | 'uploading' | 'completing' | 'failed' | 'done' | 'cancelled';

/**
 * One part of a multipart upload.
 */
export interface IUploadPart {
  /** 1-based part number. */
  readonly partNumber: number;
  /** First byte. */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  /** pending: not sent yet; sending; done: stored (etag known); failed: gave up after retries. */
  state: 'pending' | 'sending' | 'done' | 'failed';
  /** The ETag S3 gave the part. */
  etag: string | null;
  /** Bytes of it sent so far. */
  sent: number;
  /** Tries that failed since it was last (re)queued. */
  failures: number;
}

/**
 * A multipart upload of one file, straight from the browser to S3 with pre-signed part URLs
 * ("browser" mode), or in bounded parts through the bridge when the bucket's CORS does not let
 * the browser read part ETags ("bridge" mode, chosen by the bridge).
 *
 * At most `concurrency` parts are in flight, each sliced off the file only when it is sent.
 * A failed part is retried `retries` times; after that the upload stops as `failed`, and
 * `resume()` asks S3 which parts it holds and sends only the others.
 */
export class UploadModel implements IDisposable {
  /**
   * Create an upload; it starts on `start()`.
   */
  constructor(options: UploadModel.IOptions) {
    this.api = options.api;
    this.endpoint = options.endpoint;
    this.bucket = options.bucket;
    this.key = options.key;
    this.source = options.source;
    this.contentType = options.contentType;
    this._concurrency = Math.max(1, options.concurrency ?? 4);
    this._retries = Math.max(0, options.retries ?? 3);
    this._retryDelay = options.retryDelay ?? (n => 500 * 2 ** (n - 1));
    this._put = options.putToUrl ?? putToUrl;
    this._requestedMode = options.mode;
    this.progress = new ProgressModel({
      total: this.source.size,
      label: this.key,
      now: options.now
    });
  }

  /** The data API. */
  readonly api: DataApi;
  /** The endpoint id. */
  readonly endpoint: string;
  /** The bucket. */
  readonly bucket: string;
  /** The object key. */
  readonly key: string;
  /** The file. */
  readonly source: IUploadSource;
  /** Its content type, if known. */
  readonly contentType: string | undefined;
  /** Bytes sent, rate and time left. */
  readonly progress: ProgressModel;

  /**
   * Emitted when the state, a part or the error changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Where the upload stands.
   */
  get state(): UploadState {
    return this._state;
  }

  /**
   * How the parts travel (`null` before the bridge answered).
   */
  get mode(): DataUploadCreateResponse['mode'] | null {
    return this._upload?.mode ?? null;
  }

  /**
   * Why the bridge chose bridge mode, if it said.
   */
  get modeReason(): string | null {
    return this._upload?.modeReason ?? null;
  }

  /**
   * The S3 upload id (`null` before the upload started).
   */
  get uploadId(): string | null {
    return this._upload?.uploadId ?? null;
  }

  /**
   * The parts.
   */
  get parts(): ReadonlyArray<Readonly<IUploadPart>> {
    return this._parts;
  }

  /**
   * The parts stored so far.
   */
  get doneParts(): number {
    return this._parts.filter(p => p.state === 'done').length;
  }

  /**
   * Why the upload stopped (state `failed`).
   */
  get error(): unknown {
    return this._error;
  }

  /**
   * The most parts that were in flight at once (never more than the concurrency).
   */
  get peakInFlight(): number {
    return this._peak;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Start the upload. Resolves when it is done, failed or cancelled (never rejects).
   */
  async start(): Promise<void> {
    if (this._upload) {
      return this.resume();
    }
    this._setState('starting');
    try {
      this._upload = await this.api.createUpload(this.endpoint, {
        bucket: this.bucket,
        key: this.key,
        size: this.source.size,
        ...(this.contentType ? { contentType: this.contentType } : {}),
        ...(this._requestedMode ? { mode: this._requestedMode } : {})
      });
    } catch (error) {
      this._fail(error);
      return;
    }
    this._parts = Private.plan(
      this.source.size,
      this._upload.partSize,
      this._upload.partCount
    );
    await this._run();
  }

  /**
   * Go on after a failure: ask S3 which parts it holds, keep those, send the others.
   */
  async resume(): Promise<void> {
    if (this._state !== 'failed') {
      return;
    }
    if (!this._upload) {
      return this.start();
    }
    this._error = null;
    this._setState('uploading');
    try {
      const status = await this.api.uploadStatus(
        this.endpoint,
        this._upload.uploadId,
        this.bucket,
        this.key
      );
      const stored = new Map(status.parts.map(p => [p.partNumber, p]));
      for (const part of this._parts) {
        const held = stored.get(part.partNumber);
        const size = part.end - part.start;
        if (held && (held.size === undefined || held.size === size)) {
          part.state = 'done';
          part.etag = held.etag;
          part.sent = size;
        } else if (part.state !== 'done' || !held) {
          // Not stored (or not as we sent it): send it again.
          part.state = 'pending';
          part.etag = null;
          part.sent = 0;
        }
        part.failures = 0;
      }
    } catch (error) {
      this._fail(error);
      return;
    }
    await this._run();
  }

  /**
   * Stop sending and abort the upload (S3 drops the parts it holds).
   */
  async cancel(): Promise<void> {
    if (this._state === 'done' || this._state === 'cancelled') {
      return;
    }
    this._setState('cancelled');
    for (const controller of this._controllers) {
      controller.abort();
    }
    if (this._upload) {
      try {
        await this.api.abortUpload(
          this.endpoint,
          this._upload.uploadId,
          this.bucket,
          this.key
        );
      } catch {
        // S3's lifecycle rules clean up what an abort could not.
      }
    }
  }

  /**
   * Dispose of the model (an upload still running is cancelled).
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    if (this._state === 'uploading' || this._state === 'starting') {
      void this.cancel();
    }
    this._isDisposed = true;
    this.progress.dispose();
    Signal.clearData(this);
  }

  private async _run(): Promise<void> {
    this._setState('uploading');
    this._report();
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this._concurrency; i++) {
      workers.push(this._worker());
    }
    await Promise.all(workers);
    if (this._state !== 'uploading') {
      return;
    }
    if (this._parts.some(p => p.state !== 'done')) {
      this._fail(this._error);
      return;
    }
    this._setState('completing');
    try {
      const parts: DataUploadPart[] = this._parts.map(p => ({
        partNumber: p.partNumber,
        etag: p.etag as string
      }));
      await this.api.completeUpload(this.endpoint, this._upload!.uploadId, {
        bucket: this.bucket,
        key: this.key,
        parts: parts as DataUploadCompleteRequest['parts']
      });
    } catch (error) {
      this._fail(error);
      return;
    }
    this.progress.update(this.source.size);
    this._setState('done');
  }

  /**
   * Send parts one after another until none is left or the upload stops.
   */
  private async _worker(): Promise<void> {
    for (;;) {
      if (this._state !== 'uploading' || this._stopping) {
        return;
      }
      const part = this._parts.find(p => p.state === 'pending');
      if (!part) {
        return;
      }
      part.state = 'sending';
      this._inFlight++;
      this._peak = Math.max(this._peak, this._inFlight);
      try {
        await this._send(part);
      } finally {
        this._inFlight--;
      }
    }
  }

  /**
   * Send one part, retrying it up to `retries` times.
   */
  private async _send(part: IUploadPart): Promise<void> {
    for (;;) {
      const controller = new AbortController();
      this._controllers.add(controller);
      part.sent = 0;
      try {
        // Sliced here, per try: only the parts in flight are ever held.
        const body = this.source.slice(part.start, part.end);
        part.etag = await this._sendOnce(part, body, controller.signal);
        part.state = 'done';
        part.sent = part.end - part.start;
        this._report();
        return;
      } catch (error) {
        if (this._state !== 'uploading') {
          return;
        }
        part.failures++;
        part.sent = 0;
        this._urls.delete(part.partNumber);
        if (part.failures > this._retries) {
          part.state = 'failed';
          this._error = error;
          // Let the parts in flight finish, start no new one: resume() goes on from there.
          this._stopping = true;
          this._report();
          return;
        }
        this._report();
        await Private.sleep(this._retryDelay(part.failures));
      } finally {
        this._controllers.delete(controller);
      }
    }
  }

  private async _sendOnce(
    part: IUploadPart,
    body: Blob,
    signal: AbortSignal
  ): Promise<string> {
    const upload = this._upload!;
    if (upload.mode === 'bridge') {
      const status = await this.api.putPart(
        this.endpoint,
        upload.uploadId,
        part.partNumber,
        this.bucket,
        this.key,
        body
      );
      const stored = status.parts.find(p => p.partNumber === part.partNumber);
      if (!stored) {
        throw new Error(`The bridge did not confirm part ${part.partNumber}.`);
      }
      return stored.etag;
    }
    const url = await this._urlFor(part.partNumber);
    return this._put(url, body, {
      signal,
      onProgress: sent => {
        part.sent = sent;
        this._report();
      }
    });
  }

  /**
   * The pre-signed URL of a part: URLs are asked for in batches of the parts still to send.
   */
  private async _urlFor(partNumber: number): Promise<string> {
    const known = this._urls.get(partNumber);
    if (known) {
      return known;
    }
    if (!this._signing) {
      const numbers = this._parts
        .filter(
          p =>
            (p.state === 'pending' || p.state === 'sending') &&
            !this._urls.has(p.partNumber)
        )
        .map(p => p.partNumber)
        .slice(0, Private.SIGN_BATCH);
      if (!numbers.includes(partNumber)) {
        numbers[numbers.length ? numbers.length - 1 : 0] = partNumber;
      }
      this._signing = this.api
        .signParts(this.endpoint, this._upload!.uploadId, {
          bucket: this.bucket,
          key: this.key,
          partNumbers: numbers as DataUploadPartsRequest['partNumbers']
        })
        .then(answer => {
          for (const p of answer.parts) {
            this._urls.set(p.partNumber, p.url);
          }
        })
        .finally(() => {
          this._signing = null;
        });
    }
    await this._signing;
    return this._urlFor(partNumber);
  }

  private _report(): void {
    let sent = 0;
    for (const part of this._parts) {
      sent += part.state === 'done' ? part.end - part.start : part.sent;
    }
    this.progress.update(sent);
    this._changed.emit();
  }

  private _fail(error: unknown): void {
    this._error =
      error ?? new Error('The upload stopped before every part was stored.');
    this._stopping = false;
    for (const part of this._parts) {
      if (part.state === 'sending') {
        part.state = 'pending';
      }
    }
    this._setState('failed');
  }

  private _setState(state: UploadState): void {
    if (state === 'uploading') {
      this._stopping = false;
    }
    if (state !== this._state) {
      this._state = state;
      this._changed.emit();
    }
  }

  private _state: UploadState = 'starting';
  private _upload: DataUploadCreateResponse | null = null;
  private _parts: IUploadPart[] = [];
  private _urls = new Map<number, string>();
  private _signing: Promise<void> | null = null;
  private _controllers = new Set<AbortController>();
  private _error: unknown = null;
  private _stopping = false;
  private _inFlight = 0;
  private _peak = 0;
  private _concurrency: number;
  private _retries: number;
  private _retryDelay: (failures: number) => number;
  private _put: PutToUrl;
  private _requestedMode: 'browser' | 'bridge' | undefined;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `UploadModel` statics.
 */
export namespace UploadModel {
  /**
   * Options to create an upload.
   */
  export interface IOptions {
    /** The data API. */
    api: DataApi;
    /** The endpoint id. */
    endpoint: string;
    /** The bucket. */
    bucket: string;
    /** The object key. */
    key: string;
    /** The file. */
    source: IUploadSource;
    /** Its content type. */
    contentType?: string;
    /** Parts in flight at once (default 4). */
    concurrency?: number;
    /** Retries per part before the upload stops (default 3). */
    retries?: number;
    /** The wait before retry `n` (1-based), in ms (default 0.5 s, doubling). */
    retryDelay?: (failures: number) => number;
    /** Ask for a mode (default: the bridge picks the best that works). */
    mode?: 'browser' | 'bridge';
    /** How a part is PUT to its pre-signed URL (default XMLHttpRequest, for its progress). */
    putToUrl?: PutToUrl;
    /** The clock, in ms (for tests). */
    now?: () => number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Part URLs asked for at once.
   */
  export const SIGN_BATCH = 16;

  /**
   * The parts of a file: all `partSize` bytes but the last.
   */
  export function plan(
    size: number,
    partSize: number,
    partCount: number
  ): IUploadPart[] {
    const count = Math.max(1, partCount || Math.ceil(size / partSize));
    const parts: IUploadPart[] = [];
    for (let i = 0; i < count; i++) {
      parts.push({
        partNumber: i + 1,
        start: Math.min(size, i * partSize),
        end: i === count - 1 ? size : Math.min(size, (i + 1) * partSize),
        state: 'pending',
        etag: null,
        sent: 0,
        failures: 0
      });
    }
    return parts;
  }

  /**
   * Wait.
   */
  export function sleep(ms: number): Promise<void> {
    return ms > 0
      ? new Promise(resolve => setTimeout(resolve, ms))
      : Promise.resolve();
  }
}
