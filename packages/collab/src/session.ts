/**
 * One shared document: its Y.Doc (a `YNotebook` or `YFile` of `@jupyter/ydoc`) synced with its
 * room in the bridge through y-websocket's `WebsocketProvider`, with the bridge's own messages
 * (durable 4, room-status 5, epoch 6, ticket 7) handled on top.
 */
import type { DocumentChange, YDocument } from '@jupyter/ydoc';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type {
  BridgeIdentity,
  CollabRoomNotice,
  CollabRoomStatus,
  ITicketSource
} from '@mlinfn/common';
import { PromiseDelegate } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import * as decoding from 'lib0/decoding';
import type * as encoding from 'lib0/encoding';
import { WebsocketProvider } from 'y-websocket';
import { DurabilityTracker } from './models/durability';
import { decideEpoch } from './models/epoch';
import type { IAwarenessUser } from './models/identity';
import { ReadOnlyGuard } from './models/guard';
import { IReadOnlyDecision, readOnlyDecision } from './models/readonly';
import { DocumentKind, encodeRoomName } from './models/roomname';
import { ConnectionState, dotState, DotState } from './models/status';
import {
  CLOSE_CODE,
  closeAction,
  MSG,
  parseEpoch,
  parseRoomStatus,
  readDurable,
  ticketMessage,
  isCountedUpdate
} from './protocol';

/**
 * The path below the Jupyter base URL where the bridge serves rooms.
 */
export const ROOMS_PATH = 'mlinfn-bridge/collab';

/**
 * Why a shared document must be opened afresh.
 */
export interface IReloadRequest {
  /**
   * `epoch`: the room's history was rebuilt; `renamed`: the file moved to `newPath`.
   */
  reason: 'epoch' | 'renamed';
  /**
   * The document's content when edits of this client were not yet durable (they are dropped
   * with the document: the user may keep them as a copy); `null` when nothing was pending.
   */
  unsaved: string | null;
  /**
   * The path to open (the new one after a rename).
   */
  path: string;
}

/**
 * A shared document and its connection to its room.
 */
