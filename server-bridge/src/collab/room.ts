/**
 * One collaborative room: a Y.Doc whose source of truth is its update log, the connections
 * editing it, and the file it is saved to.
 *
 * The invariants (ARCHITECTURE.md, collab) and where they are kept:
 * - the first sync is served only once the room is loaded: a connection is not started,
 *   and its messages are queued, until `_load()` is done;
 * - the file is seeded into the room only when the room has no log (`_seed`); an existing
 *   log is loaded and the file on disk is compared with the content the room last saved;
 *   a difference is applied as a server edit (`adapter.applyDiskChange`), never re-seeded;
 * - a log that is lost or corrupt is rebuilt from the file under a new epoch; a client that
 *   holds an older epoch is told to reload (message 6) and closed with 4409, its state never
 *   merged;
 * - every update is written to the log and fsynced (group commit) before it is relayed,
 *   before any sync answer that contains it is sent, and before the sender is told it is
 *   durable (`_afterDurable`);
 * - saves, disk checks, compaction and renames run one at a time (`_exclusive`), so a disk
 *   check never mistakes the room's own save for a change made on disk.
 */
import { hasPermission } from '../auth/identity';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { AuthResult } from '../auth/authenticate';
import type {
  BridgeIdentity,
  CollabRoomNotice,
  CollabRoomStatus
} from '../schema-types';
import type { ResolvedCollabConfig } from './config';
import {
  baseRecord,
  ILogHeader,
  ILogRecord,
  LogWriter,
  readLog,
  updateRecord
} from './log';
import type { ICollabMetrics } from './metrics';
import {
  awarenessMessage,
  CLOSE_CODE,
  ClientMessage,
  decodeClientMessage,
  durableMessage,
  epochMessage,
  HEARTBEAT,
  readAwarenessEntries,
  roomStatusMessage,
  syncStep1,
  syncUpdate,
  writeAwarenessEntries
} from './protocol';
import type { IRoomName } from './room-name';
import { ISeedPart, seedPart, syncReply } from './sync-reply';
import {
  dropBaseNext,
  newEpoch,
  promoteBaseNext,
  readBase,
  readMeta,
  RoomStore,
  sha256,
  writeBase,
  writeBaseNext,
  writeMeta
} from './store';
import type { IDocumentAdapter, IFileAgent, IReconcileState } from './types';

/** The origin of the transactions that replay the log. */
const LOAD_ORIGIN = Symbol('collab-load');

/** A slow reader with this much unsent data is cut off (it resyncs when it reconnects). */
const MIN_MAX_BUFFERED = 16 * 1024 * 1024;

/**
 * How long the seed waits at most for a part sent to the waiting clients to be written to
 * their sockets before it makes the next (so a slow reader holds the seed up by at most this
 * much per part).
 */
const SEED_FLUSH_WAIT_MS = 60;

/** Messages a connection may queue while its room loads. */
const MAX_QUEUED_MESSAGES = 10000;

/** What a room needs from the module. */
export interface IRoomDeps {
  config: ResolvedCollabConfig;
  store: RoomStore;
  logger: Logger;
  metrics: ICollabMetrics;
  adapterFor(kind: IRoomName['kind']): IDocumentAdapter;
  fileAgent: IFileAgent;
  /** Verify a refreshed ticket (proxy mode). */
  verifyTicket(ticket: string): AuthResult;
  /** Clock skew allowed past a ticket's expiry. */
  ticketSkewSeconds: number;
  /** The room has had no connection for idleUnloadSeconds. */
  onIdle(room: Room): void;
  /** A connection closed (the module keeps per-user counts). */
  onConnectionClosed(identity: BridgeIdentity): void;
}

/** A verified connection, as the module hands it over. */
export interface IRoomClient {
  ws: WebSocket;
  identity: BridgeIdentity;
  /** No `write` on contents: the room drops this connection's updates. */
  readOnly: boolean;
  /** The `epoch` URL parameter: the epoch of the document the client holds, if any. */
  epoch?: string;
  /** When the ticket expires (seconds since the epoch); none for a bearer token. */
  expiresAt?: number;
}

interface IConn extends IRoomClient {
  /** Handshake done: it gets relays and heartbeats. */
  started: boolean;
  /** Messages that arrived while the room loaded. */
  queue: Uint8Array[];
  queuedBytes: number;
  alive: boolean;
  /** Awareness client ids this connection publishes. */
  awarenessIds: Set<number>;
  /** Update messages received (acknowledged by `durable`). */
  seq: number;
  /** Client ids and clocks to acknowledge at the next durable point. */
  ack?: { batch: Batch | null; clients: Map<number, number>; seq: number };
  dropped: number;
  /**
   * The seed's parts sent to this connection while the room loaded (after the epoch): the
   * clock up to which each of their client ids went.
   */
  sentVector?: Map<number, number>;
  expiryTimer?: NodeJS.Timeout;
  closed: boolean;
}

/** Updates committed with one fsync, and what waits for them to be durable. */
interface IBatch {
  /** Log record payloads. */
  records: Uint8Array[];
  callbacks: (() => void)[];
  /** The group-commit window has passed: write it as soon as the previous one is done. */
  ready: boolean;
}
type Batch = IBatch;

type RoomState = 'loading' | 'open' | 'closing' | 'closed';

/** A room and everything it owns. */
export class Room {
  constructor(name: IRoomName, deps: IRoomDeps) {
    this._name = name;
    this._deps = deps;
    this._dir = deps.store.dirOf(name.name);
    this._log = deps.logger.child({ room: name.name });
    this._adapter = deps.adapterFor(name.kind);
    this.loaded = this._load();
    // A failed load is reported through `loaded`; never an unhandled rejection.
    this.loaded.catch(() => undefined);
  }

  /** Resolves once the document is loaded (rejects when it cannot be). */
  readonly loaded: Promise<void>;

  /** The room's name (it changes with a rename). */
  get name(): IRoomName {
    return this._name;
  }

  get state(): RoomState {
    return this._state;
  }

  /** Open connections, loading ones included. */
  get connectionCount(): number {
    return this._conns.size;
  }

  /** The current epoch (after load). */
  get epoch(): string {
    return this._epoch;
  }

  /** The room's document (tests and the module only read it). */
  get doc(): Y.Doc {
    return this._doc;
  }

  /** Bytes in the update log file. */
  get logBytes(): number {
    return this._writer?.size ?? 0;
  }

  /** Whether the doc holds changes not yet saved to the file. */
  get unsavedChanges(): boolean {
    return this._changes !== this._savedChanges;
  }

