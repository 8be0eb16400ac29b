import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';
import type {
  BridgeIdentity,
  ClientLogRequest,
  HealthResponse,
  WhoAmIResponse
} from './schema';

/**
 * The state of the pushed-channels WebSocket.
 *
 * - `connecting`: a socket is opening or authenticating;
 * - `connected`: the bridge said `ready`;
 * - `disconnected`: no socket; a reconnection is scheduled unless the client was disposed.
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/**
 * A handler of one channel's pushed payloads.
 */
export type ChannelHandler<T = unknown> = (payload: T, channel: string) => void;

/**
 * Where bridge tickets come from: cached while young enough, refreshed before they expire.
 */
export interface ITicketSource {
  /**
   * A valid ticket (cached while young enough).
   */
  ticket(): Promise<string>;

  /**
   * A fresh ticket now.
   */
  refresh(): Promise<string>;

  /**
   * Emitted with each new ticket.
   */
  readonly refreshed: ISignal<unknown, string>;
}

/**
 * The client of the mlinfn bridge: REST calls with tickets and the pushed channels.
 * There is one per page, provided by `@mlinfn/common:client`.
 */
export interface IBridgeClient extends IDisposable {
  /**
   * The Jupyter server settings the client talks through.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The state of the pushed-channels WebSocket.
   */
  readonly state: ConnectionState;

  /**
   * Emitted when `state` changes.
   */
  readonly stateChanged: ISignal<IBridgeClient, ConnectionState>;

  /**
   * The identity the bridge verified on the WebSocket (`ready` message); `null` before.
   */
  readonly identity: BridgeIdentity | null;

  /**
   * The tickets this client calls the bridge with, for code that opens its own connections to
   * the bridge (the collaborative rooms).
   */
  readonly tickets: ITicketSource;

  /**
   * Open the pushed-channels WebSocket if it is not open (subscribing opens it too).
   */
  connect(): void;

  /**
   * Call the bridge's REST API with this client's tickets.
   *
   * @param endPoint - The path below the bridge root, e.g. `api/whoami`.
   * @param init - The request options.
   * @throws {BridgeError} on a non-2xx answer or when the bridge cannot be reached.
   */
  request<T>(endPoint: string, init?: RequestInit): Promise<T>;

  /**
   * The verified identity, its permissions and the bridge's mode and version.
   */
  whoami(): Promise<WhoAmIResponse>;

  /**
   * The bridge's health (`GET /healthz`, no ticket needed).
   */
  health(): Promise<HealthResponse>;

  /**
   * Write a front-end error to the bridge's log (`POST /api/log`). Never rejects: a report
   * that cannot be delivered is written to the browser console instead.
   *
   * @param error - The error (an `Error`, a string, or a full log request).
   * @param source - The plugin that reports.
   */
  reportError(
    error: unknown | ClientLogRequest,
    source?: string
  ): Promise<void>;

  /**
   * Receive the payloads pushed on a channel. Subscriptions are reference-counted: the bridge
   * is told once per channel, and told to stop when the last handler is disposed. They survive
   * reconnections.
   *
   * @param channel - The channel name, e.g. `system` or `metrics/gpu`.
   * @param handler - Called with each payload.
   * @returns A disposable that ends this subscription.
   */
  subscribe<T = unknown>(
    channel: string,
    handler: ChannelHandler<T>
  ): IDisposable;
}

/**
 * The command palette category of every command of the suite.
 */
export const PALETTE_CATEGORY = 'mlinfn';

/**
 * The bridge client token.
 */
export const IBridgeClient = new Token<IBridgeClient>(
  '@mlinfn/common:IBridgeClient',
  'The client of the mlinfn bridge: REST with tickets and the pushed-channels WebSocket.'
);
