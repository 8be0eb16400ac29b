import type {
  DataBucket,
  DataEndpoint,
  DataObjectDetails,
  DataPresignResponse,
  IBridgeClient
} from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DataApi } from './api';
import { SIGV4_MAX_SECONDS } from './expiry';
import { ListingModel } from './models/listing';
import { MountsModel } from './models/mounts';
import { StagingModel } from './models/staging';
import { IUploadSource, UploadModel } from './models/upload';
import { DEFAULT_SETTINGS, IDataSettings } from './settings';

/**
 * Where a part of the panel stands: nothing asked yet, loading, loaded, or failed.
 */
export type LoadState = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The Data panel's model: the endpoints and their buckets, the listing being browsed, the
 * selected object, the uploads, the cache and the mounts. Views render from it; commands act
 * on it.
 */
export class DataModel implements IDisposable {
  /**
   * Create the model.
   */
  constructor(options: DataModel.IOptions) {
    this.client = options.client;
    this.api = options.api ?? new DataApi(options.client);
    this.staging = new StagingModel({ api: this.api, client: options.client });
    this.mounts = new MountsModel({ api: this.api });
    this._settings = { ...DEFAULT_SETTINGS, ...options.settings };
  }

  /** The bridge client. */
  readonly client: Pick<IBridgeClient, 'request' | 'subscribe'>;
  /** The data API. */
  readonly api: DataApi;
  /** The cache and the stagings. */
  readonly staging: StagingModel;
  /** The mounts. */
  readonly mounts: MountsModel;

  /**
   * Emitted when the endpoints, the selection, the buckets or the uploads change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the listing is replaced (another bucket); the listing's own `changed` tells
   * about its pages.
   */
  get listingChanged(): ISignal<this, ListingModel | null> {
    return this._listingChanged;
  }

  /**
   * The user settings.
   */
  get settings(): Readonly<IDataSettings> {
    return this._settings;
  }

  /**
   * The configured endpoints (after `load()`).
   */
  get endpoints(): ReadonlyArray<DataEndpoint> {
    return this._endpoints;
  }

  /**
   * Where the endpoints stand, and their error.
   */
  get endpointsState(): LoadState {
    return this._endpointsState;
  }
  get endpointsError(): unknown {
    return this._endpointsError;
  }

  /**
   * The selected endpoint, if any.
   */
  get endpoint(): DataEndpoint | null {
    return this._endpoints.find(e => e.id === this._endpointId) ?? null;
  }

  /**
   * The buckets of the selected endpoint, where they stand and their error.
   */
  get buckets(): ReadonlyArray<DataBucket> {
    return this._buckets;
  }
  get bucketsState(): LoadState {
    return this._bucketsState;
  }
  get bucketsError(): unknown {
    return this._bucketsError;
  }

  /**
   * The bucket being browsed, if any.
   */
  get bucket(): string | null {
    return this._listing?.bucket ?? null;
  }

  /**
   * The listing of the bucket being browsed.
   */
  get listing(): ListingModel | null {
    return this._listing;
  }

  /**
   * The selected object's details (its HEAD), where they stand and their error.
   */
  get selected(): DataObjectDetails | null {
    return this._selected;
  }
  get selectedKey(): string | null {
    return this._selectedKey;
  }
  get selectedState(): LoadState {
    return this._selectedState;
  }
  get selectedError(): unknown {
    return this._selectedError;
  }