  /** Take over a verified connection. */
  join(client: IRoomClient): void {
    const conn: IConn = {
      ...client,
      started: false,
      queue: [],
      queuedBytes: 0,
      alive: true,
      awarenessIds: new Set(),
      seq: 0,
      dropped: 0,
      closed: false
    };
    this._conns.add(conn);
    this._deps.metrics.connections.inc();
    clearTimeout(this._idleTimer);
    this._idleTimer = undefined;
    const { ws } = conn;
    ws.on('message', (data, isBinary) => this._onRaw(conn, data, isBinary));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', err => this._log.debug({ err }, 'room socket error'));
    ws.on('close', () => this._onClose(conn));
    this._armExpiry(conn);
    if (this._state === 'open') {
      this._start(conn);
    } else if (this._state !== 'loading') {
      this._closeConn(conn, CLOSE_CODE.goingAway, 'the room is closing');
    }
  }

  /** Compare the file on disk with the last save soon (a contents `save` event). */
  checkDiskSoon(): void {
    if (
      this._state === 'open' &&
      !this._documentReadOnly &&
      !this._checkQueued
    ) {
      // One check waiting is enough (a slow or hung mount must not pile them up).
      this._checkQueued = true;
      void this._exclusive(() => {
        this._checkQueued = false;
        return this._checkDisk();
      });
    }
  }

  /** Save now if there is anything to save (tests, shutdown). */
  async saveNow(): Promise<void> {
    if (this._state === 'open' || this._state === 'closing') {
      await this._exclusive(() => this._save());
    }
  }

  /**
   * Write every pending update to the log; resolves when they are durable, rejects when the
   * log cannot be written.
   */
  flush(): Promise<void> {
    if (this._failed) {
      return Promise.reject(new Error('the room log failed'));
    }
    return new Promise((resolve, reject) => {
      this._failWaiters.add(reject);
      this._afterDurable(() => {
        this._failWaiters.delete(reject);
        resolve();
      }, true);
    });
  }

  /**
   * The file moved: follow it (state dir included) and tell the clients.
   *
   * @param newName - the room's name at the new path.
   * @param moveDir - moves the state dir; called with nothing else touching it.
   */
  async rename(
    newName: IRoomName,
    moveDir: (from: string, to: string) => Promise<void>
  ): Promise<void> {
    await this._exclusive(async () => {
      const to = this._deps.store.dirOf(newName.name);
      await moveDir(this._dir, to);
      this._dir = to;
      this._writer?.moved(`${to}/log`);
      this._name = newName;
      this._log = this._deps.logger.child({ room: newName.name });
      await writeMeta(to, this._meta());
    });
    this._notifyAll({
      kind: 'renamed',
      message: `The file was renamed to ${newName.path}.`,
      at: Date.now(),
      newPath: newName.path,
      newRoom: newName.name
    });
  }

  /**
   * Unload: flush the log, save (unless the file was deleted), close every connection.
   *
   * @param reason - why: idle and shutdown save; deleted drops the room's state.
   */
  async close(reason: 'idle' | 'shutdown' | 'deleted'): Promise<void> {
    if (this._closing) {
      return this._closing;
    }
    this._closing = this._close(reason);
    return this._closing;
  }

  // ---- loading ------------------------------------------------------------------------

  private async _load(): Promise<void> {
    try {
      const read = await readLog(this._logFile());
      if (read.status === 'ok') {
        await this._loadFromLog(read);
      } else {
        if (read.status === 'corrupt') {
          const moved = await this._deps.store.quarantine(this._logFile());
          this._log.warn(
            { reason: read.reason, movedTo: moved },
            'the room log is unreadable: rebuilding from the file under a new epoch'
          );
        }
        await this._seed();
      }
    } catch (err) {
      this._log.warn({ err }, 'the room could not load');
      this._state = 'closing';
      const { code, reason, message } = loadFailure(err as Error);
      for (const conn of [...this._conns]) {
        this._sendStatusTo(conn, {
          kind: 'load-failed',
          message,
          at: Date.now()
        });
        this._closeConn(conn, code, reason);
      }
      await this._teardown();
      throw err;
    }
    this._state = 'open';
    this._deps.metrics.roomsOpen.inc();
    this._startTimers();
    for (const conn of [...this._conns]) {
      this._start(conn);
    }
    if (this._conns.size === 0) {
      this._armIdle();
    }
    // The log may hold edits that never reached the file (a crash before the save).
    if (this.unsavedChanges) {
      this._scheduleSave();
    }
    this._maybeCompact();
  }

  /** No usable log: seed from the file under a new epoch. */
  private async _seed(): Promise<void> {
    const disk = await this._deps.fileAgent.read(this._name.path);
    if (!disk) {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    }
    const doc = new Y.Doc();
    // Each transaction of the seed, as Yjs encodes it for its 'update' event: clients are
    // served these parts as they are (no walk over the whole document to encode it again,
    // once per part, on the way to their first sync).
    const capture = new SeedCapture(doc);
    try {
      await this._seedSteps(doc, disk.content, capture);
    } catch (err) {
      capture.stop();
      if (!(err as { readOnly?: boolean }).readOnly || capture.served) {
        throw err;
      }
      // The file cannot be held without mangling it (not UTF-8): the room shows it to
      // nobody for editing, keeps no log (each load looks at the file afresh) and never
      // writes it. The epoch follows the content, so reconnecting clients keep theirs.
      this._documentReadOnly = (err as Error).message;
      this._epoch = `ro-${disk.hash.slice(0, 32)}`;
      this._setBase(disk.content, disk.hash, disk.mtimeMs);
      this._attachDoc(doc);
      this._log.info('the file cannot be edited: the room is read-only');
      return;
    }
    const parts = capture.stop();
    this._epoch ||= newEpoch();
    this._setBase(disk.content, disk.hash, disk.mtimeMs);
    // The log starts with the seed's parts as they are: update records, the last part in the
    // base record (one file, created whole: all of it is durable or none). Without the parts
    // (an adapter that edits under one client id in several transactions), with the document,
    // encoded now, before anything changes it.
    const encoded = parts?.length ? undefined : Y.encodeStateAsUpdate(doc);
    this._attachDoc(doc);
    this._seedParts = parts;
    // The first clients get the file's content now, from the seed's parts, while the seed is
    // written. Nothing a client sends is relayed or acknowledged before the log exists
    // (`_commitNext` waits for the writer), and a crash before the seed is durable only means
    // a new epoch from the same file on the next load.
    void this._exclusive(async () => {
      // Written on a later turn of the event loop, once the clients waiting for the room were
      // served (and their sockets got to write).
      await new Promise<void>(resolve => setImmediate(resolve));
      const seed = encoded
        ? [baseRecord(disk.hash, encoded)]
        : parts!.map((part, i) =>
            i === parts!.length - 1
              ? baseRecord(disk.hash, part.update)
              : updateRecord(part.update)
          );
      const seedBytes = seed.reduce((n, record) => n + record.length, 0);
      await this._deps.store.ensure(this._dir);
      const [, , writer] = await Promise.all([
        writeMeta(this._dir, this._meta()),
        writeBase(this._dir, disk.content),
        LogWriter.create(this._logFile(), this._header(seedBytes), seed)
      ]);
      this._writer = writer;
      this._snapshotBytes = seedBytes;
      this._log.info({ epoch: this._epoch }, 'room seeded from the file');
      this._commitNext();
    }).catch(err => this._fail(err as Error));
  }