export class CollabSession implements IDisposable {
  /**
   * Connect a shared model to its room. The connection opens as soon as a ticket is had.
   */
  constructor(options: CollabSession.IOptions) {
    this.sharedModel = options.sharedModel;
    this.kind = options.kind;
    this._path = options.path;
    this._roomName = options.roomName;
    this._tickets = options.tickets;
    this._permissions = options.permissions ?? null;
    this._personalServer = options.personalServer ?? false;
    this._firstLoadAttempts = options.firstLoadAttempts ?? 8;
    const ydoc = this.sharedModel.ydoc;

    // Local edits are counted before the provider sends them (listeners run in order).
    ydoc.on('update', this._onDocUpdate);
    // A read-only user's local changes are undone: the room would drop them anyway.
    this._guard = new ReadOnlyGuard(ydoc);
    this._guard.refused.connect(() => this._editRefused.emit(), this);
    this._stateChanged.connect(this._updateGuard, this);
    this._updateGuard();

    const settings = options.serverSettings;
    const serverUrl = URLExt.join(settings.wsUrl, ROOMS_PATH);
    const params: Record<string, string> = {};
    if (settings.appendToken && settings.token) {
      params.token = settings.token;
    }
    const tracker = this._tracker;
    const Base = (options.WebSocket ??
      settings.WebSocket ??
      WebSocket) as typeof WebSocket;
    // A WebSocket that tells the tracker about each frame the room counts.
    const Counting = class extends Base {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        tracker.connectionOpened(this);
      }
      send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
        super.send(data);
        if (isCountedUpdate(data)) {
          tracker.frameSent(this);
        }
      }
    };

    this._provider = new WebsocketProvider(
      serverUrl,
      encodeRoomName(this._roomName),
      ydoc,
      {
        connect: false,
        awareness: this.sharedModel.awareness,
        params,
        // Tabs of one browser must not sync with each other directly: that would bypass the
        // room (durability, permissions, epochs).
        disableBc: true,
        WebSocketPolyfill: Counting,
        maxBackoffTime: options.maxBackoffTime ?? 5000,
        shouldReconnect: event => this._shouldReconnect(event)
      }
    );
    const handlers = this._provider.messageHandlers as Private.MessageHandler[];
    handlers[MSG.durable] = (_e, decoder, provider) =>
      this._onDurable(decoder, provider);
    handlers[MSG.roomStatus] = (_e, decoder) => this._onRoomStatus(decoder);
    handlers[MSG.epoch] = (_e, decoder) => this._onEpoch(decoder);

    this._provider.on('status', this._onStatus);
    this._provider.on('sync', this._onSync);
    this._provider.on('connection-close', this._onConnectionClose);
    this._provider.on('closed', this._onClosed);
    this._tickets.refreshed.connect(this._onTicketRefreshed, this);

    this.sharedModel.disposed.connect(this._onModelDisposed, this);
    // Whoever waits on `ready` sees a failed load; nobody waiting is not an error.
    this._ready.promise.catch(() => undefined);

    void this._connect();
  }

  /**
   * The shared model.
   */
  readonly sharedModel: YDocument<DocumentChange>;

  /**
   * What the document is.
   */
  readonly kind: DocumentKind;

  /**
   * The path of the document relative to the root dir (follows renames).
   */
  get path(): string {
    return this._path;
  }

  /**
   * The room's name (follows renames).
   */
  get roomName(): string {
    return this._roomName;
  }

  /**
   * Resolves once the document is synced with its room for the first time; rejects when it
   * cannot be (the file does not exist, cannot be opened, the room cannot be reached).
   */
  get ready(): Promise<void> {
    return this._ready.promise;
  }

  /**
   * The state of the connection.
   */
  get connection(): ConnectionState {
    return this._connection;
  }

  /**
   * Whether the document was synced with its room at least once.
   */
  get everSynced(): boolean {
    return this._everSynced;
  }

  /**
   * Whether local edits are not yet durable in the room's log.
   */
  get pending(): boolean {
    return this._tracker.pending;
  }

  /**
   * How many local edits are not yet durable.
   */
  get pendingCount(): number {
    return this._tracker.pendingCount;
  }

  /**
   * The room's latest status; `null` before the first.
   */
  get roomStatus(): CollabRoomStatus | null {
    return this._status;
  }

  /**
   * The epoch of the document's history; `null` before the room said it.
   */
  get epoch(): string | null {
    return this._epoch;
  }

  /**
   * Whether, and how firmly, the document is read-only for this user.
   */
  get readOnly(): IReadOnlyDecision {
    return readOnlyDecision({
      permissions: this._permissions,
      status: this._status,
      personalServer: this._personalServer
    });
  }

  /**
   * What the status-bar dot shows for this document.
   */
  get dotState(): DotState {
    return dotState({
      connection: this._connection,
      everSynced: this._everSynced,
      pending: this._tracker.pending,
      readOnly: this.readOnly.readOnly
    });
  }

  /**
   * Why the connection closed for good; `null` while it is not.
   */
  get closedReason(): string | null {
    return this._closedReason;
  }

  /**
   * Emitted when a local change was undone because the document is read-only for this user.
   */
  get editRefused(): ISignal<this, void> {
    return this._editRefused;
  }

  /**
   * Emitted when the connection, sync, durability or read-only state changes.
   */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /**
   * Emitted with each room status, its notice included.
   */
  get statusReceived(): ISignal<this, CollabRoomStatus> {
    return this._statusReceived;
  }

  /**
   * Emitted when the document must be dropped and opened afresh (never merged).
   */
  get reloadRequested(): ISignal<this, IReloadRequest> {
    return this._reloadRequested;
  }

  /**
   * Emitted when any awareness state of the room changes (others' and this client's).
   */
  get awarenessChanged(): ISignal<this, void> {
    return this._awarenessChanged;
  }

  /**
   * The Yjs client id of this document.
   */
  get clientId(): number {
    return this.sharedModel.ydoc.clientID;
  }

  /**
   * Whether the session has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Set the verified identity's permissions (they decide read-only until the room speaks).
   */
  setPermissions(permissions: BridgeIdentity['permissions'] | null): void {
    this._permissions = permissions;
    this._stateChanged.emit();
  }

  /**
   * Publish a field of this client's awareness state.
   */
  setAwarenessField(key: string, value: unknown): void {
    const awareness = this.sharedModel.awareness;
    if (this._isDisposed || this.sharedModel.isDisposed) {
      return;
    }
    const state = awareness.getLocalState();
    if (state && JSON.stringify(state[key]) === JSON.stringify(value)) {
      return;
    }
    awareness.setLocalStateField(key, value);
  }

  /**
   * Publish the user on this document's awareness.
   */
  setUser(user: IAwarenessUser): void {
    this.setAwarenessField('user', user);
  }

  /**
   * The awareness states of the room, each with when it was last updated.
   */
  awarenessStates(): {
    clientId: number;
    state: Record<string, unknown>;
    updatedAt: number;
  }[] {
    if (this.sharedModel.isDisposed) {
      return [];
    }
    const awareness = this.sharedModel.awareness;
    const result: {
      clientId: number;
      state: Record<string, unknown>;
      updatedAt: number;
    }[] = [];
    awareness.getStates().forEach((state, clientId) => {
      if (!state || typeof state !== 'object') {
        return;
      }
      const meta = awareness.meta.get(clientId);
      result.push({
        clientId,
        state: state as Record<string, unknown>,
        updatedAt: meta?.lastUpdated ?? 0
      });
    });
    return result;
  }

  /**
   * The document's content as JSON text (notebooks) or text (files).
   */
  contentSnapshot(): string {
    const source = (this.sharedModel as any).getSource();
    return typeof source === 'string'
      ? source
      : JSON.stringify(source, null, 1);
  }

  /**
   * Close the connection and forget the document. Edits that are not yet durable are lost:
   * callers that can wait use `disposeWhenDurable`.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._lingerTimer);
    this._tickets.refreshed.disconnect(this._onTicketRefreshed, this);
    this.sharedModel.ydoc.off('update', this._onDocUpdate);
    this._guard.dispose();
    if (!this.sharedModel.isDisposed) {
      this.sharedModel.awareness.off('change', this._onAwarenessChange);
    }
    this._provider.destroy();
    if (!this._everSynced) {
      this._ready.reject(new Error('The shared document was closed.'));
    }
    this._setConnection('closed');
    Signal.clearData(this);
  }

  /**
   * Dispose once every local edit is durable, or after `timeoutMs`, whichever comes first: a
   * document closed while the connection was down still delivers its last edits when the
   * connection comes back within that time.
   */
  disposeWhenDurable(timeoutMs = 30000): void {
    if (this._isDisposed) {
      return;
    }
    if (!this._tracker.pending || this._connection === 'closed') {
      this.dispose();
      return;
    }
    this._lingering = true;
    this._lingerTimer = setTimeout(() => this.dispose(), timeoutMs);
  }

  /**
   * Get a ticket and connect.
   */
  private async _connect(): Promise<void> {
    try {
      const ticket = await this._tickets.ticket();
      if (this._isDisposed) {
        return;
      }
      this._provider.params.ticket = ticket;
      this.sharedModel.awareness.on('change', this._onAwarenessChange);
      this._provider.connect();
    } catch (error) {
      this._fail(
        (error as Error)?.message ||
          'No ticket for the mlinfn bridge could be had.'
      );
    }
  }

  /**
   * A Y.Doc update: count it when it is a local edit.
   */
  private _onDocUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === this._provider) {
      return;
    }
    this._tracker.localEdit();
    this._stateChanged.emit();
  };

  private _onAwarenessChange = (): void => {
    this._awarenessChanged.emit();
  };

  private _onStatus = (event: { status: string }): void => {
    if (event.status === 'connected') {
      this._failedAttempts = 0;
      // Connected, but not synced: shown as connecting until the sync.
      return;
    }
    if (event.status === 'disconnected' || event.status === 'connecting') {
      if (this._connection === 'connected') {
        this._setConnection('reconnecting');
      }
    }
  };

  private _onSync = (synced: boolean): void => {
    if (!synced || this._isDisposed) {
      return;
    }
    this._everSynced = true;
    this._setConnection('connected');
    this._ready.resolve();
  };

  private _onConnectionClose = (event: CloseEvent | null): void => {
    if (this._isDisposed) {
      return;
    }
    const ws = this._provider.ws;
    this._tracker.connectionClosed(ws);
    if (event && closeAction(event.code) !== 'retry') {
      // A permanent close or a reload: `shouldReconnect` and `closed` deal with it.
      return;
    }
    this._failedAttempts++;
    if (this._connection === 'connected') {
      this._setConnection('reconnecting');
    }
    if (
      !this._everSynced &&
      this._connection !== 'closed' &&
      this._failedAttempts >= this._firstLoadAttempts
    ) {
      this._fail(
        'The collaboration room of this document could not be reached: the mlinfn bridge refused the connection or did not answer.'
      );
      return;
    }
    // The next attempt goes with a fresh ticket when the current one is old (or was refused
    // a few times in a row: the bridge may have restarted with another secret).
    const refresh =
      this._failedAttempts >= 3 && this._failedAttempts % 3 === 0
        ? this._tickets.refresh()
        : this._tickets.ticket();
    refresh
      .then(ticket => {
        if (!this._isDisposed) {
          this._provider.params.ticket = ticket;
        }
      })
      .catch(() => {
        // The next close tries again.
      });
  };

  private _onClosed = (event: { code: number; reason: string }): void => {
    if (this._isDisposed || this._reloading) {
      return;
    }
    this._fail(
      Private.closeMessage(event.code, event.reason, this._status?.notice)
    );
  };

  private _shouldReconnect(event: CloseEvent): boolean {
    const action = closeAction(event.code);
    if (action === 'reload') {
      this._requestReload('epoch');
      return false;
    }
    if (action === 'stop') {
      // A document created a moment ago may not be on disk yet when its room first looks.
      if (
        event.code === CLOSE_CODE.notFound &&
        !this._everSynced &&
        this._notFoundRetries < 3
      ) {
        this._notFoundRetries++;
        return true;
      }
      return false;
    }
    return true;
  }

  private _onTicketRefreshed(_sender: unknown, ticket: string): void {
    if (this._isDisposed) {
      return;
    }
    this._provider.params.ticket = ticket;
    const ws = this._provider.ws;
    if (this._provider.wsconnected && ws && ws.readyState === ws.OPEN) {
      ws.send(ticketMessage(ticket));
    }
  }

  private _onDurable(decoder: decoding.Decoder, provider: unknown): void {
    const message = readDurable(decoder);
    const ws = (provider as WebsocketProvider).ws;
    if (this._tracker.durable(ws, message.seq)) {
      this._stateChanged.emit();
    }
    if (this._lingering && !this._tracker.pending) {
      this.dispose();
    }
  }

  private _onRoomStatus(decoder: decoding.Decoder): void {
    const status = parseRoomStatus(decoding.readVarString(decoder));
    if (!status) {
      return;
    }
    this._status = status;
    const notice = status.notice;
    if (notice?.kind === 'renamed' && notice.newRoom && notice.newPath) {
      // The room moved with its connections; later connections go to the new name.
      this._roomName = notice.newRoom;
      this._path = notice.newPath;
      (this._provider as any).roomname = encodeRoomName(notice.newRoom);
    }
    this._statusReceived.emit(status);
    // The file may have been written (unsavedChanges) even when read-only did not change.
    this._stateChanged.emit();
  }

  private _onEpoch(decoder: decoding.Decoder): void {
    const message = parseEpoch(decoding.readVarString(decoder));
    if (!message) {
      return;
    }
    const decision = decideEpoch(this._epoch, message, this._everSynced);
    switch (decision.action) {
      case 'adopt':
        this._epoch = decision.epoch;
        this._provider.params.epoch = decision.epoch;
        return;
      case 'keep':
        return;
      case 'reload':
        this._requestReload('epoch');
        return;
    }
  }

  /**
   * Stop syncing at once (nothing of the room's new history may reach this document) and ask
   * for the document to be opened afresh.
   */
  private _requestReload(reason: 'epoch' | 'renamed'): void {
    if (this._reloading || this._isDisposed) {
      return;
    }
    this._reloading = true;
    const unsaved = this._tracker.pending ? this.contentSnapshot() : null;
    this._provider.disconnect();
    this._setConnection('closed');
    this._closedReason =
      'The document was rebuilt on the server: it is opened again.';
    this._reloadRequested.emit({ reason, unsaved, path: this._path });
  }

  private _fail(reason: string): void {
    if (this._connection === 'closed') {
      return;
    }
    this._closedReason = reason;
    this._provider.disconnect();
    this._setConnection('closed');
    this._ready.reject(new Error(reason));
    if (this._lingering) {
      this.dispose();
    }
  }

  private _setConnection(state: ConnectionState): void {
    if (this._connection === state) {
      return;
    }
    this._connection = state;
    this._stateChanged.emit();
  }

  private _onModelDisposed(): void {
    this.disposeWhenDurable();
  }

  private _path: string;
  private _roomName: string;
  private _tickets: ITicketSource;
  private _permissions: BridgeIdentity['permissions'] | null;
  private _personalServer: boolean;
  private _firstLoadAttempts: number;
  private _provider: WebsocketProvider;
  private _tracker = new DurabilityTracker();
  private _ready = new PromiseDelegate<void>();
  private _connection: ConnectionState = 'connecting';
  private _everSynced = false;
  private _status: CollabRoomStatus | null = null;
  private _epoch: string | null = null;
  private _closedReason: string | null = null;
  private _failedAttempts = 0;
  private _notFoundRetries = 0;
  private _reloading = false;
  private _lingering = false;
  private _lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private _isDisposed = false;
  private _updateGuard(): void {
    this._guard.enabled = this.readOnly.readOnly;
  }

  private readonly _guard: ReadOnlyGuard;
  private _editRefused = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, void>(this);
  private _statusReceived = new Signal<this, CollabRoomStatus>(this);
  private _reloadRequested = new Signal<this, IReloadRequest>(this);
  private _awarenessChanged = new Signal<this, void>(this);
}

