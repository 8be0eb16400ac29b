import type {
  DataCacheResponse,
  DataChannelMessage,
  DataStageEntry,
  DataStageProgress,
  IBridgeClient
} from '@mlinfn/common';
import { ProgressModel } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DataApi } from '../api';

/**
 * A staging in progress (or just finished or failed), with its progress.
 */
export interface IStaging {
  /** The cache entry id. */
  readonly id: string;
  /** The latest state pushed by the bridge. */
  readonly entry: Readonly<DataStageProgress>;
  /** Bytes, rate and time left. */
  readonly progress: ProgressModel;
}

/**
 * The local cache: the stagings under way (live from the bridge's `data` channel, whether the
 * panel or a kernel started them) and the staged entries (`GET /api/data/cache`).
 */
export class StagingModel implements IDisposable {
  /**
   * Create the model and subscribe to the `data` channel.
   */
  constructor(options: StagingModel.IOptions) {
    this.api = options.api;
    this._now = options.now;
    this._subscription = options.client.subscribe<DataChannelMessage>(
      'data',
      message => this._onMessage(message)
    );
  }

  /** The data API. */
  readonly api: DataApi;

  /**
   * Emitted when the stagings or the entries change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The stagings under way, oldest first (failed ones stay until dismissed).
   */
  get active(): ReadonlyArray<IStaging> {
    return [...this._active.values()];
  }

  /**
   * The entries of the cache (after the first `refresh()`), most recently used first.
   */
  get entries(): ReadonlyArray<DataStageEntry> {
    return this._entries;
  }

  /**
   * The cache's quota and use; `null` before the first `refresh()`.
   */
  get usage(): Pick<
    DataCacheResponse,
    'quotaBytes' | 'usedBytes' | 'dir'
  > | null {
    return this._usage;
  }

  /**
   * Bytes done and total of the stagings downloading now (for the status bar).
   */
  get totals(): { count: number; bytes: number; size: number } {
    let count = 0;
    let bytes = 0;
    let size = 0;
    for (const s of this._active.values()) {
      if (Private.RUNNING.has(s.entry.state)) {
        count++;
        bytes += s.entry.bytes;
        size += s.entry.size;
      }
    }
    return { count, bytes, size };
  }

  /**
   * The error of the last `refresh()`, if it failed.
   */
  get error(): unknown {
    return this._error;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch the cache's entries.
   */
  async refresh(): Promise<void> {
    try {
      const cache = await this.api.cache();
      this._entries = [...cache.entries]
        .filter(e => e.state === 'ready')
        .sort((a, b) => b.lastUsedAt - a.lastUsedAt);
      this._usage = {
        dir: cache.dir,
        quotaBytes: cache.quotaBytes,
        usedBytes: cache.usedBytes
      };
      this._error = null;
    } catch (error) {
      this._error = error;
    }
    this._emit();
  }

  /**
   * Stage an object. Resolves with the entry as the bridge first answers it (ready at once
   * when it was cached); progress follows on the channel.
   */
  async stage(
    endpoint: string,
    bucket: string,
    key: string
  ): Promise<DataStageEntry> {
    const entry = await this.api.stage({ endpoint, bucket, key });
    if (entry.state === 'ready') {
      void this.refresh();
    } else {
      this._update({
        type: 'stage',
        id: entry.id,
        endpoint: entry.endpoint,
        bucket: entry.bucket,
        key: entry.key,
        state: entry.state,
        bytes: entry.bytes,
        size: entry.size,
        rate: entry.rate ?? 0
      });
    }
    return entry;
  }

  /**
   * Remove an entry (a staging under way is cancelled).
   */
  async remove(id: string): Promise<void> {
    await this.api.removeCached(id);
    this._drop(id);
  }

  /**
   * Forget a failed staging.
   */
  dismiss(id: string): void {
    const staging = this._active.get(id);
    if (staging && staging.entry.state === 'failed') {
      staging.progress.dispose();
      this._active.delete(id);
      this._emit();
    }
  }

  /**
   * The entry or staging of an object, if any.
   */
  find(
    endpoint: string,
    bucket: string,
    key: string
  ): DataStageEntry | IStaging | null {
    const match = (e: { endpoint: string; bucket: string; key: string }) =>
      e.endpoint === endpoint && e.bucket === bucket && e.key === key;
    return (
      this._entries.find(match) ??
      [...this._active.values()].find(s => match(s.entry)) ??
      null
    );
  }

  /**
   * Unsubscribe and dispose.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._subscription.dispose();
    for (const s of this._active.values()) {
      s.progress.dispose();
    }
    this._active.clear();
    Signal.clearData(this);
  }

  private _onMessage(message: DataChannelMessage): void {
    if (this._isDisposed) {
      return;
    }
    switch (message.type) {
      case 'snapshot':
        for (const stage of message.stages) {
          this._update(stage);
        }
        break;
      case 'stage':
        this._update(message);
        break;
      case 'removed':
        this._drop(message.id);
        break;
    }
  }

  private _update(entry: DataStageProgress): void {
    let staging = this._active.get(entry.id) as Private.IMutableStaging;
    if (!staging) {
      staging = {
        id: entry.id,
        entry,
        progress: new ProgressModel({
          total: entry.size,
          label: entry.key,
          now: this._now
        })
      };
      this._active.set(entry.id, staging);
    }
    staging.entry = entry;
    staging.progress.update(entry.bytes, entry.size, entry.rate || undefined);
    staging.progress.indeterminate = entry.state === 'queued';
    if (entry.state === 'ready') {
      // Done: it moves to the entries.
      staging.progress.dispose();
      this._active.delete(entry.id);
      void this.refresh();
    }
    this._emit();
  }

  private _drop(id: string): void {
    const staging = this._active.get(id);
    if (staging) {
      staging.progress.dispose();
      this._active.delete(id);
    }
    this._entries = this._entries.filter(e => e.id !== id);
    this._emit();
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _active = new Map<string, IStaging>();
  private _entries: DataStageEntry[] = [];
  private _usage: StagingModel['usage'] = null;
  private _error: unknown = null;
  private _subscription: IDisposable;
  private _now: (() => number) | undefined;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `StagingModel` statics.
 */
export namespace StagingModel {
  /**
   * Options to create the model.
   */
  export interface IOptions {
    /** The data API. */
    api: DataApi;
    /** The bridge client (for the `data` channel). */
    client: Pick<IBridgeClient, 'subscribe'>;
    /** The clock, in ms (for tests). */
    now?: () => number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * States of a staging that is still working.
   */
  export const RUNNING = new Set(['queued', 'downloading', 'verifying']);

  /**
   * A staging whose entry this model replaces.
   */
  export interface IMutableStaging extends IStaging {
    entry: DataStageProgress;
  }
}