  /**
   * Seed `doc`, a part at a time where the adapter has steps. Each part goes, as soon as it is
   * made, to the connections waiting for the room (the epoch first, so that a client that loses
   * the connection before the end comes back with it: a room rebuilt meanwhile tells it to
   * reload rather than merge), and the event loop gets a turn: they receive and apply a part
   * while the next is made. Their sync step 1 is answered, once the room is loaded, with only
   * what they lack besides these parts (`IConn.sentVector`), the step 2 last as always, so
   * y-websocket reports them synced only once they are whole.
   */
  private async _seedSteps(
    doc: Y.Doc,
    content: Uint8Array,
    capture: SeedCapture
  ): Promise<void> {
    const steps = this._adapter.seedSteps?.(doc, content);
    if (!steps) {
      this._adapter.seed(doc, content);
      return;
    }
    const messages: Uint8Array[] = [];
    for (const step = steps[Symbol.iterator](); !step.next().done;) {
      const parts = capture.parts;
      if (!parts || this._conns.size === 0) {
        // (parts that cannot be told apart, or nobody waiting: served once loaded)
        continue;
      }
      this._epoch ||= newEpoch();
      for (const part of parts.slice(messages.length)) {
        messages.push(part.message ?? syncUpdate(part.update));
      }
      const written: Promise<void>[] = [];
      for (const conn of this._conns) {
        if (conn.closed || conn.epoch) {
          // (a client with an epoch holds another history: the handshake refuses it)
          continue;
        }
        if (!conn.sentVector) {
          this._send(conn, epochMessage({ epoch: this._epoch, reload: false }));
          conn.sentVector = new Map();
        }
        for (let i = conn.sentVector.size; i < messages.length; i++) {
          let done = () => undefined as void;
          const sent = new Promise<void>(resolve => (done = resolve));
          if (this._send(conn, messages[i], () => done())) {
            written.push(sent);
          }
          conn.sentVector.set(parts[i].client, parts[i].clock);
        }
        capture.served = true;
      }
      await this._flushed(written);
    }
  }

