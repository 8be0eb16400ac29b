/**
 * Staging: objects copied into the local cache, verified, shared by everyone who asks for the
 * same object (one download), resumed after a kill, evicted least-recently-used under the
 * quota. Progress goes to listeners (the `data` channel, the kernel API).
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { rename, stat, unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type {
  DataCacheResponse,
  DataChannelMessage,
  DataStageEntry,
  DataStageProgress
} from '../../schema-types';
import type { IDataConfig } from '../config';
import type { IEndpoint } from '../endpoint';
import { DataError, storageError } from '../errors';
import { checkKey, shortKey } from '../keys';
import { bareEtag } from '../s3';
import { downloadObject, ObjectChangedError, rangeLayout } from './download';
import { IIndexEntry, IndexStore } from './index-store';
import { chooseEvictions } from './lru';
import { entryFiles, entryId, safeExtension } from './paths';
import { RateMeter } from './rate';
import { Expectation, expectationFor } from './verifier';
import { WorkerPool } from './worker-pool';

export interface IStagerOptions {
  config: IDataConfig['cache'];
  logger: Logger;
  endpoint(id: string): IEndpoint | undefined;
  publish(message: DataChannelMessage): void;
}

type Listener = (progress: DataStageProgress) => void;

interface IJob {
  id: string;
  endpoint: IEndpoint;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  ext: string;
  metadata: Record<string, string>;
  state: DataStageEntry['state'];
  bytes: number;
  /** The range size of this download (whole parts of a multipart object). */
  chunkBytes: number;
  createdAt: number;
  lastUsedAt: number;
  verified?: DataStageEntry['verified'];
  error?: string;
  abort: AbortController;
  meter: RateMeter;
  listeners: Set<Listener>;
  done: Promise<DataStageEntry>;
  lastPublished: number;
}

/** How often progress is pushed while downloading. */
const PROGRESS_MS = 500;
/** How many times a staging restarts because the object changed under it. */
const MAX_RESTARTS = 3;

export class Stager {
  constructor(private readonly _options: IStagerOptions) {
    this._index = new IndexStore(_options.config.dir);
    // One thread per core at most: more would only share the cores with the storage.
    this._pool = new WorkerPool(
      Math.max(1, Math.min(_options.config.connections, availableParallelism()))
    );
  }

  /** Load the index; forget entries whose files are gone. */
  async start(): Promise<void> {
    await this._index.load();
    for (const e of this._index.all()) {
      const files = entryFiles(this._options.config.dir, e.id, e.ext);
      const present = await stat(
        e.state === 'ready' ? files.ready : files.partial
      ).catch(() => undefined);
      if (!present) {
        this._index.delete(e.id);
      }
    }
  }

  /** Abort downloads (their progress stays for a resume) and write the index. */
  async close(): Promise<void> {
    this._closing = true;
    for (const job of this._jobs.values()) {
      job.abort.abort();
    }
    await Promise.allSettled([...this._jobs.values()].map(j => j.done));
    await this._pool.close();
    await this._index.save();
  }

  /**
   * Stage an object: answers at once with the entry (ready, or being staged: then `wait`).
   */
  async stage(
    endpointId: string,
    bucket: string,
    key: string
  ): Promise<DataStageEntry> {
    const endpoint = this._options.endpoint(endpointId);
    if (!endpoint) {
      throw new DataError(404, `there is no storage endpoint "${endpointId}"`);
    }
    endpoint.checkBucket(bucket);
    checkKey(key);
    const head = await this._head(endpoint, bucket, key);
    const id = entryId(endpointId, bucket, key);
    const job = this._jobs.get(id);
    if (job) {
      job.lastUsedAt = Date.now();
      return this._entryOfJob(job);
    }
    const known = this._index.get(id);
    const dir = this._options.config.dir;
    if (known?.state === 'ready' && known.etag === head.etag) {
      const files = entryFiles(dir, id, known.ext);
      if (await stat(files.ready).catch(() => undefined)) {
        known.lastUsedAt = Date.now();
        this._index.set(known);
        return this._entryOfIndex(known);
      }
    }
    if (head.size > this._options.config.quotaBytes) {
      throw new DataError(
        422,
        `the object (${head.size} bytes) is larger than the whole cache (${this._options.config.quotaBytes} bytes)`
      );
    }
    return this._entryOfJob(
      this._startJob(id, endpoint, bucket, key, head, known)
    );
  }

