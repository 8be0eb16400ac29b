/**
 * The collaborative room server: y-websocket rooms at `/collab/<room>` on the bridge's HTTP
 * server, one Yjs document per file, each with an fsynced update log as its source of
 * truth (room.ts), saved to the file through the document layer (./document).
 *
 *     const collab = createCollabModule({ config, stateDir, rootDir, logger, registry,
 *                                         adapterFor, fileAgent, auth });
 *     server.on('upgrade', (req, socket, head) =>
 *       collab.handles(req.url) ? collab.handleUpgrade(req, socket, head) : hub...);
 *
 * The protocol is in docs/protocol.md ("Collaborative rooms").
 */
import { hasPermission } from '../auth/identity';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocket, WebSocketServer } from 'ws';
import {
  authenticate,
  authenticateTicket,
  AuthMode,
  AuthResult,
  TICKET_HEADER
} from '../auth/authenticate';
import { endWithError } from '../http/errors';
import { safeUrl } from '../logging';
import type { BridgeIdentity, CollabConfig } from '../schema-types';
import { resolveCollabConfig, ResolvedCollabConfig } from './config';
import { createCollabMetrics, ICollabMetrics } from './metrics';
import { CLOSE_CODE } from './protocol';
import { canWrite, Room } from './room';
import {
  IRoomName,
  isSameOrInside,
  normalizeRelativePath,
  roomFromUrlPath,
  RoomNameError,
  withPath
} from './room-name';
import { RoomStore, writeMeta } from './store';
import type {
  DocumentKind,
  IContentsEvent,
  IDocumentAdapter,
  IFileAgent
} from './types';

export type {
  DocumentKind,
  IContentsEvent,
  IDocumentAdapter,
  IFileAgent
} from './types';
export { resolveCollabConfig } from './config';
export type { ResolvedCollabConfig } from './config';

/** The URL prefix of rooms. */
export const COLLAB_PREFIX = '/collab/';

/** Everything the room server is made from. */
export interface ICollabModuleOptions {
  /** The `collab` config section as written (defaults are filled in here). */
  config?: CollabConfig;
  /** The bridge's local state dir; rooms live under `<stateDir>/<stateSubdir>`. */
  stateDir: string;
  /** The Jupyter root dir (the file agent works under it; logged for reference). */
  rootDir: string;
  logger: Logger;
  /** The bridge's Prometheus registry. */
  registry: Registry;
  /** The document layer's adapter factory (one adapter per room). */
  adapterFor(kind: DocumentKind): IDocumentAdapter;
  /** All file IO under the root dir. The module closes it in `close()`. */
  fileAgent: IFileAgent;
  /** How upgrades authenticate: tickets (proxy) or the bearer token (standalone). */
  auth: AuthMode;
}

/** The room server as the composition root sees it. */
export interface ICollabModule {
  /** Whether rooms are served (`collab.enabled`). */
  readonly enabled: boolean;
  /** Whether an upgrade request's URL is a room's (and rooms are enabled). */
  handles(url: string | undefined): boolean;
  /**
   * Take over an HTTP upgrade for `/collab/<room>`: authenticate (unless `identity` is
   * given), check the room name, then hand the WebSocket to its room.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    identity?: BridgeIdentity
  ): void;
  /**
   * A contents event from the Jupyter server: rename moves rooms (and their logs), delete
   * closes them and drops their state, save/create/upload (and copy, at its destination)
   * make the room compare the file with its last save.
   */
  onContentsEvent(event: IContentsEvent): Promise<void>;
  /** Compare every open room's file with its last save (events may have been missed). */
  checkAllRooms(): void;
  /** The loaded room of a name (tests, diagnostics). */
  room(name: string): Room | undefined;
  /** Open rooms. */
  readonly roomCount: number;
  /** Flush every log, save every room, close every socket (1001). */
  close(): Promise<void>;
}