  /**
   * A turn of the event loop, then until the parts just sent are written to their sockets or
   * {@link SEED_FLUSH_WAIT_MS} passed: making the next part blocks the event loop, so a part
   * that is still being written when it starts only goes out (a socket buffer's worth per
   * turn) after the whole seed is made; written first, it is applied by the client while the
   * next one is made.
   */
  private async _flushed(written: Promise<void>[]): Promise<void> {
    await new Promise<void>(resolve => setImmediate(resolve));
    if (written.length === 0) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(written),
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, SEED_FLUSH_WAIT_MS);
      })
    ]);
    clearTimeout(timer);
  }

  /** A log exists: replay it, then merge what changed on disk since the last save. */
  private async _loadFromLog(read: {
    header: ILogHeader;
    records: ILogRecord[];
    validBytes: number;
    tornTail: boolean;
  }): Promise<void> {
    if (read.tornTail) {
      this._log.warn(
        { validBytes: read.validBytes },
        'the room log ends in a torn record (a crash mid-write): truncating it'
      );
    }
    const doc = new Y.Doc();
    let logBase: string | undefined;
    // Whether the log holds edits made after the last save (a crash before the save).
    let dirty = false;
    Y.transact(
      doc,
      () => {
        for (const record of read.records) {
          if (record.update) {
            Y.applyUpdate(doc, record.update, LOAD_ORIGIN);
          }
          if (record.baseHash) {
            logBase = record.baseHash;
            dirty = record.dirty === true;
          } else if (record.update) {
            dirty = true;
          }
        }
      },
      LOAD_ORIGIN
    );
    this._epoch = read.header.epoch;
    const meta = await readMeta(this._dir);
    this._writer = await LogWriter.open(this._logFile(), read.validBytes);
    // The size of the log's first record when it was written (seed or compaction).
    this._snapshotBytes = read.header.snapshotBytes ?? 0;
    if (!meta || meta.room !== this._name.name) {
      await writeMeta(this._dir, this._meta());
    }
    this._attachDoc(doc);

    const disk = await this._deps.fileAgent.read(this._name.path);
    if (!disk) {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    }
    // Which content is the merge base: the log's last base record says, except for a save
    // that reached the file before its record reached the log (its content is in the
    // document all the same, so it is the base).
    const { base, next } = await readBase(this._dir);
    let baseContent = base;
    let unrecorded = false;
    if (next) {
      const hash = sha256(next.content);
      if (hash === logBase) {
        await promoteBaseNext(this._dir, next.kind);
        baseContent = next.content;
      } else if (next.kind === 'save' && hash === disk.hash) {
        await promoteBaseNext(this._dir, next.kind);
        baseContent = next.content;
        unrecorded = true;
      } else {
        // A merge whose record never became durable: it will be found again below.
        await dropBaseNext(this._dir);
      }
    }
    if (!baseContent) {
      // No record of the last save: take the document as what was saved.
      baseContent = this._adapter.serialize(doc);
      unrecorded = true;
    }
    this._setBase(baseContent, sha256(baseContent), disk.mtimeMs);
    if (unrecorded) {
      dirty = true;
      this._appendRecord(baseRecord(this._baseHash, undefined, true));
      await this.flush();
    }
    this._savedChanges = dirty ? -1 : this._changes;
    if (disk.hash !== this._baseHash) {
      this._log.info('the file changed while the room was unloaded: merging');
      await this._mergeDisk(disk.content, disk.hash, disk.mtimeMs);
    }
    this._log.info(
      { epoch: this._epoch, records: read.records.length },
      'room loaded from its log'
    );
  }

  private _attachDoc(doc: Y.Doc): void {
    this._doc = doc;
    this._awareness = new awarenessProtocol.Awareness(doc);
    // The room publishes no state of its own.
    this._awareness.setLocalState(null);
    this._awareness.on(
      'update',
      (
        changes: { added: number[]; updated: number[]; removed: number[] },
        origin: unknown
      ) => this._onAwarenessUpdate(changes, origin)
    );
    doc.on('update', (update: Uint8Array, origin: unknown) =>
      this._onDocUpdate(update, origin)
    );
  }

  // ---- connections --------------------------------------------------------------------

  /** The handshake, once the room is loaded. */
  private _start(conn: IConn): void {
    if (conn.closed) {
      return;
    }
    if (conn.epoch && conn.epoch !== this._epoch) {
      // The client's document comes from a history this room no longer has: merging it
      // would duplicate everything. It must reload.
      this._deps.metrics.refused.inc({ reason: 'stale_epoch' });
      this._send(conn, epochMessage({ epoch: this._epoch, reload: true }));
      this._closeConn(
        conn,
        CLOSE_CODE.staleEpoch,
        'the document was rebuilt: reload it'
      );
      return;
    }
    conn.started = true;
    if (!conn.sentVector) {
      this._send(conn, epochMessage({ epoch: this._epoch, reload: false }));
    }
    this._sendStatusTo(conn);
    this._send(conn, syncStep1(Y.encodeStateVector(this._doc)));
    if (this._awareness.getStates().size > 0) {
      this._send(
        conn,
        awarenessMessage(
          awarenessProtocol.encodeAwarenessUpdate(this._awareness, [
            ...this._awareness.getStates().keys()
          ])
        )
      );
    }
    const queued = conn.queue;
    conn.queue = [];
    conn.queuedBytes = 0;
    for (const data of queued) {
      if (conn.closed) {
        break;
      }
      this._handle(conn, data);
    }
  }

  private _onRaw(conn: IConn, data: unknown, isBinary: boolean): void {
    if (conn.closed) {
      return;
    }
    if (!isBinary) {
      this._deps.metrics.refused.inc({ reason: 'text_frame' });
      this._closeConn(conn, CLOSE_CODE.protocol, 'send binary frames');
      return;
    }
    const bytes = toBytes(data);
    if (this._state === 'loading' || !conn.started) {
      if (this._state !== 'loading' && this._state !== 'open') {
        return;
      }
      conn.queue.push(bytes);
      conn.queuedBytes += bytes.length;
      if (
        conn.queue.length > MAX_QUEUED_MESSAGES ||
        conn.queuedBytes > this._deps.config.maxMessageBytes * 2
      ) {
        this._closeConn(
          conn,
          CLOSE_CODE.tryAgain,
          'too much sent while loading'
        );
      }
      return;
    }
    if (this._state !== 'open') {
      // Closing: nothing more is applied; the client still has it and resends later.
      return;
    }
    this._handle(conn, bytes);
  }

  private _handle(conn: IConn, bytes: Uint8Array): void {
    let message: ClientMessage;
    try {
      message = decodeClientMessage(bytes);
    } catch (err) {
      this._deps.metrics.refused.inc({ reason: 'bad_frame' });
      this._log.debug({ err }, 'malformed room message');
      this._closeConn(conn, CLOSE_CODE.protocol, 'malformed message');
      return;
    }
    try {
      switch (message.type) {
        case 'sync-step1':
          return this._onSyncStep1(conn, message.stateVector);
        case 'sync-step2':
        case 'sync-update':
          return this._onUpdate(conn, message.update);
        case 'awareness':
          return this._onAwareness(conn, message.update);
        case 'query-awareness':
          this._send(
            conn,
            awarenessMessage(
              awarenessProtocol.encodeAwarenessUpdate(this._awareness, [
                ...this._awareness.getStates().keys()
              ])
            )
          );
          return;
        case 'ticket':
          return this._onTicket(conn, message.ticket);
        case 'ignored':
          return;
      }
    } catch (err) {
      this._deps.metrics.refused.inc({ reason: 'bad_data' });
      this._log.debug({ err }, 'room message could not be applied');
      this._closeConn(conn, CLOSE_CODE.invalidData, 'invalid message');
    }
  }

  private _onSyncStep1(conn: IConn, stateVector: Uint8Array): void {
    // What the client lacks, as of now; sent once it is all durable. A new client (empty
    // state vector) gets the whole document, encoded once for all of them until it changes.
    let reply: Uint8Array[];
    if (conn.sentVector) {
      // Parts of the seed went to this connection while the room loaded: the rest.
      const known = Y.decodeStateVector(stateVector);
      for (const [client, clock] of conn.sentVector) {
        known.set(client, Math.max(clock, known.get(client) ?? 0));
      }
      reply = syncReply(this._doc, Y.encodeStateVector(known), {
        parts: this._seedParts
      });
    } else if (stateVector.length === 1 && stateVector[0] === 0) {
      reply = this._fullState ??= syncReply(this._doc, undefined, {
        parts: this._seedParts
      });
    } else {
      reply = syncReply(this._doc, stateVector, { parts: this._seedParts });
    }
    this._afterDurable(() => {
      for (const message of reply) {
        this._send(conn, message);
      }
    });
    if (!conn.readOnly && !this._documentReadOnly) {
      // After a reconnect the client's earlier edits may all be in the room already (its
      // sync step 2 then carries none of them): tell it how far each of its clients is
      // durable, so that it can show "saved" again.
      this._scheduleAck(conn, [...Y.decodeStateVector(stateVector).keys()]);
    }
  }

  private _onUpdate(conn: IConn, update: Uint8Array): void {
    if (conn.readOnly || this._documentReadOnly) {
      if (Y.snapshotContainsUpdate(Y.snapshot(this._doc), update)) {
        // Nothing the room lacks (y-websocket answers every sync step 1 with a step 2).
        return;
      }
      conn.dropped++;
      this._deps.metrics.updates.inc({ source: 'dropped' });
      if (conn.dropped === 1) {
        this._sendStatusTo(conn, {
          kind: 'updates-dropped',
          message: this._documentReadOnly
            ? `This document is read-only: ${this._documentReadOnly}`
            : 'You can read this document but not edit it: your edits are not saved or shared.',
          at: Date.now(),
          count: conn.dropped
        });
      }
      return;
    }
    // Which of the sender's clients this update carries, to acknowledge them.
    const meta = Y.parseUpdateMeta(update);
    Y.applyUpdate(this._doc, update, conn);
    this._adapter.reconcile?.(this._doc, this._reconcileState);
    this._deps.metrics.updates.inc({ source: 'client' });
    conn.seq++;
    this._scheduleAck(conn, [...meta.to.keys()]);
  }

  /** Tell the connection, once it is durable, up to where its clients' updates are. */
  private _scheduleAck(conn: IConn, clients: number[]): void {
    const barrier = this._pending ?? this._inflight;
    // Clocks as of now: everything applied so far is durable at the barrier.
    const add = (ack: NonNullable<IConn['ack']>) => {
      ack.seq = conn.seq;
      for (const client of clients) {
        ack.clients.set(client, Y.getState(this._doc.store, client));
      }
    };
    if (barrier && conn.ack?.batch === barrier) {
      // One acknowledgement per connection and commit.
      add(conn.ack);
      return;
    }
    const ack = { batch: barrier, clients: new Map<number, number>(), seq: 0 };
    add(ack);
    conn.ack = ack;
    this._afterDurable(() => {
      if (conn.ack === ack) {
        conn.ack = undefined;
      }
      this._send(conn, durableMessage(ack.seq, ack.clients));
    });
  }

  private _onAwareness(conn: IConn, update: Uint8Array): void {
    const entries = readAwarenessEntries(update);
    const max = this._deps.config.maxAwarenessBytes;
    const kept = entries.filter(entry => {
      if (Buffer.byteLength(entry.json) > max) {
        this._deps.metrics.refused.inc({ reason: 'awareness_too_big' });
        return false;
      }
      const owner = this._awarenessOwner.get(entry.clientID);
      if (owner && owner !== conn) {
        // One connection never speaks for another's clients.
        return false;
      }
      try {
        entry.json = stampIdentity(entry.json, conn.identity);
      } catch {
        return false;
      }
      return true;
    });
    if (kept.length === 0) {
      return;
    }
    for (const entry of kept) {
      if (entry.json !== 'null') {
        this._awarenessOwner.set(entry.clientID, conn);
        conn.awarenessIds.add(entry.clientID);
      }
    }
    awarenessProtocol.applyAwarenessUpdate(
      this._awareness,
      writeAwarenessEntries(kept),
      conn
    );
  }

  private _onAwarenessUpdate(
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown
  ): void {
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    for (const id of changes.removed) {
      const owner = this._awarenessOwner.get(id);
      owner?.awarenessIds.delete(id);
      this._awarenessOwner.delete(id);
    }
    if (changed.length === 0) {
      return;
    }
    const message = awarenessMessage(
      awarenessProtocol.encodeAwarenessUpdate(this._awareness, changed)
    );
    for (const conn of this._conns) {
      if (conn.started && conn !== origin) {
        this._send(conn, message);
      }
    }
  }

  private _onTicket(conn: IConn, ticket: string): void {
    const result = this._deps.verifyTicket(ticket);
    if (!result.ok) {
      // The current ticket stays in force until it expires.
      this._log.debug({ reason: result.reason }, 'ticket refresh refused');
      return;
    }
    if (result.identity.username !== conn.identity.username) {
      this._closeConn(
        conn,
        CLOSE_CODE.unauthorized,
        'the ticket names another user'
      );
      return;
    }
    const readOnly = !canWrite(result.identity);
    const changed = readOnly !== conn.readOnly;
    conn.identity = result.identity;
    conn.readOnly = readOnly;
    conn.expiresAt = result.expiresAt;
    this._armExpiry(conn);
    if (changed) {
      this._sendStatusTo(conn);
    }
  }

  private _armExpiry(conn: IConn): void {
    clearTimeout(conn.expiryTimer);
    if (conn.expiresAt === undefined) {
      return;
    }
    const delay = Math.min(
      Math.max(
        (conn.expiresAt + this._deps.ticketSkewSeconds) * 1000 - Date.now(),
        0
      ),
      2 ** 31 - 1
    );
    conn.expiryTimer = setTimeout(
      () =>
        this._closeConn(conn, CLOSE_CODE.ticketExpired, 'the ticket expired'),
      delay
    );
    conn.expiryTimer.unref();
  }

  private _onClose(conn: IConn): void {
    if (!this._conns.delete(conn)) {
      return;
    }
    conn.closed = true;
    clearTimeout(conn.expiryTimer);
    this._deps.metrics.connections.dec();
    this._deps.onConnectionClosed(conn.identity);
    if (this._awareness && conn.awarenessIds.size > 0) {
      awarenessProtocol.removeAwarenessStates(
        this._awareness,
        [...conn.awarenessIds],
        null
      );
    }
    if (this._conns.size === 0 && this._state === 'open') {
      this._armIdle();
    }
  }

  private _armIdle(): void {
    clearTimeout(this._idleTimer);
    this._idleTimer = setTimeout(() => {
      if (this._conns.size === 0 && this._state === 'open') {
        this._deps.onIdle(this);
      }
    }, this._deps.config.idleUnloadSeconds * 1000);
    this._idleTimer.unref();
  }

  /**
   * Send one message; `written` is called once it has gone to the socket (or failed). Returns
   * whether it was sent.
   */
  private _send(
    conn: IConn,
    data: Uint8Array,
    written?: (err?: Error) => void
  ): boolean {
    const { ws } = conn;
    if (conn.closed || ws.readyState !== ws.OPEN) {
      return false;
    }
    const limit = Math.max(
      MIN_MAX_BUFFERED,
      this._deps.config.maxMessageBytes * 2
    );
    if (ws.bufferedAmount > limit) {
      this._deps.metrics.refused.inc({ reason: 'slow_reader' });
      this._closeConn(conn, CLOSE_CODE.tryAgain, 'reading too slowly');
      return false;
    }
    ws.send(data, { binary: true }, written);
    return true;
  }

  private _closeConn(conn: IConn, code: number, reason: string): void {
    const { ws } = conn;
    conn.closed = true;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      ws.close(code, reason);
      // A peer that never answers the close handshake is cut off.
      setTimeout(() => ws.terminate(), 1000).unref();
    }
  }

  private _status(conn: IConn, notice?: CollabRoomNotice): CollabRoomStatus {
    const readOnly = conn.readOnly || this._documentReadOnly !== null;
    const status: CollabRoomStatus = {
      room: this._name.name,
      path: this._name.path,
      kind: this._name.kind,
      epoch: this._epoch,
      loaded: this._state === 'open',
      readOnly,
      readOnlyReason: this._documentReadOnly
        ? this._documentReadOnly
        : conn.readOnly
          ? 'Your permissions on this server allow reading files, not writing them.'
          : null,
      documentReadOnly: this._documentReadOnly !== null,
      lastSavedAt: this._lastSavedAt,
      unsavedChanges: this.unsavedChanges
    };
    if (notice) {
      status.notice = notice;
    }
    return status;
  }

  private _sendStatusTo(conn: IConn, notice?: CollabRoomNotice): void {
    this._send(conn, roomStatusMessage(this._status(conn, notice)));
  }

  private _notifyAll(notice?: CollabRoomNotice): void {
    for (const conn of this._conns) {
      if (conn.started) {
        this._sendStatusTo(conn, notice);
      }
    }
  }

  // ---- updates and the log ------------------------------------------------------------

  private _onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === LOAD_ORIGIN || this._state === 'closed') {
      return;
    }
    if (!isConn(origin)) {
      this._deps.metrics.updates.inc({ source: 'server' });
    }
    this._changes++;
    this._fullState = undefined;
    // Deleted seed content would travel again in the seed's parts: from now on, encode.
    this._seedParts = undefined;
    const batch = this._openBatch();
    if (this._capture) {
      // A merge from disk: logged with its base record, as one record.
      this._capture.push(update);
    } else {
      batch.records.push(updateRecord(update));
    }
    const message = syncUpdate(update);
    batch.callbacks.push(() => this._relay(message, origin));
    this._scheduleSave();
  }

  /** The batch that collects what arrives now, its group-commit window started. */
  private _openBatch(): Batch {
    if (this._pending) {
      return this._pending;
    }
    const batch: Batch = { records: [], callbacks: [], ready: false };
    this._pending = batch;
    const seal = () => {
      batch.ready = true;
      this._commitNext();
    };
    // Group commit without a fixed delay: with no fsync in flight a batch is written as soon as
    // this turn of the event loop ends; while one is in flight, whatever arrives waits for it
    // and goes out together in the next. `groupCommitMs` adds a wait, for sites on slow disks.
    const window = this._deps.config.groupCommitMs;
    if (window > 0 && this._inflight) {
      this._commitTimer = setTimeout(seal, window);
    } else {
      setImmediate(seal);
    }
    return batch;
  }

  /** Add a record payload to the log's next commit. */
  private _appendRecord(payload: Uint8Array): void {
    this._openBatch().records.push(payload);
  }

  private _relay(message: Uint8Array, origin: unknown): void {
    for (const conn of this._conns) {
      if (conn.started && conn !== origin) {
        this._send(conn, message);
      }
    }
  }

  /**
   * Run `fn` once everything applied to the doc so far is durable in the log.
   *
   * @param now - also seal the pending batch now (flush) instead of at the window's end.
   */
  private _afterDurable(fn: () => void, now = false): void {
    const barrier = this._pending ?? this._inflight;
    if (!barrier) {
      fn();
      return;
    }
    barrier.callbacks.push(fn);
    if (now && this._pending) {
      clearTimeout(this._commitTimer);
      this._pending.ready = true;
      this._commitNext();
    }
  }

  /** Write the pending batch if it is due and nothing is being written. */
  private _commitNext(): void {
    const batch = this._pending;
    if (this._inflight || !batch || !batch.ready || !this._writer) {
      return;
    }
    this._pending = null;
    this._inflight = batch;
    const writer = this._writer!;
    const end = this._deps.metrics.fsyncSeconds.startTimer();
    writer.append(batch.records).then(
      () => {
        end();
        this._inflight = null;
        for (const callback of batch.callbacks) {
          try {
            callback();
          } catch (err) {
            this._log.error({ err }, 'after-commit callback failed');
          }
        }
        this._maybeCompact();
        this._commitNext();
      },
      err => {
        end();
        this._inflight = null;
        this._fail(err as Error);
      }
    );
  }

  /**
   * The log cannot be written: nothing more may be relayed or acknowledged. The room closes
   * without saving (its document holds updates the log lacks); clients reconnect to a fresh
   * room and send again whatever it is missing.
   */
  private _fail(err: Error): void {
    this._log.error(
      { err },
      'the room log could not be written: closing the room'
    );
    this._failed = true;
    for (const reject of this._failWaiters) {
      reject(err);
    }
    this._failWaiters.clear();
    void this.close('shutdown');
  }

  private _maybeCompact(): void {
    const writer = this._writer;
    if (
      !writer ||
      this._compacting ||
      this._state !== 'open' ||
      writer.size <= this._deps.config.compactAfterBytes ||
      writer.size <= 2 * this._snapshotBytes
    ) {
      return;
    }
    this._compacting = this._exclusive(async () => {
      if (this._state !== 'open') {
        return;
      }
      const started = Date.now();
      const snapshot = baseRecord(
        this._baseHash,
        Y.encodeStateAsUpdate(this._doc),
        this.unsavedChanges
      );
      const before = writer.size;
      try {
        await writer.compact(this._header(snapshot.length), snapshot);
        this._snapshotBytes = snapshot.length;
        this._deps.metrics.compactions.inc({ result: 'done' });
        this._log.info(
          { before, after: writer.size, ms: Date.now() - started },
          'room log compacted'
        );
      } catch (err) {
        this._deps.metrics.compactions.inc({ result: 'failed' });
        this._log.warn({ err }, 'room log compaction failed');
      }
    }).finally(() => {
      this._compacting = undefined;
    });
  }

  // ---- saving and disk changes --------------------------------------------------------

  private _scheduleSave(): void {
    // At most saveDebounceMs after the first unsaved change: a cell that streams output
    // for an hour still gets saved as it goes.
    if (this._saveTimer || this._state !== 'open') {
      return;
    }
    this._saveTimer = setTimeout(() => {
      this._saveTimer = undefined;
      void this._exclusive(() => this._save());
    }, this._deps.config.saveDebounceMs);
    this._saveTimer.unref();
  }

  /** Run file work one piece at a time. */
  private _exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this._chain.then(task);
    this._chain = run.then(
      () => undefined,
      () => undefined
    );
    return run;
  }

  private async _save(): Promise<void> {
    if (this._documentReadOnly || this._failed || !this._doc) {
      return;
    }
    const agent = this._deps.fileAgent;
    if (!this.unsavedChanges) {
      // Nothing to write: an unchanged document is never rewritten (not even reformatted).
      this._deps.metrics.saves.inc({ result: 'unchanged' });
      return;
    }
    try {
      // A change made on disk since the last save is merged first, never overwritten.
      if (await this._diskDiffers()) {
        await this._checkDisk();
      }
      const { content, changes } = await this._durableContent();
      const hash = sha256(content);
      if (hash === this._baseHash) {
        this._savedChanges = changes;
        this._deps.metrics.saves.inc({ result: 'unchanged' });
        return;
      }
      await writeBaseNext(this._dir, 'save', content);
      let disk;
      try {
        disk = await agent.writeAtomic(this._name.path, content);
      } catch (err) {
        await dropBaseNext(this._dir).catch(() => undefined);
        throw err;
      }
      // Edits made since the content was taken are in the log before this record.
      this._appendRecord(
        baseRecord(hash, undefined, this._changes !== changes)
      );
      await this.flush();
      await promoteBaseNext(this._dir, 'save');
      this._setBase(content, hash, disk.mtimeMs);
      this._savedChanges = changes;
      this._lastSavedAt = Date.now();
      this._saveFailures = 0;
      this._deps.metrics.saves.inc({ result: 'written' });
      this._log.debug({ bytes: content.length }, 'room saved');
      this._notifyAll();
    } catch (err) {
      if (this._failed) {
        return;
      }
      this._deps.metrics.saves.inc({ result: 'failed' });
      this._saveFailures++;
      this._log.warn({ err }, 'room save failed');
      if (this._saveFailures === 1) {
        this._notifyAll({
          kind: 'save-failed',
          message: `The document could not be saved to the file: ${(err as Error).message}. The room keeps your edits and tries again.`,
          at: Date.now()
        });
      }
      if (this._state === 'open' && !this._saveTimer) {
        this._saveTimer = setTimeout(
          () => {
            this._saveTimer = undefined;
            void this._exclusive(() => this._save());
          },
          Math.max(this._deps.config.saveDebounceMs, 5000)
        );
        this._saveTimer.unref();
      }
    }
    if (this.unsavedChanges) {
      this._scheduleSave();
    }
  }

  /**
   * The file content of the document as it is durable in the log: a save never writes an
   * edit the log could still lose, so the saved content is always part of the room's history.
   */
  private async _durableContent(): Promise<{
    content: Uint8Array;
    changes: number;
  }> {
    for (let i = 0; i < 50 && (this._pending || this._inflight); i++) {
      await this.flush();
    }
    // Nothing is pending here unless edits never stop; then they are a few ms from durable.
    return {
      content: this._adapter.serialize(this._doc),
      changes: this._changes
    };
  }

  /** Whether the file's stat says it is not what the room last saved. */
  private async _diskDiffers(): Promise<boolean> {
    const stat = await this._deps.fileAgent.stat(this._name.path);
    if (!stat) {
      return false;
    }
    if (stat.hash !== undefined) {
      return stat.hash !== this._baseHash;
    }
    return stat.mtimeMs !== this._baseMtime || stat.size !== this._base.length;
  }

  /** Compare the file with the last save and merge a change made on disk. */
  private async _checkDisk(): Promise<void> {
    if (this._state !== 'open' || this._failed) {
      return;
    }
    try {
      if (!(await this._diskDiffers())) {
        return;
      }
      const disk = await this._deps.fileAgent.read(this._name.path);
      if (!disk || this._state !== 'open') {
        return;
      }
      if (disk.hash === this._baseHash) {
        this._baseMtime = disk.mtimeMs;
        return;
      }
      await this._mergeDisk(disk.content, disk.hash, disk.mtimeMs);
    } catch (err) {
      this._log.warn({ err }, 'disk check failed');
    }
  }

  /**
   * Merge file content that differs from the base into the room, as a server edit under a
   * fresh client id; on a conflict keep both versions. The merge's update and the new base
   * go into the log as one record, so a crash never applies a disk change twice.
   */
  private async _mergeDisk(
    content: Uint8Array,
    hash: string,
    mtimeMs: number
  ): Promise<void> {
    await writeBaseNext(this._dir, 'merge', content);
    let result: 'merged' | { conflict: Uint8Array } = 'merged';
    const same = hash === sha256(this._adapter.serialize(this._doc));
    if (!same && !this._documentReadOnly) {
      const captured: Uint8Array[] = [];
      this._capture = captured;
      try {
        result = this._adapter.applyDiskChange(this._doc, this._base, content);
      } catch (err) {
        this._capture = undefined;
        // Whatever it changed before failing is logged like any other edit.
        for (const update of captured) {
          this._appendRecord(updateRecord(update));
        }
        await dropBaseNext(this._dir);
        throw err;
      }
      this._capture = undefined;
      this._appendRecord(
        baseRecord(
          hash,
          captured.length ? Y.mergeUpdates(captured) : undefined,
          true
        )
      );
    } else {
      // The file already holds exactly the document (or nothing can be edited).
      this._appendRecord(baseRecord(hash));
    }
    await this.flush();
    await promoteBaseNext(this._dir, 'merge');
    this._setBase(content, hash, mtimeMs);
    if (same) {
      this._savedChanges = this._changes;
      return;
    }
    if (result === 'merged') {
      this._deps.metrics.diskMerges.inc({ result: 'merged' });
      this._log.info('a change made on disk was merged into the room');
      this._notifyAll({
        kind: 'disk-merged',
        message:
          'The file was changed on disk; the changes were merged into the document.',
        at: Date.now()
      });
    } else {
      this._deps.metrics.diskMerges.inc({ result: 'conflict' });
      const copyPath = await this._deps.fileAgent.writeConflictCopy(
        this._name.path,
        result.conflict
      );
      this._log.warn({ copyPath }, 'a change on disk could not be merged');
      this._notifyAll({
        kind: 'conflict',
        message: `The file was changed on disk in a way that could not be merged with the document. The version on disk was kept as ${copyPath}.`,
        at: Date.now(),
        copyPath
      });
    }
    // The document now differs from the file (room edits, or the kept version): save it.
    this._savedChanges = -1;
    this._scheduleSave();
  }

  private _setBase(content: Uint8Array, hash: string, mtimeMs: number): void {
    this._base = content;
    this._baseHash = hash;
    this._baseMtime = mtimeMs;
  }

  // ---- timers and closing -------------------------------------------------------------

  private _startTimers(): void {
    const config = this._deps.config;
    this._heartbeatTimer = setInterval(
      () => this._heartbeat(),
      config.heartbeatSeconds * 1000
    );
    this._heartbeatTimer.unref();
    this._diskTimer = setInterval(
      () => this.checkDiskSoon(),
      config.diskCheckSeconds * 1000
    );
    this._diskTimer.unref();
  }

  /** Something to every connection (the client drops a connection silent for 30 s). */
  private _heartbeat(): void {
    for (const conn of this._conns) {
      if (!conn.started) {
        continue;
      }
      if (!conn.alive) {
        this._deps.metrics.refused.inc({ reason: 'no_pong' });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        // not open any more: the close handler cleans up
      }
      this._send(conn, HEARTBEAT);
    }
  }

  private async _close(reason: 'idle' | 'shutdown' | 'deleted'): Promise<void> {
    try {
      await this.loaded;
    } catch {
      return;
    }
    const wasOpen = this._state === 'open';
    this._state = 'closing';
    if (wasOpen) {
      this._deps.metrics.roomsOpen.dec();
    }
    clearInterval(this._heartbeatTimer);
    clearInterval(this._diskTimer);
    clearTimeout(this._saveTimer);
    clearTimeout(this._idleTimer);
    if (reason === 'deleted') {
      this._notifyAll({
        kind: 'deleted',
        message: 'The file was deleted.',
        at: Date.now()
      });
    }
    // Everything received so far becomes durable before the sockets close.
    if (!this._failed) {
      await this.flush().catch(() => undefined);
    }
    const code =
      reason === 'deleted'
        ? CLOSE_CODE.notFound
        : this._failed
          ? CLOSE_CODE.internal
          : CLOSE_CODE.goingAway;
    for (const conn of [...this._conns]) {
      this._closeConn(
        conn,
        code,
        reason === 'deleted' ? 'the file was deleted' : 'the room is closing'
      );
    }
    await this._compacting;
    if (reason !== 'deleted' && !this._failed) {
      await this._exclusive(() => this._save());
    }
    await this._chain;
    await this._teardown();
    this._log.info({ reason }, 'room closed');
  }

  private async _teardown(): Promise<void> {
    this._state = 'closed';
    clearInterval(this._heartbeatTimer);
    clearInterval(this._diskTimer);
    clearTimeout(this._saveTimer);
    clearTimeout(this._idleTimer);
    clearTimeout(this._commitTimer);
    await this._writer?.close().catch(() => undefined);
    this._awareness?.destroy();
    this._doc?.destroy();
  }

  private _logFile(): string {
    return `${this._dir}/log`;
  }

  private _header(snapshotBytes: number): ILogHeader {
    return {
      version: 1,
      epoch: this._epoch,
      room: this._name.name,
      createdAt: Date.now(),
      snapshotBytes
    };
  }

  private _meta() {
    return {
      room: this._name.name,
      path: this._name.path,
      kind: this._name.kind,
      createdAt: Date.now()
    };
  }

  private _name: IRoomName;
  private readonly _deps: IRoomDeps;
  private _dir: string;
  private _log: Logger;
  private readonly _adapter: IDocumentAdapter;
  private _state: RoomState = 'loading';
  private _epoch = '';
  private _doc!: Y.Doc;
  private _awareness!: awarenessProtocol.Awareness;
  private _writer?: LogWriter;
  /** The adapter's memory between `reconcile` calls. */
  private readonly _reconcileState: IReconcileState = { emptiedAt: 0 };
  private _checkQueued = false;
  /** The sync step 2 a client with an empty document gets (until the document changes). */
  private _fullState?: Uint8Array[];
  /** The seed's transactions, encoded, while the document holds nothing else. */
  private _seedParts?: ISeedPart[];
  /** Bytes of the log's first record (seed or compaction): compaction waits for 2x that. */
  private _snapshotBytes = 0;
  private readonly _conns = new Set<IConn>();
  private readonly _awarenessOwner = new Map<number, IConn>();
  private _pending: Batch | null = null;
  private _inflight: Batch | null = null;
  private _commitTimer?: NodeJS.Timeout;
  private _chain: Promise<void> = Promise.resolve();
  private _compacting?: Promise<void>;
  private _base: Uint8Array = new Uint8Array(0);
  private _baseHash = '';
  private _baseMtime = 0;
  private _changes = 0;
  private _savedChanges = 0;
  private _lastSavedAt: number | null = null;
  private _saveFailures = 0;
  private _documentReadOnly: string | null = null;
  private _failed = false;
  private readonly _failWaiters = new Set<(err: Error) => void>();
  /** Updates of a merge from disk in progress (logged with its base record). */
  private _capture?: Uint8Array[];
  private _closing?: Promise<void>;
  private _saveTimer?: NodeJS.Timeout;
  private _diskTimer?: NodeJS.Timeout;
  private _heartbeatTimer?: NodeJS.Timeout;
  private _idleTimer?: NodeJS.Timeout;
}

