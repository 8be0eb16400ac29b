/**
 * The pushed-channels WebSocket (`/ws`): authentication, subscriptions and the channel
 * registry that feature modules publish through (docs/protocol.md).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import {
  authenticate,
  authenticateTicket,
  AuthMode
} from '../auth/authenticate';
import { endWithError } from '../http/errors';
import type { IBridgeMetrics } from '../prometheus';
import { describeAjvError, wsMessageValidators } from '../schemas';
import type {
  BridgeIdentity,
  BridgeLimits,
  WsClientMessage,
  WsServerMessage
} from '../schema-types';

/** What a feature module tells the hub about one of its channels. */
export interface IChannelHandlers {
  /** Accept `name/<sub>` channel names as well as `name` itself. */
  sub?: boolean;
  /** Whether this user may subscribe (default: anyone authenticated). */
  authorize?(identity: BridgeIdentity, channel: string): boolean;
  /** The first socket subscribed to `channel`: start producing data. */
  onFirstSubscriber?(channel: string): void;
  /** The last socket left `channel`: stop producing data. */
  onLastUnsubscribe?(channel: string): void;
  /** The current state, sent to each new subscriber right after `subscribed`. */
  snapshot?(channel: string): unknown;
}

/** The hub's settings. */
export interface IHubOptions {
  mode: AuthMode;
  limits: Required<BridgeLimits>;
  logger: Logger;
  metrics: IBridgeMetrics;
  /** How long a new socket has to send `auth` (proxy mode). */
  authTimeoutMs?: number;
  /** How often sockets are pinged; one missed pong and the socket is dropped. */
  pingIntervalMs?: number;
}

/** WebSocket close codes the protocol uses. */
export const CLOSE = {
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  unauthorized: 4401
} as const;

/** A slow client with this much unsent data gets no further channel data until it drains. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface IClient {
  ws: WebSocket;
  identity: BridgeIdentity | null;
  /** Counted against the per-user socket cap. */
  admitted: boolean;
  alive: boolean;
  channels: Set<string>;
  authTimer?: NodeJS.Timeout;
  expiryTimer?: NodeJS.Timeout;
}