/**
 * The namespace for `CollabSession` statics.
 */
export namespace CollabSession {
  /**
   * Options to create a session.
   */
  export interface IOptions {
    /**
     * The shared model to sync (a fresh, empty one).
     */
    sharedModel: YDocument<DocumentChange>;
    /**
     * What it is.
     */
    kind: DocumentKind;
    /**
     * Its normalised path.
     */
    path: string;
    /**
     * Its room's name.
     */
    roomName: string;
    /**
     * The Jupyter server settings (the WebSocket base URL).
     */
    serverSettings: ServerConnection.ISettings;
    /**
     * Where tickets come from.
     */
    tickets: ITicketSource;
    /**
     * The verified permissions, when known.
     */
    permissions?: BridgeIdentity['permissions'] | null;
    /**
     * Whether this is a JupyterHub user's server used by someone else.
     */
    personalServer?: boolean;
    /**
     * The WebSocket class (tests).
     */
    WebSocket?: typeof WebSocket;
    /**
     * Longest wait between reconnection attempts, in ms.
     */
    maxBackoffTime?: number;
    /**
     * Failed connection attempts before the first load gives up.
     */
    firstLoadAttempts?: number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A y-websocket message handler.
   */
  export type MessageHandler = (
    encoder: encoding.Encoder,
    decoder: decoding.Decoder,
    provider: WebsocketProvider,
    emitSynced: boolean,
    messageType: number
  ) => void;

  /**
   * One sentence for a permanent close.
   */
  export function closeMessage(
    code: number,
    reason: string,
    notice: CollabRoomNotice | undefined
  ): string {
    if (
      notice &&
      (notice.kind === 'deleted' || notice.kind === 'load-failed')
    ) {
      return notice.message;
    }
    switch (code) {
      case CLOSE_CODE.notFound:
        return 'The file does not exist (it may have been deleted or moved).';
      case CLOSE_CODE.unloadable:
        return `The file could not be opened as a shared document${reason ? `: ${reason}` : ''}.`;
      case CLOSE_CODE.unauthorized:
        return 'The bridge closed the connection: your login changed. Reload the page.';
      default:
        return reason
          ? `The collaboration room closed the connection: ${reason}.`
          : `The collaboration room closed the connection (code ${code}).`;
    }
  }
}
