import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { BridgeError } from '../errors';
import type { HealthResponse, WhoAmIResponse } from '../schema';
import { IBridgeClient } from '../tokens';

/**
 * What the bridge status dialog shows: the connection state, and `whoami` and `healthz`
 * loaded together; `error` holds the one-sentence reason when either fails.
 */
export class BridgeStatusModel implements IDisposable {
  /**
   * Create the model for a client. Call `load()` to fetch.
   */
  constructor(client: IBridgeClient) {
    this.client = client;
    client.stateChanged.connect(this._emit, this);
  }

  /**
   * The bridge client.
   */
  readonly client: IBridgeClient;

  /**
   * Emitted on every change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether the model is loading.
   */
  get loading(): boolean {
    return this._loading;
  }

  /**
   * The verified identity, mode and version; `null` until loaded.
   */
  get whoami(): WhoAmIResponse | null {
    return this._whoami;
  }

  /**
   * The bridge's health; `null` until loaded.
   */
  get health(): HealthResponse | null {
    return this._health;
  }

  /**
   * The reason the last load failed; `null` when it did not.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch `whoami` and `healthz` (again).
   */
  async load(): Promise<void> {
    this._loading = true;
    this._error = null;
    this._emit();
    try {
      const [health, whoami] = await Promise.all([
        this.client.health(),
        this.client.whoami()
      ]);
      this._health = health;
      this._whoami = whoami;
    } catch (error) {
      this._error = BridgeError.isBridgeError(error)
        ? error.reason
        : String((error as Error)?.message ?? error);
    } finally {
      this._loading = false;
      this._emit();
    }
  }

  /**
   * Dispose of the model.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.client.stateChanged.disconnect(this._emit, this);
    Signal.clearData(this);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _loading = false;
  private _whoami: WhoAmIResponse | null = null;
  private _health: HealthResponse | null = null;
  private _error: string | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
