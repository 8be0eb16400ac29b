import type { DataObjectSummary, DataObjectsResponse } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DataApi } from '../api';

/**
 * One row of a listing: a folder (an S3 common prefix) or an object.
 */
export type ListingRow =
  | {
      kind: 'folder';
      /** The full prefix, ending in `/`. */
      prefix: string;
      /** The name shown: the prefix below the current folder. */
      name: string;
    }
  | {
      kind: 'object';
      /** The object. */
      object: DataObjectSummary;
      /** The name shown: the key below the current folder. */
      name: string;
    };

/**
 * A bucket's listing below one folder, fetched a page at a time with continuation tokens.
 *
 * Only the pages asked for are fetched (the list view asks as the user scrolls near the end,
 * or clicks "Load more"), and rows are kept in two flat arrays read by index, so a folder of
 * 100k+ keys is listed without ever building or rendering it all at once.
 */
export class ListingModel implements IDisposable {
  /**
   * Create a listing; nothing is fetched before `load()`.
   */
  constructor(options: ListingModel.IOptions) {
    this.api = options.api;
    this.endpoint = options.endpoint;
    this.bucket = options.bucket;
    this._prefix = options.prefix ?? '';
    this.pageSize = options.pageSize ?? 1000;
  }

  /**
   * The API the pages come from.
   */
  readonly api: DataApi;

  /**
   * The endpoint id.
   */
  readonly endpoint: string;

  /**
   * The bucket.
   */
  readonly bucket: string;

  /**
   * Keys asked for per page.
   */
  pageSize: number;

  /**
   * Emitted when rows, loading state or error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The current folder: a prefix ending in `/`, or `''` for the bucket's top.
   */
  get prefix(): string {
    return this._prefix;
  }

  /**
   * The filter: only names below the folder that start with it.
   */
  get filter(): string {
    return this._filter;
  }

  /**
   * The number of rows fetched so far (folders, then objects).
   */
  get count(): number {
    return this._folders.length + this._objects.length;
  }

  /**
   * The number of pages fetched for the current folder and filter.
   */
  get pages(): number {
    return this._pages;
  }

  /**
   * Whether another page can be fetched.
   */
  get hasMore(): boolean {
    return this._token !== null || this._pages === 0;
  }

  /**
   * Whether a page is on its way.
   */
  get loading(): boolean {
    return this._pending !== null;
  }

  /**
   * The error of the last page fetch; cleared by the next one.
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
   * The row at an index (folders first, then objects), or `undefined` past the end.
   */
  rowAt(index: number): ListingRow | undefined {
    const nFolders = this._folders.length;
    if (index < nFolders) {
      const prefix = this._folders[index];
      return { kind: 'folder', prefix, name: this._relative(prefix) };
    }
    const object = this._objects[index - nFolders];
    return object
      ? { kind: 'object', object, name: this._relative(object.key) }
      : undefined;
  }

  /**
   * Go to a folder (clears the filter) and fetch its first page.
   */
  open(prefix: string): Promise<void> {
    this._prefix = prefix;
    this._filter = '';
    return this.reload();
  }

  /**
   * Show only names that start with `filter` (S3 filters by prefix, server side) and fetch
   * the first page.
   */
  setFilter(filter: string): Promise<void> {
    if (filter === this._filter && this._pages > 0) {
      return Promise.resolve();
    }
    this._filter = filter;
    return this.reload();
  }

  /**
   * Drop what was fetched and fetch the first page again.
   */
  reload(): Promise<void> {
    this._generation++;
    this._folders = [];
    this._objects = [];
    this._token = null;
    this._pages = 0;
    this._error = null;
    this._pending = null;
    this._changed.emit();
    return this.loadMore();
  }

  /**
   * Fetch the next page, if there is one. Calls made while a page is on its way share it.
   */
  loadMore(): Promise<void> {
    if (this._isDisposed || !this.hasMore) {
      return Promise.resolve();
    }
    if (this._pending) {
      return this._pending;
    }
    const generation = this._generation;
    const query = {
      bucket: this.bucket,
      prefix: this._prefix + this._filter,
      delimiter: '/',
      maxKeys: this.pageSize,
      ...(this._token ? { continuationToken: this._token } : {})
    };
    this._error = null;
    const pending = this.api
      .objects(this.endpoint, query)
      .then(
        page => {
          if (generation === this._generation) {
            this._append(page);
          }
        },
        error => {
          if (generation === this._generation) {
            this._error = error;
          }
        }
      )
      .finally(() => {
        if (generation === this._generation && !this._isDisposed) {
          this._pending = null;
          this._changed.emit();
        }
      });
    this._pending = pending;
    this._changed.emit();
    return pending;
  }

  /**
   * Dispose of the model; pages still on their way are dropped.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._generation++;
    Signal.clearData(this);
  }

  private _append(page: DataObjectsResponse): void {
    // Folders and objects arrive sorted per page; a page's folders never repeat an earlier
    // page's, except that S3 may repeat the last prefix of a page at the start of the next.
    const seen = new Set(this._folders.slice(-1));
    for (const prefix of page.prefixes) {
      if (!seen.has(prefix)) {
        this._folders.push(prefix);
      }
    }
    for (const object of page.objects) {
      // The folder's own placeholder object ("dir/") is not a file.
      if (object.key !== this._prefix) {
        this._objects.push(object);
      }
    }
    this._token = page.nextContinuationToken ?? null;
    this._pages++;
  }

  private _relative(key: string): string {
    return key.startsWith(this._prefix) ? key.slice(this._prefix.length) : key;
  }

  private _prefix: string;
  private _filter = '';
  private _folders: string[] = [];
  private _objects: DataObjectSummary[] = [];
  private _token: string | null = null;
  private _pages = 0;
  private _pending: Promise<void> | null = null;
  private _error: unknown = null;
  private _generation = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `ListingModel` statics.
 */
export namespace ListingModel {
  /**
   * Options to create a listing.
   */
  export interface IOptions {
    /**
     * The data API.
     */
    api: DataApi;

    /**
     * The endpoint id.
     */
    endpoint: string;

    /**
     * The bucket.
     */
    bucket: string;

    /**
     * The folder to start in (default the bucket's top).
     */
    prefix?: string;

    /**
     * Keys per page (default 1000, S3's most).
     */
    pageSize?: number;
  }
}