  /** Resolves with the final entry (ready or failed) of a staging, or the entry as it is. */
  wait(id: string): Promise<DataStageEntry> {
    const job = this._jobs.get(id);
    if (job) {
      return job.done;
    }
    const failed = this._failed.get(id);
    if (failed) {
      return Promise.resolve(failed);
    }
    const known = this._index.get(id);
    if (!known) {
      return Promise.reject(new DataError(404, 'there is no such cache entry'));
    }
    return Promise.resolve(this._entryOfIndex(known));
  }

  /** Listen to one staging's progress; returns the unsubscribe. */
  listen(id: string, listener: Listener): () => void {
    const job = this._jobs.get(id);
    job?.listeners.add(listener);
    return () => job?.listeners.delete(listener);
  }

  /** Every staging not yet ready (the channel's snapshot). */
  active(): DataStageProgress[] {
    return [...this._jobs.values()].map(j => this._progressOf(j));
  }

  /** What the cache holds. */
  list(): DataCacheResponse {
    const entries: DataStageEntry[] = [];
    for (const e of this._index.all()) {
      if (!this._jobs.has(e.id) && !this._failed.has(e.id)) {
        entries.push(this._entryOfIndex(e));
      }
    }
    entries.push(...this._failed.values());
    for (const job of this._jobs.values()) {
      entries.push(this._entryOfJob(job));
    }
    entries.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
    return {
      dir: this._options.config.dir,
      quotaBytes: this._options.config.quotaBytes,
      usedBytes: this._usedBytes(),
      entries
    };
  }

  /** Delete an entry (cancelling its staging). */
  async remove(id: string): Promise<void> {
    const job = this._jobs.get(id);
    const known = this._index.get(id);
    const failed = this._failed.delete(id);
    if (!job && !known && !failed) {
      throw new DataError(404, 'there is no such cache entry');
    }
    if (job) {
      job.abort.abort();
      await job.done.catch(() => undefined);
    }
    const entry = this._index.get(id) ?? known;
    if (entry) {
      await this._deleteFiles(entry);
    }
    this._index.delete(id);
    this._options.publish({ type: 'removed', id, reason: 'deleted' });
  }

