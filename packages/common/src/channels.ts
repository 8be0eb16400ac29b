import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { BRIDGE_PATH } from './request';
import type {
  BridgeIdentity,
  WsClientMessage,
  WsErrorMessage,
  WsServerMessage
} from './schema';
import { TicketManager } from './ticket';
import { ChannelHandler, ConnectionState } from './tokens';

/**
 * The one multiplexed WebSocket of a page to the bridge's pushed channels (`{wsUrl}mlinfn-bridge/ws`).
 *
 * It authenticates with a ticket as its first message, forwards every refreshed ticket,
 * keeps reference-counted channel subscriptions, and reconnects with capped exponential
 * backoff and jitter, authenticating and subscribing again. See docs/protocol.md.
 */
export class ChannelConnection implements IDisposable {
  /**
   * Create a channel connection. It opens on `connect()` or on the first `subscribe()`.
   */
  constructor(options: ChannelConnection.IOptions) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this.tickets = options.tickets;
    this._minDelay = options.minDelay ?? 1000;
    this._maxDelay = options.maxDelay ?? 30000;
    this._random = options.random ?? Math.random;
    this.tickets.refreshed.connect(this._onTicketRefreshed, this);
  }

  /**
   * The Jupyter server settings (`wsUrl`, `token`, `WebSocket`).
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The source of tickets.
   */
  readonly tickets: TicketManager;

  /**
   * The state of the connection.
   */
  get connectionState(): ConnectionState {
    return this._state;
  }

  /**
   * Emitted when `connectionState` changes.
   */
  get stateChanged(): ISignal<this, ConnectionState> {
    return this._stateChanged;
  }

  /**
   * The identity from the bridge's `ready` message; `null` before the first one.
   */
  get identity(): BridgeIdentity | null {
    return this._identity;
  }

  /**
   * Emitted with each `error` message from the bridge.
   */
  get errorReceived(): ISignal<this, WsErrorMessage> {
    return this._errorReceived;
  }

  /**
   * The channels that have at least one handler.
   */
  get channels(): string[] {
    return [...this._handlers.keys()];
  }

  /**
   * Whether the connection has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The URL of the WebSocket, with `?token=` only where JupyterLab's own sockets add it.
   */
  get url(): string {
    const settings = this.serverSettings;
    let url = URLExt.join(settings.wsUrl, BRIDGE_PATH, 'ws');
    if (settings.appendToken && settings.token) {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    return url;
  }

  /**
   * Open the socket now if it is not open or opening.
   */
  connect(): void {
    if (this._isDisposed || this._socket || this._opening) {
      return;
    }
    this._clearReconnect();
    void this._open();
  }

  /**
   * Receive the payloads pushed on `channel`.
   *
   * @param channel - A channel name (`^[a-z][a-z0-9-]{0,63}(/[A-Za-z0-9._-]{1,128})?$`).
   * @param handler - Called with each payload.
   * @returns A disposable ending this subscription; the bridge is told to stop when the last
   *   handler of the channel is gone.
   */
  subscribe<T = unknown>(
    channel: string,
    handler: ChannelHandler<T>
  ): IDisposable {
    if (this._isDisposed) {
      throw new Error('ChannelConnection is disposed');
    }
    if (!Private.CHANNEL_NAME.test(channel)) {
      throw new Error(`Invalid channel name: ${channel}`);
    }
    // Each subscription is its own entry, so one function may subscribe twice.
    const entry: Private.IEntry = { handler: handler as ChannelHandler };
    let entries = this._handlers.get(channel);
    if (!entries) {
      entries = new Set();
      this._handlers.set(channel, entries);
      if (this._state === 'connected') {
        this._send({ type: 'subscribe', channel });
      }
    }
    entries.add(entry);
    if (this._reconnectTimer === null) {
      // Open lazily; while a reconnection waits, its backoff stands.
      this.connect();
    }
    return new DisposableDelegate(() => {
      const current = this._handlers.get(channel);
      if (!current || !current.delete(entry)) {
        return;
      }
      if (current.size === 0) {
        this._handlers.delete(channel);
        if (this._state === 'connected') {
          this._send({ type: 'unsubscribe', channel });
        }
      }
    });
  }

  /**
   * Close the socket for good.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearReconnect();
    this.tickets.refreshed.disconnect(this._onTicketRefreshed, this);
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      Private.detach(socket);
      socket.close(1000, 'disposed');
    }
    this._handlers.clear();
    this._setState('disconnected');
    Signal.clearData(this);
  }

  private async _open(): Promise<void> {
    this._opening = true;
    this._setState('connecting');
    let ticket: string;
    try {
      ticket = await this.tickets.ticket();
    } catch (error) {
      this._opening = false;
      console.warn('mlinfn: no ticket for the bridge WebSocket', error);
      this._scheduleReconnect();
      return;
    }
    this._opening = false;
    if (this._isDisposed || this._socket) {
      return;
    }
    const WebSocketCtor = this.serverSettings.WebSocket;
    let socket: WebSocket;
    try {
      socket = new WebSocketCtor(this.url);
    } catch (error) {
      console.warn('mlinfn: cannot open the bridge WebSocket', error);
      this._scheduleReconnect();
      return;
    }
    this._socket = socket;
    this._authenticated = false;
    socket.onopen = () => {
      // The protocol wants the ticket first; the latest one, in case it was refreshed while
      // the socket opened.
      void this.tickets.ticket().then(
        fresh => {
          if (this._socket === socket) {
            this._authenticated = true;
            this._send({ type: 'auth', ticket: fresh });
          }
        },
        () => {
          if (this._socket === socket) {
            this._authenticated = true;
            this._send({ type: 'auth', ticket });
          }
        }
      );
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this._socket === socket) {
        this._onMessage(event.data);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this._socket === socket) {
        this._onClose(event.code);
      }
    };
    socket.onerror = () => {
      // A close event follows; reconnection happens there.
    };
  }

  private _onMessage(data: unknown): void {
    if (typeof data !== 'string') {
      return;
    }
    let message: WsServerMessage;
    try {
      message = JSON.parse(data) as WsServerMessage;
    } catch {
      console.warn('mlinfn: the bridge sent a message that is not JSON');
      return;
    }
    switch (message.type) {
      case 'ready':
        this._identity = message.user;
        this._attempt = 0;
        this._setState('connected');
        for (const channel of this._handlers.keys()) {
          this._send({ type: 'subscribe', channel });
        }
        break;
      case 'data': {
        const entries = this._handlers.get(message.channel);
        if (!entries) {
          return;
        }
        for (const entry of [...entries]) {
          try {
            entry.handler(message.payload, message.channel);
          } catch (error) {
            console.error(
              `mlinfn: a handler of channel "${message.channel}" failed`,
              error
            );
          }
        }
        break;
      }
      case 'error':
        console.warn(`mlinfn bridge: ${message.reason}`);
        this._errorReceived.emit(message);
        break;
      default:
        break;
    }
  }

  private _onClose(code: number): void {
    this._socket = null;
    this._authenticated = false;
    if (this._isDisposed) {
      return;
    }
    if (code === Private.CLOSE_TICKET) {
      // The bridge refused the ticket: make sure the next attempt carries a fresh one.
      void this.tickets.refresh().catch(() => undefined);
    }
    this._scheduleReconnect();
  }

  private _scheduleReconnect(): void {
    this._setState('disconnected');
    if (this._isDisposed) {
      return;
    }
    // Capped exponential backoff with "equal jitter": half fixed, half random.
    const base = Math.min(this._maxDelay, this._minDelay * 2 ** this._attempt);
    const delay = base / 2 + (this._random() * base) / 2;
    this._attempt++;
    this._clearReconnect();
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private _clearReconnect(): void {
    if (this._reconnectTimer !== null) {
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
    }
  }

  private _onTicketRefreshed(_sender: TicketManager, ticket: string): void {
    if (this._authenticated) {
      this._send({ type: 'ticket', ticket });
    }
  }

  private _send(message: WsClientMessage): void {
    const socket = this._socket;
    if (socket && socket.readyState === Private.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  private _setState(state: ConnectionState): void {
    if (this._state !== state) {
      this._state = state;
      this._stateChanged.emit(state);
    }
  }

  private _socket: WebSocket | null = null;
  private _opening = false;
  private _authenticated = false;
  private _state: ConnectionState = 'disconnected';
  private _identity: BridgeIdentity | null = null;
  private _handlers = new Map<string, Set<Private.IEntry>>();
  private _attempt = 0;
  private _reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private _minDelay: number;
  private _maxDelay: number;
  private _random: () => number;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, ConnectionState>(this);
  private _errorReceived = new Signal<this, WsErrorMessage>(this);
}

/**
 * The namespace for `ChannelConnection` statics.
 */
export namespace ChannelConnection {
  /**
   * Options to create a channel connection.
   */
  export interface IOptions {
    /**
     * The source of tickets.
     */
    tickets: TicketManager;

    /**
     * The Jupyter server settings; `serverSettings.WebSocket` is the constructor used.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * The first reconnection delay in ms (default 1000).
     */
    minDelay?: number;

    /**
     * The longest reconnection delay in ms (default 30000).
     */
    maxDelay?: number;

    /**
     * The random source for the jitter (default `Math.random`).
     */
    random?: () => number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The channel-name pattern of `schema/ws-client-message.schema.json`.
   */
  export const CHANNEL_NAME =
    /^[a-z][a-z0-9-]{0,63}(\/[A-Za-z0-9._-]{1,128})?$/;

  /**
   * The close code the bridge uses for a missing or expired ticket.
   */
  export const CLOSE_TICKET = 4401;

  /**
   * `WebSocket.OPEN`, which injected constructors may not define.
   */
  export const OPEN = 1;

  /**
   * One subscription.
   */
  export interface IEntry {
    handler: ChannelHandler;
  }

  /**
   * Stop listening to a socket that is being replaced or closed.
   */
  export function detach(socket: WebSocket): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
  }
}