/** The WebSocket endpoint and the channel registry. */
export class Hub {
  constructor(options: IHubOptions) {
    this._options = options;
    this._wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.maxFrameBytes
    });
    this._pingTimer = setInterval(
      () => this._pingAll(),
      options.pingIntervalMs ?? 20_000
    );
    this._pingTimer.unref();
  }

  /** Open pushed-channel WebSockets. */
  get connections(): number {
    return this._clients.size;
  }

  /**
   * Register a channel (or a family `name/<sub>` with `handlers.sub`).
   *
   * @throws Error if the name is taken.
   */
  registerChannel(name: string, handlers: IChannelHandlers = {}): void {
    if (this._channels.has(name)) {
      throw new Error(`channel ${name} is already registered`);
    }
    this._channels.set(name, handlers);
  }

  /** Send `payload` to every subscriber of `channel`. */
  publish(channel: string, payload: unknown): void {
    const subscribers = this._subscribers.get(channel);
    if (!subscribers?.size) {
      return;
    }
    // Serialised once, whatever the number of subscribers.
    const text = JSON.stringify({ type: 'data', channel, payload });
    for (const client of subscribers) {
      if (client.ws.bufferedAmount < MAX_BUFFERED_BYTES) {
        this._sendText(client, text);
      }
    }
  }

  /** Take over an HTTP upgrade request (the server's 'upgrade' event). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', err =>
      this._options.logger.debug({ err }, 'upgrade socket error')
    );
    try {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/ws') {
        return endWithError(socket, 404, 'no WebSocket at this path');
      }
      let identity: BridgeIdentity | null = null;
      if (this._options.mode.kind === 'standalone') {
        const result = authenticate(req, this._options.mode, true);
        if (!result.ok) {
          return endWithError(socket, 401, result.reason);
        }
        identity = result.identity;
      }
      this._wss.handleUpgrade(req, socket, head, ws =>
        this._onConnection(ws, identity)
      );
    } catch (err) {
      this._options.logger.error({ err }, 'upgrade failed');
      endWithError(socket, 400, 'the WebSocket upgrade failed');
    }
  }

  /** Close every socket with 1001 and stop the timers. */
  async close(): Promise<void> {
    clearInterval(this._pingTimer);
    const closed = [...this._clients].map(
      client =>
        new Promise<void>(resolve => {
          client.ws.once('close', () => resolve());
          client.ws.close(CLOSE.goingAway, 'the bridge is shutting down');
          // A peer that never answers the close handshake is cut off.
          setTimeout(() => {
            client.ws.terminate();
            resolve();
          }, 1000).unref();
        })
    );
    await Promise.all(closed);
    await new Promise<void>(resolve => this._wss.close(() => resolve()));
  }

  private _onConnection(ws: WebSocket, identity: BridgeIdentity | null): void {
    const client: IClient = {
      ws,
      identity: null,
      admitted: false,
      alive: true,
      channels: new Set()
    };
    this._clients.add(client);
    this._options.metrics.wsConnections.set(this._clients.size);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', err =>
      this._options.logger.debug({ err }, 'WebSocket error')
    );
    ws.on('close', () => this._onClose(client));
    ws.on('message', (data, isBinary) => {
      try {
        this._onMessage(client, data, isBinary);
      } catch (err) {
        this._options.logger.error(
          { err },
          'WebSocket message handling failed'
        );
        this._send(client, { type: 'error', reason: 'internal error' });
      }
    });
    if (identity) {
      this._admit(client, identity);
    } else {
      client.authTimer = setTimeout(
        () => closeWith(ws, CLOSE.unauthorized, 'no auth message in time'),
        this._options.authTimeoutMs ?? 10_000
      );
    }
  }

  /** Count the socket against its user's cap and say `ready`. */
  private _admit(
    client: IClient,
    identity: BridgeIdentity,
    expiresAt?: number
  ): void {
    clearTimeout(client.authTimer);
    const count = this._perUser.get(identity.username) ?? 0;
    if (count >= this._options.limits.maxSocketsPerUser) {
      closeWith(
        client.ws,
        CLOSE.policy,
        'too many WebSockets open for this user'
      );
      return;
    }
    this._perUser.set(identity.username, count + 1);
    client.admitted = true;
    client.identity = identity;
    this._armExpiry(client, expiresAt);
    this._send(client, {
      type: 'ready',
      user: identity,
      serverTime: Date.now()
    });
  }

  /** Close the socket with 4401 when its ticket expires (plus the allowed skew). */
  private _armExpiry(client: IClient, expiresAt: number | undefined): void {
    clearTimeout(client.expiryTimer);
    if (expiresAt === undefined || this._options.mode.kind !== 'proxy') {
      return;
    }
    const skew = this._options.mode.policy.skewSeconds ?? 5;
    const delay = Math.min(
      Math.max((expiresAt + skew) * 1000 - Date.now(), 0),
      2 ** 31 - 1
    );
    client.expiryTimer = setTimeout(
      () => closeWith(client.ws, CLOSE.unauthorized, 'the ticket expired'),
      delay
    );
  }

  private _onMessage(client: IClient, data: RawData, isBinary: boolean): void {
    this._options.metrics.wsMessages.inc({ direction: 'in' });
    if (isBinary) {
      return this._error(client, 'send text frames holding JSON');
    }
    let message: unknown;
    try {
      message = JSON.parse(rawText(data));
    } catch {
      return this._error(client, 'the message is not valid JSON');
    }
    const type = (message as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !Object.hasOwn(wsMessageValidators, type)) {
      return this._error(client, 'unknown message type');
    }
    const validate = wsMessageValidators[type as WsClientMessage['type']];
    if (!validate(message)) {
      return this._error(
        client,
        describeAjvError(validate.errors, 'the message')
      );
    }
    this._dispatch(client, message);
  }

  private _dispatch(client: IClient, message: WsClientMessage): void {
    if (message.type === 'auth') {
      if (client.identity) {
        return this._error(client, 'already authenticated');
      }
      const result = authenticateTicket(message.ticket, this._options.mode);
      if (!result.ok) {
        return closeWith(client.ws, CLOSE.unauthorized, result.reason);
      }
      return this._admit(client, result.identity, result.expiresAt);
    }
    if (!client.identity) {
      return this._error(client, 'send an auth message first');
    }
    switch (message.type) {
      case 'ticket': {
        const result = authenticateTicket(message.ticket, this._options.mode);
        if (!result.ok) {
          // The current ticket stays in force until it expires: the client may retry.
          return this._error(client, `ticket refused: ${result.reason}`);
        }
        if (result.identity.username !== client.identity.username) {
          return closeWith(
            client.ws,
            CLOSE.unauthorized,
            'the ticket names another user'
          );
        }
        client.identity = result.identity;
        return this._armExpiry(client, result.expiresAt);
      }
      case 'subscribe':
        return this._subscribe(client, message.channel);
      case 'unsubscribe':
        return this._unsubscribe(client, message.channel);
    }
  }

  private _subscribe(client: IClient, channel: string): void {
    const handlers = this._lookup(channel);
    if (!handlers) {
      return this._error(client, 'unknown channel', channel);
    }
    if (handlers.authorize && !handlers.authorize(client.identity!, channel)) {
      return this._error(client, 'not permitted', channel);
    }
    if (!client.channels.has(channel)) {
      client.channels.add(channel);
      const subscribers = this._subscribers.get(channel) ?? new Set<IClient>();
      subscribers.add(client);
      this._subscribers.set(channel, subscribers);
      if (subscribers.size === 1) {
        handlers.onFirstSubscriber?.(channel);
      }
    }
    this._send(client, { type: 'subscribed', channel });
    if (handlers.snapshot) {
      this._send(client, {
        type: 'data',
        channel,
        payload: handlers.snapshot(channel)
      });
    }
  }

  private _unsubscribe(client: IClient, channel: string): void {
    if (!client.channels.delete(channel)) {
      return;
    }
    const subscribers = this._subscribers.get(channel);
    subscribers?.delete(client);
    if (!subscribers?.size) {
      this._subscribers.delete(channel);
      this._lookup(channel)?.onLastUnsubscribe?.(channel);
    }
  }

  /** The handlers for `name` or, for `name/sub`, those of a family registered with `sub`. */
  private _lookup(channel: string): IChannelHandlers | undefined {
    const exact = this._channels.get(channel);
    if (exact) {
      return exact;
    }
    const slash = channel.indexOf('/');
    if (slash < 0) {
      return undefined;
    }
    const family = this._channels.get(channel.slice(0, slash));
    return family?.sub ? family : undefined;
  }

  private _onClose(client: IClient): void {
    clearTimeout(client.authTimer);
    clearTimeout(client.expiryTimer);
    for (const channel of [...client.channels]) {
      this._unsubscribe(client, channel);
    }
    if (client.admitted && client.identity) {
      const name = client.identity.username;
      const left = (this._perUser.get(name) ?? 1) - 1;
      if (left > 0) {
        this._perUser.set(name, left);
      } else {
        this._perUser.delete(name);
      }
    }
    this._clients.delete(client);
    this._options.metrics.wsConnections.set(this._clients.size);
  }

  /** Drop sockets that missed the last ping, ping the others. */
  private _pingAll(): void {
    for (const client of this._clients) {
      if (!client.alive) {
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }

  private _error(client: IClient, reason: string, channel?: string): void {
    this._send(
      client,
      channel ? { type: 'error', reason, channel } : { type: 'error', reason }
    );
  }

  private _send(client: IClient, message: WsServerMessage): void {
    this._sendText(client, JSON.stringify(message));
  }

  private _sendText(client: IClient, text: string): void {
    if (client.ws.readyState === WebSocket.OPEN) {
      client.ws.send(text);
      this._options.metrics.wsMessages.inc({ direction: 'out' });
    }
  }

  private readonly _options: IHubOptions;
  private readonly _wss: WebSocketServer;
  private readonly _pingTimer: NodeJS.Timeout;
  private readonly _clients = new Set<IClient>();
  private readonly _channels = new Map<string, IChannelHandlers>();
  private readonly _subscribers = new Map<string, Set<IClient>>();
  private readonly _perUser = new Map<string, number>();
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.from(data as Buffer | ArrayBuffer).toString('utf8');
}

/** Close with a reason cut to the 123 bytes a close frame can carry. */
function closeWith(ws: WebSocket, code: number, reason: string): void {
  let text = reason;
  while (Buffer.byteLength(text) > 123) {
    text = text.slice(0, -1);
  }
  ws.close(code, text);
}