  private async _head(endpoint: IEndpoint, bucket: string, key: string) {
    try {
      const out = await endpoint.s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key })
      );
      return {
        etag: bareEtag(out.ETag),
        size: out.ContentLength ?? 0,
        metadata: Object.fromEntries(
          Object.entries(out.Metadata ?? {}).map(([k, v]) => [
            k.toLowerCase(),
            v
          ])
        )
      };
    } catch (err) {
      throw storageError(err, `reading "${shortKey(key)}"`);
    }
  }

  private _startJob(
    id: string,
    endpoint: IEndpoint,
    bucket: string,
    key: string,
    head: { etag: string; size: number; metadata: Record<string, string> },
    known: IIndexEntry | undefined
  ): IJob {
    const now = Date.now();
    const job: IJob = {
      id,
      endpoint,
      bucket,
      key,
      etag: head.etag,
      size: head.size,
      metadata: head.metadata,
      ext: safeExtension(key),
      state: 'queued',
      bytes: 0,
      chunkBytes: this._options.config.chunkBytes,
      createdAt: now,
      lastUsedAt: now,
      abort: new AbortController(),
      meter: new RateMeter(),
      listeners: new Set(),
      done: undefined as unknown as Promise<DataStageEntry>,
      lastPublished: 0
    };
    // A half-done earlier download of this very version (a kill, a restart) is resumed.
    const resume =
      known?.state === 'partial' &&
      known.etag === head.etag &&
      known.size === head.size &&
      known.chunkBytes !== undefined
        ? new Set(known.doneChunks ?? [])
        : new Set<number>();
    if (known && resume.size === 0) {
      // Another version, or nothing reusable: its files go.
      void this._deleteFiles(known);
      this._index.delete(id);
    }
    if (known?.state === 'partial' && resume.size > 0) {
      job.ext = known.ext;
      job.createdAt = known.createdAt;
      job.chunkBytes = known.chunkBytes ?? job.chunkBytes;
      job.bytes = this._doneBytes(resume, job.size, job.chunkBytes);
    }
    this._jobs.set(id, job);
    this._failed.delete(id);
    job.done = this._run(job, resume).finally(() => {
      this._jobs.delete(id);
    });
    job.done.catch(err => {
      if (!(err instanceof DataError && err.status === 499)) {
        this._options.logger.error({ err }, 'data: staging broke');
      }
    });
    this._publish(job, true);
    return job;
  }

  private async _run(job: IJob, resume: Set<number>): Promise<DataStageEntry> {
    await this._slot(job.abort.signal);
    try {
      for (let restart = 0; ; restart++) {
        try {
          await this._download(job, resume);
          return this._entryOfJob(job);
        } catch (err) {
          if (err instanceof ObjectChangedError && restart < MAX_RESTARTS) {
            this._options.logger.info(
              { endpoint: job.endpoint.config.id },
              'data: object changed while staging; starting over'
            );
            await this._deleteFiles(this._partialEntry(job, []));
            resume = new Set();
            const head = await this._head(job.endpoint, job.bucket, job.key);
            job.etag = head.etag;
            job.size = head.size;
            job.metadata = head.metadata;
            job.bytes = 0;
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      const e =
        err instanceof DataError
          ? err
          : err instanceof ObjectChangedError
            ? new DataError(
                409,
                'the object kept changing while it was being staged'
              )
            : storageError(err, 'staging');
      job.state = 'failed';
      job.error = e.reason;
      if (e.status !== 499) {
        this._options.logger.warn(
          {
            endpoint: job.endpoint.config.id,
            reason: e.reason,
            ...(err instanceof DataError ? {} : { err })
          },
          'data: staging failed'
        );
      }
      this._publish(job, true);
      const entry = this._entryOfJob(job);
      // Kept so the panel and a waiting kernel see why (until staged again or deleted).
      if (e.status !== 499) {
        this._failed.set(job.id, entry);
      }
      return entry;
    } finally {
      this._release();
    }
  }

  private async _download(job: IJob, done: Set<number>): Promise<void> {
    const config = this._options.config;
    await this._makeRoom(job);
    const files = entryFiles(config.dir, job.id, job.ext);
    const expectation = await this._expectation(job);
    const layout = rangeLayout(expectation, config.chunkBytes);
    if (layout.chunkBytes !== job.chunkBytes) {
      // Chunks of another size (an older configuration) cannot be resumed.
      done.clear();
      job.chunkBytes = layout.chunkBytes;
    }
    job.state = 'downloading';
    job.bytes = this._doneBytes(done, job.size, job.chunkBytes);
    job.meter.sample(job.bytes);
    this._index.set(this._partialEntry(job, [...done]));
    this._publish(job, true);
    const mismatch = await downloadObject({
      s3: job.endpoint.s3,
      bucket: job.bucket,
      key: job.key,
      etag: job.etag,
      size: job.size,
      file: files.partial,
      chunkBytes: job.chunkBytes,
      connections: config.connections,
      done,
      expectation,
      pool: this._pool,
      signal: job.abort.signal,
      onBytes: delta => {
        job.bytes += delta;
        job.meter.sample(job.bytes);
        this._publish(job, false);
      },
      onChunkDone: () => {
        this._index.set(this._partialEntry(job, [...done]));
      }
    });
    if (mismatch) {
      await this._deleteFiles(this._partialEntry(job, []));
      this._index.delete(job.id);
      throw new DataError(
        502,
        `the staged copy is corrupt and was deleted: ${mismatch}`
      );
    }
    await rename(files.partial, files.ready);
    job.state = 'ready';
    job.verified = expectation.kind;
    job.bytes = job.size;
    this._index.set({
      id: job.id,
      endpoint: job.endpoint.config.id,
      bucket: job.bucket,
      key: job.key,
      etag: job.etag,
      size: job.size,
      ext: job.ext,
      state: 'ready',
      verified: job.verified,
      createdAt: job.createdAt,
      lastUsedAt: Date.now()
    });
    await this._index.save();
    this._publish(job, true);
  }

  /** What to check the copy against (a multipart ETag needs the first part's size). */
  private async _expectation(job: IJob): Promise<Expectation> {
    let partSize: number | undefined;
    if (/-\d+$/.test(job.etag)) {
      try {
        const out = await job.endpoint.s3.send(
          new HeadObjectCommand({
            Bucket: job.bucket,
            Key: job.key,
            PartNumber: 1
          })
        );
        partSize = out.ContentLength;
      } catch {
        partSize = undefined;
      }
    }
    return expectationFor(job.etag, job.size, job.metadata, partSize);
  }

  /** Evict least recently used entries until this job fits under the quota. */
  private async _makeRoom(job: IJob): Promise<void> {
    const candidates = this._index
      .all()
      .filter(e => e.id !== job.id)
      .map(e => ({
        id: e.id,
        size: e.size,
        lastUsedAt: e.lastUsedAt,
        active: this._jobs.has(e.id)
      }));
    for (const other of this._jobs.values()) {
      if (other !== job && !this._index.get(other.id)) {
        candidates.push({
          id: other.id,
          size: other.size,
          lastUsedAt: 0,
          active: true
        });
      }
    }
    const evict = chooseEvictions(
      candidates,
      job.size,
      this._options.config.quotaBytes
    );
    if (evict === undefined) {
      throw new DataError(
        503,
        'the cache is full of objects being staged; wait for them or raise the quota'
      );
    }
    for (const id of evict) {
      const entry = this._index.get(id);
      if (entry) {
        await this._deleteFiles(entry);
        this._index.delete(id);
        this._options.publish({ type: 'removed', id, reason: 'evicted' });
      }
    }
  }

  private _doneBytes(done: Set<number>, size: number, chunk: number): number {
    let bytes = 0;
    for (const index of done) {
      bytes += Math.max(0, Math.min(chunk, size - index * chunk));
    }
    return bytes;
  }

  private _partialEntry(job: IJob, doneChunks: number[]): IIndexEntry {
    return {
      id: job.id,
      endpoint: job.endpoint.config.id,
      bucket: job.bucket,
      key: job.key,
      etag: job.etag,
      size: job.size,
      ext: job.ext,
      state: 'partial',
      createdAt: job.createdAt,
      lastUsedAt: job.lastUsedAt,
      chunkBytes: job.chunkBytes,
      doneChunks: doneChunks.sort((a, b) => a - b)
    };
  }

  private async _deleteFiles(entry: IIndexEntry): Promise<void> {
    const files = entryFiles(this._options.config.dir, entry.id, entry.ext);
    await unlink(entry.state === 'ready' ? files.ready : files.partial).catch(
      () => undefined
    );
    if (entry.state === 'ready') {
      await unlink(files.partial).catch(() => undefined);
    }
  }

  private _usedBytes(): number {
    let used = 0;
    for (const e of this._index.all()) {
      used += e.state === 'ready' ? e.size : 0;
    }
    for (const job of this._jobs.values()) {
      used += job.bytes;
    }
    for (const e of this._index.all()) {
      if (e.state === 'partial' && !this._jobs.has(e.id)) {
        used += (e.doneChunks?.length ?? 0) * (e.chunkBytes ?? 0);
      }
    }
    return used;
  }

  private _publish(job: IJob, force: boolean): void {
    const now = Date.now();
    if (!force && now - job.lastPublished < PROGRESS_MS) {
      return;
    }
    job.lastPublished = now;
    const progress = this._progressOf(job);
    this._options.publish(progress);
    for (const listener of job.listeners) {
      listener(progress);
    }
  }

  private _progressOf(job: IJob): DataStageProgress {
    const rate = job.meter.rate();
    const files = entryFiles(this._options.config.dir, job.id, job.ext);
    return {
      type: 'stage',
      id: job.id,
      endpoint: job.endpoint.config.id,
      bucket: job.bucket,
      key: job.key,
      state: job.state,
      bytes: Math.max(0, job.bytes),
      size: job.size,
      rate,
      ...(job.state === 'downloading' && rate > 0
        ? { etaSeconds: Math.max(0, job.size - job.bytes) / rate }
        : {}),
      ...(job.state === 'ready' ? { localPath: files.ready } : {}),
      ...(job.error ? { error: job.error } : {})
    };
  }

  private _entryOfJob(job: IJob): DataStageEntry {
    const p = this._progressOf(job);
    return {
      id: job.id,
      endpoint: p.endpoint,
      bucket: job.bucket,
      key: job.key,
      etag: job.etag,
      state: job.state,
      bytes: p.bytes,
      size: job.size,
      ...(p.localPath ? { localPath: p.localPath } : {}),
      ...(job.verified ? { verified: job.verified } : {}),
      createdAt: job.createdAt,
      lastUsedAt: job.lastUsedAt,
      rate: p.rate,
      ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
      ...(job.error ? { error: job.error } : {})
    };
  }

  private _entryOfIndex(e: IIndexEntry): DataStageEntry {
    const files = entryFiles(this._options.config.dir, e.id, e.ext);
    const ready = e.state === 'ready';
    return {
      id: e.id,
      endpoint: e.endpoint,
      bucket: e.bucket,
      key: e.key,
      etag: e.etag,
      state: ready ? 'ready' : 'failed',
      bytes: ready ? e.size : (e.doneChunks?.length ?? 0) * (e.chunkBytes ?? 0),
      size: e.size,
      ...(ready ? { localPath: files.ready } : {}),
      ...(e.verified ? { verified: e.verified } : {}),
      createdAt: e.createdAt,
      lastUsedAt: e.lastUsedAt,
      ...(ready ? {} : { error: 'interrupted: stage it again to resume' })
    };
  }

  private async _slot(signal: AbortSignal): Promise<void> {
    if (this._closing) {
      throw new DataError(503, 'the bridge is shutting down');
    }
    if (this._running < this._options.config.maxConcurrentStages) {
      this._running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const take = () => {
        signal.removeEventListener('abort', cancel);
        resolve();
      };
      const cancel = () => {
        const at = this._queue.indexOf(take);
        if (at >= 0) {
          this._queue.splice(at, 1);
        }
        reject(new DataError(499, 'the staging was cancelled'));
      };
      signal.addEventListener('abort', cancel, { once: true });
      this._queue.push(take);
    });
  }

  private _release(): void {
    const next = this._queue.shift();
    if (next) {
      next();
    } else {
      this._running--;
    }
  }

  private readonly _index: IndexStore;
  private readonly _pool: WorkerPool;
  private readonly _jobs = new Map<string, IJob>();
  private readonly _failed = new Map<string, DataStageEntry>();
  private readonly _queue: Array<() => void> = [];
  private _running = 0;
  private _closing = false;
}
