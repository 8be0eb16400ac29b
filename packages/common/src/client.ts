import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { ChannelConnection } from './channels';
import { requestAPI } from './request';
import type {
  BridgeIdentity,
  ClientLogRequest,
  HealthResponse,
  WhoAmIResponse
} from './schema';
import { TicketManager } from './ticket';
import { ChannelHandler, ConnectionState, IBridgeClient } from './tokens';

/**
 * The client of the mlinfn bridge: one `TicketManager`, `requestAPI` for REST and one
 * `ChannelConnection` for the pushed channels.
 */
export class BridgeClient implements IBridgeClient {
  /**
   * Create a bridge client. Its WebSocket opens on `connect()` or the first `subscribe()`.
   */
  constructor(options: BridgeClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._translator = options.translator ?? nullTranslator;
    this.tickets =
      options.tickets ??
      new TicketManager({
        serverSettings: this.serverSettings,
        translator: this._translator
      });
    this.channels =
      options.channels ??
      new ChannelConnection({
        serverSettings: this.serverSettings,
        tickets: this.tickets
      });
    this.channels.stateChanged.connect(this._onStateChanged, this);
  }

  /**
   * The Jupyter server settings.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The ticket manager.
   */
  readonly tickets: TicketManager;

  /**
   * The pushed-channels connection.
   */
  readonly channels: ChannelConnection;

  /**
   * The state of the pushed-channels WebSocket.
   */
  get state(): ConnectionState {
    return this.channels.connectionState;
  }

  /**
   * Emitted when `state` changes.
   */
  get stateChanged(): ISignal<this, ConnectionState> {
    return this._stateChanged;
  }

  /**
   * The identity from the WebSocket's `ready` message; `null` before.
   */
  get identity(): BridgeIdentity | null {
    return this.channels.identity;
  }

  /**
   * Whether the client has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Open the pushed-channels WebSocket.
   */
  connect(): void {
    this.channels.connect();
  }

  /**
   * Call the bridge's REST API with this client's tickets.
   */
  request<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
    return requestAPI<T>(endPoint, init, this.serverSettings, {
      tickets: this.tickets,
      translator: this._translator
    });
  }

  /**
   * `GET /api/whoami`: the verified identity, permissions, mode and version.
   */
  whoami(): Promise<WhoAmIResponse> {
    return this.request<WhoAmIResponse>('api/whoami');
  }

  /**
   * `GET /healthz`: needs no ticket, so it answers even when tickets cannot be had.
   */
  health(): Promise<HealthResponse> {
    return requestAPI<HealthResponse>('healthz', {}, this.serverSettings, {
      tickets: null,
      translator: this._translator
    });
  }

  /**
   * `POST /api/log`: write a front-end error to the bridge's log. Never rejects.
   */
  async reportError(
    error: unknown | ClientLogRequest,
    source?: string
  ): Promise<void> {
    const body = Private.toLogRequest(error, source);
    try {
      await this.request<void>('api/log', {
        method: 'POST',
        body: JSON.stringify(body)
      });
    } catch (reason) {
      console.warn(
        'mlinfn: could not report an error to the bridge',
        body,
        reason
      );
    }
  }

  /**
   * Receive the payloads pushed on a channel (reference-counted, survives reconnections).
   */
  subscribe<T = unknown>(
    channel: string,
    handler: ChannelHandler<T>
  ): IDisposable {
    return this.channels.subscribe<T>(channel, handler);
  }

  /**
   * Close the WebSocket and stop refreshing tickets.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.channels.dispose();
    this.tickets.dispose();
    Signal.clearData(this);
  }

  private _onStateChanged(
    _sender: ChannelConnection,
    state: ConnectionState
  ): void {
    this._stateChanged.emit(state);
  }

  private _translator: ITranslator;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, ConnectionState>(this);
}

/**
 * The namespace for `BridgeClient` statics.
 */
export namespace BridgeClient {
  /**
   * Options to create a bridge client.
   */
  export interface IOptions {
    /**
     * The Jupyter server settings; by default `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * The translator for error messages.
     */
    translator?: ITranslator;

    /**
     * A ticket manager to share (by default the client makes its own).
     */
    tickets?: TicketManager;

    /**
     * A channel connection to use (by default the client makes its own).
     */
    channels?: ChannelConnection;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  const MAX_MESSAGE = 2000;

  /**
   * Turn whatever was thrown into a log request that the bridge's schema accepts.
   */
  export function toLogRequest(
    error: unknown,
    source?: string
  ): ClientLogRequest {
    if (isLogRequest(error)) {
      return {
        ...error,
        message: clip(error.message) || 'error',
        ...(source && !error.source ? { source: clip(source, 200) } : {})
      };
    }
    let message: string;
    const details: NonNullable<ClientLogRequest['details']> = {};
    if (error instanceof Error) {
      message = error.message || error.name;
      details.name = error.name;
      if (error.stack) {
        details.stack = clip(error.stack);
      }
    } else {
      message = typeof error === 'string' ? error : safeString(error);
    }
    return {
      level: 'error',
      message: clip(message) || 'error',
      ...(source ? { source: clip(source, 200) } : {}),
      details
    };
  }

  export function isLogRequest(value: unknown): value is ClientLogRequest {
    const v = value as ClientLogRequest | null;
    return (
      !!v &&
      typeof v === 'object' &&
      !(v instanceof Error) &&
      typeof v.message === 'string' &&
      (v.level === 'error' || v.level === 'warn' || v.level === 'info')
    );
  }

  export function safeString(value: unknown): string {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }

  export function clip(text: string, max = MAX_MESSAGE): string {
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }
}