/**
 * The transactions of a seed, as their updates (v1) with the client id each was made under;
 * none when a transaction changed more than one client, or not from clock 0.
 */
class SeedCapture {
  constructor(doc: Y.Doc) {
    this._doc = doc;
    doc.on('update', this._onUpdate);
  }

  /** Some parts went to clients before the seed was done. */
  served = false;

  /** The parts so far, or undefined when they do not make up the document. */
  get parts(): readonly ISeedPart[] | undefined {
    return this._usable ? this._parts : undefined;
  }

  /** Stop listening; the parts, or undefined when they do not make up the document. */
  stop(): ISeedPart[] | undefined {
    this._doc.off('update', this._onUpdate);
    return this._usable ? this._parts : undefined;
  }

  private readonly _onUpdate = (
    update: Uint8Array,
    _origin: unknown,
    _doc: Y.Doc,
    transaction: Y.Transaction
  ): void => {
    const changed = [...transaction.afterState].filter(
      ([client, clock]) => clock !== (transaction.beforeState.get(client) ?? 0)
    );
    if (
      changed.length !== 1 ||
      transaction.beforeState.has(changed[0][0]) ||
      this._parts.some(part => part.client === changed[0][0])
    ) {
      this._usable = false;
      return;
    }
    this._parts.push(seedPart(changed[0][0], changed[0][1], update));
  };

