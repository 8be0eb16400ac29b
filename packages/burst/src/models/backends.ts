/**
 * The backend list: where a cell can be sent, from `GET /api/burst/backends`.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type {
  BurstBackendInfo,
  BurstBackendsResponse,
  IBridgeClient
} from '@mlinfn/common';
import { BridgeError } from '@mlinfn/common';
import { ISignal, Signal } from '@lumino/signaling';
import { BurstListState, IBurstBackendList } from '../tokens';

/**
 * The backends the bridge offers, optionally without some (the `hiddenBackends` setting).
 */
export class BurstBackendList implements IBurstBackendList {
  /**
   * Create the list; it loads on `refresh()`.
   */
  constructor(options: BurstBackendList.IOptions) {
    this._client = options.client;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
  }

  get backends(): ReadonlyArray<BurstBackendInfo> {
    return this._all.filter(b => !this._hidden.has(b.id));
  }

  get defaultBackend(): string | null {
    const visible = this.backends;
    if (visible.some(b => b.id === this._default)) {
      return this._default;
    }
    return visible[0]?.id ?? null;
  }

  get state(): BurstListState {
    return this._state;
  }

  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get(id: string): BurstBackendInfo | undefined {
    return this.backends.find(b => b.id === id);
  }

  /**
   * Hide some backends by id (a site or user setting).
   */
  setHidden(ids: ReadonlyArray<string>): void {
    this._hidden = new Set(ids);
    this._changed.emit();
  }

  async refresh(): Promise<void> {
    this._state = 'loading';
    this._changed.emit();
    try {
      const answer =
        await this._client.request<BurstBackendsResponse>('api/burst/backends');
      this._all = answer.backends;
      this._default = answer.defaultBackend;
      this._state = 'live';
      this._error = null;
    } catch (error) {
      this._state = 'error';
      this._error =
        error instanceof BridgeError
          ? error.reason
          : this._trans.__(
              'The burst backends could not be loaded: %1',
              String(error)
            );
    }
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _client: IBridgeClient;
  private _trans: ReturnType<ITranslator['load']>;
  private _all: BurstBackendInfo[] = [];
  private _default: string | null = null;
  private _hidden = new Set<string>();
  private _state: BurstListState = 'loading';
  private _error: string | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `BurstBackendList` statics.
 */
export namespace BurstBackendList {
  /**
   * Options to create the list.
   */
  export interface IOptions {
    /**
     * The bridge client.
     */
    client: IBridgeClient;

    /**
     * The translator for the messages.
     */
    translator?: ITranslator;
  }
}