/** Build the room server. */
export function createCollabModule(
  options: ICollabModuleOptions
): ICollabModule {
  return new CollabModule(options);
}

class CollabModule implements ICollabModule {
  constructor(options: ICollabModuleOptions) {
    this._options = options;
    this._config = resolveCollabConfig(options.config);
    this._logger = options.logger.child({ module: 'collab' });
    this._metrics = createCollabMetrics(options.registry);
    this._store = new RoomStore(
      path.join(options.stateDir, this._config.stateSubdir)
    );
    this._wss = new WebSocketServer({
      noServer: true,
      maxPayload: this._config.maxMessageBytes,
      perMessageDeflate: false
    });
  }

  get roomCount(): number {
    return this._rooms.size;
  }

  get enabled(): boolean {
    return this._config.enabled;
  }

  handles(url: string | undefined): boolean {
    if (!this._config.enabled) {
      return false;
    }
    const pathname = (url ?? '').split('?')[0];
    return pathname.startsWith(COLLAB_PREFIX) || pathname === '/collab';
  }

  room(name: string): Room | undefined {
    return this._rooms.get(name);
  }

  checkAllRooms(): void {
    for (const room of this._rooms.values()) {
      room.checkDiskSoon();
    }
  }

  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    identity?: BridgeIdentity
  ): void {
    socket.on('error', err =>
      this._logger.debug({ err }, 'room upgrade socket error')
    );
    const refuse = (status: number, reason: string, tag: string) => {
      this._metrics.refused.inc({ reason: tag });
      this._logger.info(
        { url: safeUrl(req.url), status, reason },
        'room connection refused'
      );
      endWithError(socket, status, reason);
    };
    try {
      if (this._closing) {
        return refuse(503, 'the bridge is shutting down', 'shutdown');
      }
      const raw = req.url ?? '';
      const query = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '';
      const pathname = raw.split('?')[0];
      if (!pathname.startsWith(COLLAB_PREFIX)) {
        return refuse(404, 'no room at this path', 'bad_room');
      }
      let room: IRoomName;
      try {
        room = roomFromUrlPath(pathname.slice(COLLAB_PREFIX.length));
      } catch (err) {
        if (err instanceof RoomNameError) {
          return refuse(err.status, err.message, 'bad_room');
        }
        throw err;
      }
      const params = new URLSearchParams(query);
      let expiresAt: number | undefined;
      if (!identity) {
        const result = this._authenticate(req, params);
        if (!result.ok) {
          return refuse(401, result.reason, 'unauthorized');
        }
        identity = result.identity;
        expiresAt = result.expiresAt;
      }
      if (!hasPermission(identity, 'contents', 'read')) {
        return refuse(
          403,
          'you may not read files on this server',
          'forbidden'
        );
      }
      const epoch = params.get('epoch') || undefined;
      if (epoch !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(epoch)) {
        return refuse(400, 'the epoch parameter is malformed', 'bad_epoch');
      }
      const who = identity;
      this._wss.handleUpgrade(req, socket, head, ws => {
        void this._onConnection(ws, who, room, epoch, expiresAt);
      });
    } catch (err) {
      this._logger.error({ err }, 'room upgrade failed');
      endWithError(socket, 400, 'the WebSocket upgrade failed');
    }
  }

  onContentsEvent(event: IContentsEvent): Promise<void> {
    // One event at a time, in order; a failure is logged, never thrown at the caller.
    this._events = this._events
      .then(() => this._onContentsEvent(event))
      .catch(err => this._logger.warn({ err, event }, 'contents event failed'));
    return this._events;
  }

  async close(): Promise<void> {
    if (this._closed) {
      return this._closed;
    }
    this._closing = true;
    this._closed = (async () => {
      await this._events;
      await Promise.all(
        [...this._rooms.values()].map(room => this._unload(room, 'shutdown'))
      );
      for (const ws of this._wss.clients) {
        ws.close(CLOSE_CODE.goingAway, 'the bridge is shutting down');
      }
      await new Promise<void>(resolve => this._wss.close(() => resolve()));
      await this._options.fileAgent
        .close()
        .catch(err =>
          this._logger.warn({ err }, 'closing the file agent failed')
        );
    })();
    return this._closed;
  }

  /** Ticket (`?ticket=` or the header) in proxy mode; bearer or `?token=` standalone. */
  private _authenticate(
    req: IncomingMessage,
    params: URLSearchParams
  ): AuthResult {
    const mode = this._options.auth;
    if (mode.kind === 'proxy') {
      const header = req.headers[TICKET_HEADER];
      const ticket =
        params.get('ticket') ?? (typeof header === 'string' ? header : null);
      if (!ticket) {
        return {
          ok: false,
          reason: 'send a ticket as the ticket URL parameter'
        };
      }
      return authenticateTicket(ticket, mode);
    }
    return authenticate(req, mode, true);
  }

  private async _onConnection(
    ws: WebSocket,
    identity: BridgeIdentity,
    name: IRoomName,
    epoch: string | undefined,
    expiresAt: number | undefined
  ): Promise<void> {
    ws.on('error', err => this._logger.debug({ err }, 'room socket error'));
    const user = identity.username;
    const count = this._perUser.get(user) ?? 0;
    if (count >= this._config.maxConnectionsPerUser) {
      this._metrics.refused.inc({ reason: 'user_limit' });
      ws.close(CLOSE_CODE.policy, 'too many room connections for this user');
      return;
    }
    this._perUser.set(user, count + 1);
    let joined = false;
    try {
      const room = await this._roomFor(name);
      if (ws.readyState !== WebSocket.OPEN) {
        return;
      }
      if (room.connectionCount >= this._config.maxConnectionsPerRoom) {
        this._metrics.refused.inc({ reason: 'room_limit' });
        ws.close(CLOSE_CODE.policy, 'this room is full');
        return;
      }
      room.join({
        ws,
        identity,
        readOnly: !canWrite(identity),
        epoch,
        expiresAt
      });
      joined = true;
    } catch (err) {
      this._logger.warn({ err }, 'room connection failed');
      ws.close(CLOSE_CODE.internal, 'the room could not be opened');
    } finally {
      if (!joined) {
        this._release(identity);
      }
    }
  }

  private _release(identity: BridgeIdentity): void {
    const left = (this._perUser.get(identity.username) ?? 1) - 1;
    if (left > 0) {
      this._perUser.set(identity.username, left);
    } else {
      this._perUser.delete(identity.username);
    }
  }

  /** The loaded or loading room of a name; one that is closing is waited for first. */
  private async _roomFor(name: IRoomName): Promise<Room> {
    for (;;) {
      if (this._closing) {
        throw new Error('the bridge is shutting down');
      }
      const existing = this._rooms.get(name.name);
      if (!existing) {
        const room = new Room(name, this._roomDeps());
        this._rooms.set(name.name, room);
        room.loaded.catch(() => {
          if (this._rooms.get(name.name) === room) {
            this._rooms.delete(name.name);
          }
        });
        return room;
      }
      if (existing.state === 'loading' || existing.state === 'open') {
        return existing;
      }
      await this._unload(existing, 'idle');
    }
  }

  private _roomDeps() {
    return {
      config: this._config,
      store: this._store,
      logger: this._logger,
      metrics: this._metrics,
      adapterFor: (kind: DocumentKind) => this._options.adapterFor(kind),
      fileAgent: this._options.fileAgent,
      verifyTicket: (ticket: string) =>
        authenticateTicket(ticket, this._options.auth),
      ticketSkewSeconds:
        this._options.auth.kind === 'proxy'
          ? (this._options.auth.policy.skewSeconds ?? 5)
          : 5,
      onIdle: (room: Room) => {
        void this._unload(room, 'idle');
      },
      onConnectionClosed: (identity: BridgeIdentity) => this._release(identity)
    };
  }

  /** Close a room and forget it. */
  private async _unload(
    room: Room,
    reason: 'idle' | 'shutdown' | 'deleted'
  ): Promise<void> {
    try {
      await room.close(reason);
    } catch (err) {
      this._logger.warn({ err, room: room.name.name }, 'closing a room failed');
    }
    if (this._rooms.get(room.name.name) === room) {
      this._rooms.delete(room.name.name);
    }
  }

  private async _onContentsEvent(event: IContentsEvent): Promise<void> {
    let target: string;
    try {
      target = normalizeRelativePath(event.path);
    } catch (err) {
      this._logger.warn({ err, path: event.path }, 'contents event ignored');
      return;
    }
    const check = (relPath: string) => {
      for (const room of this._rooms.values()) {
        if (room.name.path === relPath) {
          room.checkDiskSoon();
        }
      }
    };
    switch (event.action) {
      case 'save':
      case 'create':
      case 'upload':
        return check(target);
      case 'copy':
        if (event.newPath) {
          try {
            check(normalizeRelativePath(event.newPath));
          } catch {
            // not a path a room could have
          }
        }
        return;
      case 'delete':
        return this._onDelete(target);
      case 'rename': {
        if (!event.newPath) {
          return;
        }
        let to: string;
        try {
          to = normalizeRelativePath(event.newPath);
        } catch (err) {
          this._logger.warn({ err, path: event.newPath }, 'rename ignored');
          return;
        }
        return this._onRename(target, to);
      }
    }
  }

  private async _onDelete(target: string): Promise<void> {
    for (const room of [...this._rooms.values()]) {
      if (isSameOrInside(room.name.path, target)) {
        const dir = this._store.dirOf(room.name.name);
        await this._unload(room, 'deleted');
        await this._store.remove(dir);
      }
    }
    for (const { dir, meta } of await this._store.list()) {
      if (isSameOrInside(meta.path, target) && !this._rooms.has(meta.room)) {
        await this._store.remove(dir);
      }
    }
    this._logger.info({ path: target }, 'rooms of a deleted path removed');
  }

  private async _onRename(from: string, to: string): Promise<void> {
    if (from === to) {
      return;
    }
    const moveTo = (p: string) => to + p.slice(from.length);
    for (const room of [...this._rooms.values()]) {
      if (!isSameOrInside(room.name.path, from)) {
        continue;
      }
      const newName = withPath(room.name, moveTo(room.name.path));
      const occupant = this._rooms.get(newName.name);
      if (occupant && occupant !== room) {
        // The path's previous file was replaced: its room goes.
        await this._unload(occupant, 'deleted');
      }
      const oldKey = room.name.name;
      await room.rename(newName, (a, b) => this._store.move(a, b));
      this._rooms.delete(oldKey);
      this._rooms.set(newName.name, room);
    }
    for (const { dir, meta } of await this._store.list()) {
      if (!isSameOrInside(meta.path, from) || this._rooms.has(meta.room)) {
        continue;
      }
      let parsed: IRoomName;
      try {
        parsed = roomFromUrlPath(encodeURIComponent(meta.room));
      } catch {
        continue;
      }
      const newName = withPath(parsed, moveTo(meta.path));
      const newDir = this._store.dirOf(newName.name);
      await this._store.move(dir, newDir);
      await writeMeta(newDir, {
        ...meta,
        room: newName.name,
        path: newName.path
      });
    }
    this._logger.info({ from, to }, 'rooms follow a rename');
  }

  private readonly _options: ICollabModuleOptions;
  private readonly _config: ResolvedCollabConfig;
  private readonly _logger: Logger;
  private readonly _metrics: ICollabMetrics;
  private readonly _store: RoomStore;
  private readonly _wss: WebSocketServer;
  private readonly _rooms = new Map<string, Room>();
  private readonly _perUser = new Map<string, number>();
  private _events: Promise<void> = Promise.resolve();
  private _closing = false;
  private _closed?: Promise<void>;
}