  private readonly _doc: Y.Doc;
  private readonly _parts: ISeedPart[] = [];
  private _usable = true;
}

/**
 * How a failed load is reported: a missing file and unusable content are permanent (44xx:
 * y-websocket stops reconnecting), storage trouble is not (45xx: it tries again).
 */
function loadFailure(err: Error): {
  code: number;
  reason: string;
  message: string;
} {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') {
    return {
      code: CLOSE_CODE.notFound,
      reason: 'no such file',
      message: 'The file does not exist.'
    };
  }
  if (
    err.name === 'DocumentError' ||
    code === 'ENOTFILE' ||
    code === 'EESCAPE' ||
    code === 'EINVALIDPATH' ||
    code === 'ETOOBIG'
  ) {
    return {
      code: CLOSE_CODE.unloadable,
      reason: 'the document could not be opened',
      message: `The document could not be opened: ${err.message}`
    };
  }
  return {
    code: CLOSE_CODE.unavailable,
    reason: 'the file could not be read: try again later',
    message: `The file could not be read (${err.message}); the connection will retry.`
  };
}

/**
 * An awareness state with the connection's verified identity in its `user` field, whatever the
 * client claimed: collaborators' names, initials and colours come from tickets, never from a
 * peer's word. A client's own colour is kept when the identity has none.
 *
 * @param json - the state as the client sent it ("null" when it leaves).
 * @throws SyntaxError when the state is not JSON.
 */
export function stampIdentity(json: string, identity: BridgeIdentity): string {
  const state: unknown = JSON.parse(json);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    return json;
  }
  const claimed = (state as { user?: unknown }).user;
  const user =
    claimed !== null && typeof claimed === 'object' && !Array.isArray(claimed)
      ? (claimed as Record<string, unknown>)
      : {};
  return JSON.stringify({
    ...state,
    user: {
      ...user,
      username: identity.username,
      name: identity.name,
      display_name: identity.name,
      initials: identity.initials,
      color: identity.color ?? user.color ?? null
    }
  });
}

/** Whether a verified identity may write contents. */
export function canWrite(identity: BridgeIdentity): boolean {
  return hasPermission(identity, 'contents', 'write');
}

function isConn(origin: unknown): origin is IConn {
  return (
    typeof origin === 'object' &&
    origin !== null &&
    'ws' in origin &&
    'awarenessIds' in origin
  );
}

function toBytes(data: unknown): Uint8Array {
  if (Array.isArray(data)) {
    return new Uint8Array(Buffer.concat(data as Buffer[]));
  }
  if (data instanceof ArrayBuffer) {
    return new Uint8Array(data);
  }
  const buf = data as Buffer;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