  /**
   * The uploads of this page, newest first.
   */
  get uploads(): ReadonlyArray<UploadModel> {
    return this._uploads;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Change some settings.
   */
  updateSettings(settings: Partial<IDataSettings>): void {
    this._settings = { ...this._settings, ...settings };
    if (this._listing) {
      this._listing.pageSize = this._settings.pageSize;
    }
    this._changed.emit();
  }

  /**
   * Fetch the endpoints; with exactly one, select it.
   */
  async load(): Promise<void> {
    this._endpointsState = 'loading';
    this._changed.emit();
    try {
      const answer = await this.api.endpoints();
      this._endpoints = answer.endpoints;
      this._endpointsState = 'ready';
      this._endpointsError = null;
    } catch (error) {
      this._endpointsState = 'error';
      this._endpointsError = error;
    }
    this._changed.emit();
    const still = this._endpoints.some(e => e.id === this._endpointId);
    if (!still) {
      this._endpointId = null;
      this._setListing(null);
      // The first configured endpoint is open from the start (the site lists its main storage
      // first); the others are one choice away in the endpoint list.
      if (this._endpoints.length > 0) {
        await this.selectEndpoint(this._endpoints[0].id);
      }
    }
  }

  /**
   * Select an endpoint and fetch its buckets.
   */
  async selectEndpoint(id: string): Promise<void> {
    this._endpointId = id;
    this._setListing(null);
    this._buckets = [];
    this._bucketsState = 'loading';
    this._bucketsError = null;
    this._changed.emit();
    try {
      const answer = await this.api.buckets(id);
      if (this._endpointId !== id) {
        return;
      }
      this._buckets = answer.buckets;
      this._bucketsState = 'ready';
    } catch (error) {
      if (this._endpointId !== id) {
        return;
      }
      this._bucketsState = 'error';
      this._bucketsError = error;
    }
    this._changed.emit();
  }

  /**
   * Browse a bucket of the selected endpoint, from its top or a folder.
   */
  async openBucket(bucket: string, prefix = ''): Promise<void> {
    const endpoint = this._endpointId;
    if (!endpoint) {
      return;
    }
    const listing = new ListingModel({
      api: this.api,
      endpoint,
      bucket,
      prefix,
      pageSize: this._settings.pageSize
    });
    this._setListing(listing);
    await listing.open(prefix);
  }

  /**
   * Leave the bucket for the endpoint's bucket list.
   */
  closeBucket(): void {
    this._setListing(null);
  }

  /**
   * Open a folder of the bucket being browsed.
   */
  async openFolder(prefix: string): Promise<void> {
    this._select(null);
    await this._listing?.open(prefix);
    this._changed.emit();
  }

  /**
   * Select an object and fetch its details.
   */
  async selectObject(key: string | null): Promise<void> {
    this._select(key);
    const listing = this._listing;
    if (key === null || !listing) {
      return;
    }
    this._selectedState = 'loading';
    this._changed.emit();
    try {
      const details = await this.api.object(
        listing.endpoint,
        listing.bucket,
        key
      );
      if (this._selectedKey !== key) {
        return;
      }
      this._selected = details;
      this._selectedState = 'ready';
    } catch (error) {
      if (this._selectedKey !== key) {
        return;
      }
      this._selectedState = 'error';
      this._selectedError = error;
    }
    this._changed.emit();
  }

  /**
   * A pre-signed link to the selected object (or `key`).
   *
   * @param method - GET to share a download, PUT to let someone upload.
   * @param expiresSeconds - The lifetime asked for; the answer says what it got.
   */
  presign(
    method: 'GET' | 'PUT',
    expiresSeconds: number,
    key?: string
  ): Promise<DataPresignResponse> {
    const listing = this._requireListing();
    const target = key ?? this._selectedKey;
    if (!target) {
      throw new Error('Select an object first.');
    }
    return this.api.presign(listing.endpoint, {
      bucket: listing.bucket,
      key: target,
      method,
      expiresSeconds: Math.max(
        1,
        Math.min(SIGV4_MAX_SECONDS, Math.round(expiresSeconds))
      ),
      ...(method === 'PUT' && this._selected?.contentType
        ? { contentType: this._selected.contentType }
        : {})
    });
  }

  /**
   * Stage the selected object (or `key`) into the cache.
   */
  stage(key?: string) {
    const listing = this._requireListing();
    const target = key ?? this._selectedKey;
    if (!target) {
      throw new Error('Select an object first.');
    }
    return this.staging.stage(listing.endpoint, listing.bucket, target);
  }

  /**
   * Upload files into the folder being browsed. Each becomes an `UploadModel`, started at once.
   *
   * @returns The uploads.
   */
  upload(
    files: ReadonlyArray<IUploadSource & { name: string; type?: string }>
  ): UploadModel[] {
    const listing = this._requireListing();
    const made = files.map(
      file =>
        new UploadModel({
          api: this.api,
          endpoint: listing.endpoint,
          bucket: listing.bucket,
          key: listing.prefix + file.name,
          source: file,
          contentType: file.type || undefined,
          concurrency: this._settings.uploadConcurrency,
          retries: this._settings.uploadRetries
        })
    );
    for (const upload of made) {
      this._uploads.unshift(upload);
      upload.changed.connect(this._onUploadChanged, this);
      void upload.start();
    }
    this._changed.emit();
    return made;
  }

  /**
   * Remove a finished, failed or cancelled upload from the list.
   */
  dismissUpload(upload: UploadModel): void {
    const index = this._uploads.indexOf(upload);
    if (index >= 0) {
      this._uploads.splice(index, 1);
      upload.dispose();
      this._changed.emit();
    }
  }

  /**
   * Dispose of the model and everything it owns.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._listing?.dispose();
    for (const upload of this._uploads) {
      upload.dispose();
    }
    this.staging.dispose();
    this.mounts.dispose();
    Signal.clearData(this);
  }

  private _onUploadChanged(upload: UploadModel): void {
    if (upload.state === 'done') {
      // Show the new object where it landed.
      const listing = this._listing;
      if (
        listing &&
        listing.endpoint === upload.endpoint &&
        listing.bucket === upload.bucket &&
        upload.key.startsWith(listing.prefix)
      ) {
        void listing.reload();
      }
    }
    this._changed.emit();
  }

  private _requireListing(): ListingModel {
    if (!this._listing) {
      throw new Error('Open a bucket first.');
    }
    return this._listing;
  }

  private _select(key: string | null): void {
    this._selectedKey = key;
    this._selected = null;
    this._selectedError = null;
    this._selectedState = 'idle';
    this._changed.emit();
  }

  private _setListing(listing: ListingModel | null): void {
    if (this._listing === listing) {
      return;
    }
    this._listing?.dispose();
    this._listing = listing;
    this._select(null);
    this._listingChanged.emit(listing);
    this._changed.emit();
  }

  private _settings: IDataSettings;
  private _endpoints: DataEndpoint[] = [];
  private _endpointsState: LoadState = 'idle';
  private _endpointsError: unknown = null;
  private _endpointId: string | null = null;
  private _buckets: DataBucket[] = [];
  private _bucketsState: LoadState = 'idle';
  private _bucketsError: unknown = null;
  private _listing: ListingModel | null = null;
  private _selected: DataObjectDetails | null = null;
  private _selectedKey: string | null = null;
  private _selectedState: LoadState = 'idle';
  private _selectedError: unknown = null;
  private _uploads: UploadModel[] = [];
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _listingChanged = new Signal<this, ListingModel | null>(this);
}

/**
 * The namespace for `DataModel` statics.
 */
export namespace DataModel {
  /**
   * Options to create the model.
   */
  export interface IOptions {
    /** The bridge client. */
    client: Pick<IBridgeClient, 'request' | 'subscribe'>;
    /** The data API (default: one on the client). */
    api?: DataApi;
    /** Initial settings. */
    settings?: Partial<IDataSettings>;
  }
}
