/**
 * The collaborative mode of a page: makes shared models for the documents that are to be
 * shared, keeps one session per shared document, publishes who this user is and what they look
 * at on every room's awareness, applies read-only, reopens documents whose history was rebuilt,
 * and tells the user what the rooms say.
 */
import { ISharedDocument, YFile, YNotebook } from '@jupyter/ydoc';
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { FileEditor } from '@jupyterlab/fileeditor';
import { Notebook, NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { BridgeIdentity, CollabRoomStatus } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  aggregateCollaborators,
  ICollaborator,
  IPeerState
} from './models/collaborators';
import { awarenessUser, IAwarenessUser } from './models/identity';
import {
  documentKind,
  normalizeRoomPath,
  roomNameFor,
  RoomPathProblem
} from './models/roomname';
import { ISharedDocumentSource } from './provider';
import { CollabSession, IReloadRequest } from './session';
import {
  ICollabSettings,
  ICollaboration,
  ITicketSource,
  PROVIDER_ID,
  SharedModel
} from './tokens';
import { CollabBanner } from './widgets/banner';

/**
 * A widget factory whose content provider can be chosen.
 */
export interface IProviderFactory {
  contentProviderId?: string;
  readonly widgetCreated: ISignal<unknown, IDocumentWidget>;
}

/**
 * The collaborative mode.
 */
export class Collaboration implements ICollaboration, ISharedDocumentSource {
  constructor(options: Collaboration.IOptions) {
    this._app = options.app;
    this._docManager = options.docManager;
    this._contents = options.contents;
    this._tickets = options.tickets;
    this._translator = options.translator ?? nullTranslator;
    this._trans = this._translator.load('mlinfn');
    this._factories = options.factories;
    this._serverSettings = options.serverSettings;
    this._personalOwner = options.hubUser ?? null;
    this._WebSocket = options.WebSocket;
    for (const factory of this._factories) {
      factory.widgetCreated.connect(this._onWidgetCreated, this);
    }
    this._app.shell.currentChanged?.connect(this._publishCurrent, this);
    window.addEventListener('beforeunload', this._onBeforeUnload);
  }

  readonly available = true;
  readonly unavailableReason = null;

  /**
   * Whether documents open as shared ones.
   */
  get enabled(): boolean {
    return this._settings.collaborative;
  }

  get enabledChanged(): ISignal<this, boolean> {
    return this._enabledChanged;
  }

  /**
   * The current settings.
   */
  get settings(): Readonly<ICollabSettings> {
    return this._settings;
  }

  get sessions(): ReadonlyArray<CollabSession> {
    return [...this._sessions.values()];
  }

  get sessionsChanged(): ISignal<this, void> {
    return this._sessionsChanged;
  }

  get widgetAdded(): ISignal<
    this,
    { widget: IDocumentWidget; session: CollabSession }
  > {
    return this._widgetAdded;
  }

  get awarenessChanged(): ISignal<this, void> {
    return this._awarenessChanged;
  }

  get user(): IAwarenessUser | null {
    return this._user;
  }

  /**
   * Whether the page has been disposed of (never in practice; tests).
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Apply changed settings. The mode applies to documents opened from now on.
   */
  updateSettings(settings: Partial<ICollabSettings>): void {
    const before = this._settings.collaborative;
    this._settings = { ...this._settings, ...settings };
    this._updateFactories();
    if (before !== this._settings.collaborative) {
      this._enabledChanged.emit(this._settings.collaborative);
    }
  }

  /**
   * Where the mode is saved (set by the plugin once the settings are loaded).
   */
  set saveEnabled(save: ((enabled: boolean) => Promise<void>) | null) {
    this._saveEnabled = save;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (this._saveEnabled) {
      await this._saveEnabled(enabled);
    } else {
      this.updateSettings({ collaborative: enabled });
    }
  }

  /**
   * The verified identity: it names this user on every room and decides read-only.
   */
  setIdentity(
    identity: BridgeIdentity | null,
    fallback?: IAwarenessUser
  ): void {
    this._identity = identity;
    this._user = identity ? awarenessUser(identity) : (fallback ?? null);
    for (const session of this._sessions.values()) {
      this._publishUser(session);
      session.setPermissions(identity?.permissions ?? null);
    }
    this._sessionsChanged.emit();
  }

  sessionFor(sharedModel: unknown): CollabSession | null {
    return this._sessions.get(sharedModel as SharedModel) ?? null;
  }

  sessionForWidget(
    widget: IDocumentWidget | null | undefined
  ): CollabSession | null {
    if (!widget) {
      return null;
    }
    const context = this._docManager.contextForWidget(widget);
    return context ? this.sessionFor(context.model.sharedModel) : null;
  }

  /**
   * The session whose room holds a Y.Doc (the remote-cursor extension starts from an editor's
   * Y.Text).
   */
  sessionForYDoc(ydoc: unknown): CollabSession | null {
    for (const session of this._sessions.values()) {
      if (session.sharedModel.ydoc === ydoc) {
        return session;
      }
    }
    return null;
  }

  peers(): IPeerState[] {
    const peers: IPeerState[] = [];
    for (const session of this._sessions.values()) {
      const own = session.clientId;
      for (const entry of session.awarenessStates()) {
        peers.push({
          clientId: entry.clientId,
          path: session.path,
          state: entry.state,
          updatedAt: entry.updatedAt,
          local:
            entry.clientId === own || this._ownClientIds().has(entry.clientId)
        });
      }
    }
    return peers;
  }

  collaborators(): ICollaborator[] {
    return aggregateCollaborators(this.peers(), this._user?.username ?? null);
  }

  findWidget(path: string): IDocumentWidget | undefined {
    const target = this._normalize(path);
    let fallback: IDocumentWidget | undefined;
    for (const widget of this._app.shell.widgets('main')) {
      const context = this._docManager.contextForWidget(widget);
      if (!context || this._normalize(context.path) !== target) {
        continue;
      }
      if (this.sessionFor(context.model.sharedModel)) {
        return widget as IDocumentWidget;
      }
      fallback = fallback ?? (widget as IDocumentWidget);
    }
    return fallback;
  }

  async openShared(path: string): Promise<IDocumentWidget | undefined> {
    const normal = this._normalize(path);
    const existing = this.findWidget(normal);
    if (existing && this.sessionForWidget(existing)) {
      this._app.shell.activateById(existing.id);
      return existing;
    }
    if (existing) {
      // Open as an ordinary document: it is closed first (the usual unsaved-changes question
      // applies) and opened again, shared.
      await this._docManager.closeFile(normal);
      if (this.findWidget(normal)) {
        return this.findWidget(normal);
      }
    }
    this._oneShot.add(normal);
    this._updateFactories();
    try {
      return this._docManager.openOrReveal(normal);
    } finally {
      this._oneShot.delete(normal);
      this._updateFactories();
    }
  }

  /**
   * Ask for one document to open as a shared one whenever it is next opened (a share link: the
   * page opens it itself), for a while.
   */
  shareOnNextOpen(path: string, timeoutMs = 120000): void {
    const normal = this._normalize(path);
    // Kept until a shared model of it has synced, not just until one is made: at startup the
    // layout restorer may open the document, and the tree URL open it again.
    this._shareLinks.add(normal);
    this._updateFactories();
    setTimeout(() => {
      if (this._shareLinks.delete(normal)) {
        this._updateFactories();
      }
    }, timeoutMs);
  }

  // ---- the content provider's side ---------------------------------------------------------

  createSharedModel(
    options: Contents.ISharedFactoryOptions
  ): ISharedDocument | undefined {
    if (this._isDisposed) {
      return undefined;
    }
    const kind = documentKind(options.format, options.contentType);
    if (!kind || this._contents.driveName(options.path) !== '') {
      return undefined;
    }
    const localPath = this._contents.localPath(options.path);
    const normal = this._normalize(localPath);
    const oneShot = this._oneShot.delete(normal);
    if (oneShot) {
      this._updateFactories();
    }
    const linked = this._shareLinks.has(normal);
    if (!oneShot && !linked && !this._settings.collaborative) {
      return undefined;
    }
    if (kind === 'file' && /\.ipynb$/i.test(normal)) {
      // A notebook opened as text stays an ordinary document: its shared form is the notebook.
      return undefined;
    }
    const room = roomNameFor(kind, localPath);
    if (!room.ok) {
      this._refuse(localPath, room.problem);
      return undefined;
    }
    const sharedModel = (kind === 'notebook'
      ? new YNotebook({ disableDocumentWideUndoRedo: true })
      : new YFile()) as unknown as SharedModel;
    const session = new CollabSession({
      sharedModel,
      kind,
      path: room.path,
      roomName: room.name,
      serverSettings: this._serverSettings,
      tickets: this._tickets,
      permissions: this._identity?.permissions ?? null,
      personalServer: this._isPersonalServer(),
      WebSocket: this._WebSocket
    });
    this._sessions.set(sharedModel, session);
    if (linked) {
      void session.ready.then(() => {
        if (this._shareLinks.delete(normal)) {
          this._updateFactories();
        }
      });
    }
    session.stateChanged.connect(this._onSessionState, this);
    session.statusReceived.connect(this._onRoomStatus, this);
    session.reloadRequested.connect(this._onReloadRequested, this);
    session.awarenessChanged.connect(this._onAwareness, this);
    session.editRefused.connect(this._onEditRefused, this);
    sharedModel.disposed.connect(() => this._forget(sharedModel));
    this._publishUser(session);
    this._publishDocuments();
    this._sessionsChanged.emit();
    return sharedModel as unknown as ISharedDocument;
  }

  whenLoaded(
    localPath: string,
    format: string,
    contentType: string
  ): Promise<void> | null {
    const kind = documentKind(format, contentType);
    const normal = this._normalize(localPath);
    // Every live session of the document: a context's first load must not end before its own
    // session synced, and the provider cannot tell which context asks.
    const ready = [...this._sessions.values()]
      .filter(s => s.kind === kind && s.path === normal && !s.isDisposed)
      .map(s => s.ready);
    if (ready.length === 0) {
      return null;
    }
    return Promise.all(ready).then(() => undefined);
  }

  isShared(localPath: string): boolean {
    const normal = this._normalize(localPath);
    return [...this._sessions.values()].some(
      s => s.path === normal && !s.isDisposed
    );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.removeEventListener('beforeunload', this._onBeforeUnload);
    for (const factory of this._factories) {
      factory.widgetCreated.disconnect(this._onWidgetCreated, this);
      if (factory.contentProviderId === PROVIDER_ID) {
        factory.contentProviderId = undefined;
      }
    }
    for (const session of this._sessions.values()) {
      session.dispose();
    }
    this._sessions.clear();
    Signal.clearData(this);
  }

  // ---- private -----------------------------------------------------------------------------

  /**
   * The factories name the provider while documents may open shared.
   */
  private _updateFactories(): void {
    const id =
      this._settings.collaborative ||
      this._oneShot.size > 0 ||
      this._shareLinks.size > 0
        ? PROVIDER_ID
        : undefined;
    for (const factory of this._factories) {
      factory.contentProviderId = id;
    }
  }

  private _normalize(path: string): string {
    const local = this._contents.localPath(path);
    const normal = normalizeRoomPath(local, { behindProxy: false });
    return normal.ok ? normal.path : local;
  }

  private _isPersonalServer(): boolean {
    const owner = this._personalOwner;
    return !!owner && !!this._identity && owner !== this._identity.username;
  }

  private _ownClientIds(): Set<number> {
    const ids = new Set<number>();
    for (const session of this._sessions.values()) {
      ids.add(session.clientId);
    }
    return ids;
  }

  private _refuse(path: string, problem: RoomPathProblem): void {
    const trans = this._trans;
    const why: Record<RoomPathProblem, string> = {
      empty: trans.__('the path is empty'),
      'too-long': trans.__('the path is too long'),
      'control-character': trans.__('the path contains a control character'),
      absolute: trans.__('the path is not relative to the server root'),
      'parent-segment': trans.__('the path contains ".."'),
      'proxy-unsafe': trans.__(
        'its name contains "?" or "#", which cannot reach the collaboration server through the Jupyter server proxy'
      )
    };
    const message = trans.__(
      '%1 opens as an ordinary (unshared) document: %2.',
      path,
      why[problem]
    );
    console.warn(`mlinfn collab: ${message}`);
    Notification.warning(message, { autoClose: 8000 });
  }

  private _forget(sharedModel: SharedModel): void {
    const session = this._sessions.get(sharedModel);
    if (!session) {
      return;
    }
    this._sessions.delete(sharedModel);
    session.stateChanged.disconnect(this._onSessionState, this);
    session.statusReceived.disconnect(this._onRoomStatus, this);
    session.reloadRequested.disconnect(this._onReloadRequested, this);
    session.awarenessChanged.disconnect(this._onAwareness, this);
    session.editRefused.disconnect(this._onEditRefused, this);
    this._publishDocuments();
    this._sessionsChanged.emit();
    this._scheduleAwareness();
  }

  private _publishUser(session: CollabSession): void {
    if (this._user) {
      session.setUser(this._user);
    }
  }

  /**
   * Every room hears which shared documents this page has open.
   */
  private _publishDocuments(): void {
    const documents = [...this._sessions.values()].map(s => s.path).sort();
    for (const session of this._sessions.values()) {
      session.setAwarenessField('documents', documents);
    }
    this._publishCurrent();
  }

  /**
   * Every room hears which shared document this page looks at.
   */
  private _publishCurrent(): void {
    const widget = this._app.shell.currentWidget as IDocumentWidget | null;
    const session = this.sessionForWidget(widget);
    const current = session ? session.path : null;
    for (const s of this._sessions.values()) {
      s.setAwarenessField('current', current);
    }
  }

  /**
   * Publish the active cell of a notebook in its room.
   */
  publishActiveCell(panel: NotebookPanel | null): void {
    const session = this.sessionForWidget(panel);
    if (!session || !panel) {
      return;
    }
    const cell = panel.content.activeCell;
    session.setAwarenessField('activeCellId', cell ? cell.model.id : null);
  }

  private _onWidgetCreated(_sender: unknown, widget: IDocumentWidget): void {
    const session = this.sessionFor(widget.context.model.sharedModel);
    if (!session) {
      return;
    }
    widget.addClass('jp-Collab-shared');
    const banner = new CollabBanner({
      session,
      translator: this._translator
    });
    if (widget instanceof MainAreaWidget) {
      widget.contentHeader.addWidget(banner);
    } else {
      banner.dispose();
    }
    const apply = () => this._applyReadOnly(widget, session);
    session.stateChanged.connect(apply);
    const content = widget.content;
    let cellsChanged: IDisposable | null = null;
    if (content instanceof Notebook) {
      const onCells = () => requestAnimationFrame(apply);
      widget.context.ready
        .then(() => {
          content.model?.cells.changed.connect(onCells);
          cellsChanged = {
            isDisposed: false,
            dispose: () => content.model?.cells.changed.disconnect(onCells)
          };
          apply();
        })
        .catch(() => undefined);
    }
    widget.disposed.connect(() => {
      session.stateChanged.disconnect(apply);
      cellsChanged?.dispose();
    });
    apply();
    this._widgetAdded.emit({ widget, session });
    this._publishCurrent();
  }

  /**
   * Make a widget's editors read-only (or editable again) as the session decides.
   */
  private _applyReadOnly(
    widget: IDocumentWidget,
    session: CollabSession
  ): void {
    if (widget.isDisposed) {
      return;
    }
    const readOnly =
      session.readOnly.readOnly || session.connection === 'closed';
    const state = Private.readOnlyState.get(widget) ?? false;
    const content = widget.content;
    if (content instanceof Notebook) {
      if (content.model) {
        content.model.readOnly = readOnly;
      }
      for (const cell of content.widgets) {
        if (readOnly) {
          // Not written to the cell's metadata: the view alone is read-only.
          cell.syncEditable = false;
          cell.readOnly = true;
        } else if (state) {
          cell.readOnly =
            cell.model.sharedModel.getMetadata('editable') === false;
          cell.syncEditable = true;
        }
      }
    } else if (content instanceof FileEditor) {
      widget.context.model.readOnly = readOnly;
      content.editor.setOption('readOnly', readOnly);
    }
    widget.toggleClass('jp-Collab-readOnly', readOnly);
    Private.readOnlyState.set(widget, readOnly);
  }

  private _widgetsOf(session: CollabSession): IDocumentWidget[] {
    const widgets: IDocumentWidget[] = [];
    for (const widget of this._app.shell.widgets('main')) {
      const context = this._docManager.contextForWidget(widget);
      if (
        context &&
        context.model.sharedModel === (session.sharedModel as unknown)
      ) {
        widgets.push(widget as IDocumentWidget);
      }
    }
    return widgets;
  }

  private _onSessionState(): void {
    this._sessionsChanged.emit();
  }

  /**
   * A read-only user's change was undone: say why, at most once in a while per document.
   */
  private _onEditRefused(session: CollabSession): void {
    const now = Date.now();
    if (now - (Private.refusedAt.get(session) ?? 0) < 10000) {
      return;
    }
    Private.refusedAt.set(session, now);
    const trans = this._trans;
    const reason =
      session.readOnly.reason ??
      trans.__('You can read this shared document but not edit it.');
    Notification.warning(
      trans.__('%1: your change was not kept. %2', session.path, reason),
      { autoClose: 8000 }
    );
  }

  private _onAwareness(): void {
    this._scheduleAwareness();
  }

  private _scheduleAwareness(): void {
    if (this._awarenessFrame !== null) {
      return;
    }
    const run = () => {
      this._awarenessFrame = null;
      if (!this._isDisposed) {
        this._awarenessChanged.emit();
      }
    };
    this._awarenessFrame =
      typeof requestAnimationFrame === 'function'
        ? requestAnimationFrame(run)
        : (setTimeout(run, 16) as unknown as number);
  }

  private _onRoomStatus(
    session: CollabSession,
    status: CollabRoomStatus
  ): void {
    // The file holds every edit: the document is no longer "modified" (the room does not touch
    // @jupyter/ydoc's `dirty` state; JupyterLab would otherwise show the tab modified forever
    // and ask to save on close).
    const model = session.sharedModel;
    if (
      !status.unsavedChanges &&
      !session.pending &&
      !session.readOnly.readOnly &&
      !model.isDisposed &&
      model.dirty
    ) {
      model.dirty = false;
    }
    const notice = status.notice;
    if (!notice) {
      return;
    }
    const key = `${session.roomName}:${notice.kind}:${notice.at}`;
    if (this._noticesSeen.has(key)) {
      return;
    }
    this._noticesSeen.add(key);
    const trans = this._trans;
    switch (notice.kind) {
      case 'conflict':
        // Things that need attention now stay on screen until dismissed (autoClose: false);
        // without it JupyterLab only files them in the notification centre.
        Notification.warning(notice.message, {
          autoClose: false,
          actions: notice.copyPath
            ? [
                {
                  label: trans.__('Open the disk version'),
                  callback: () => {
                    void this._app.commands.execute('docmanager:open', {
                      path: notice.copyPath
                    });
                  }
                }
              ]
            : []
        });
        return;
      case 'disk-merged':
        if (this._settings.notifyDiskMerges) {
          Notification.info(trans.__('%1: %2', session.path, notice.message), {
            autoClose: 6000
          });
        }
        return;
      case 'save-failed':
        Notification.error(trans.__('%1: %2', session.path, notice.message), {
          autoClose: false
        });
        return;
      case 'updates-dropped':
        Notification.warning(
          trans.__(
            '%1: %2 Reopen the document to see the shared version.',
            session.path,
            notice.message
          ),
          {
            autoClose: false,
            actions: [
              {
                label: trans.__('Reopen'),
                callback: () => void this._reopen(session, session.path)
              }
            ]
          }
        );
        return;
      case 'renamed':
        if (notice.newPath) {
          this._afterRename(session, notice.newPath);
        }
        return;
      case 'deleted':
        Notification.warning(
          trans.__(
            '%1 was deleted: the document is no longer shared. Use File ▸ Save As… to keep what is open.',
            session.path
          ),
          { autoClose: false }
        );
        return;
      case 'load-failed':
        // Reported by the load itself (the document context shows the error).
        return;
    }
  }

  /**
   * The file moved: a view still at the old path (the move was made elsewhere) is reopened at
   * the new one; a move made here has already moved the view.
   */
  private _afterRename(session: CollabSession, newPath: string): void {
    setTimeout(() => {
      const widgets = this._widgetsOf(session);
      const stale = widgets.filter(
        w => this._normalize(w.context.path) !== this._normalize(newPath)
      );
      this._publishDocuments();
      if (stale.length === 0) {
        return;
      }
      Notification.info(
        this._trans.__(
          'The file was renamed to %1 and is reopened there.',
          newPath
        ),
        { autoClose: 6000 }
      );
      void this._reopen(session, newPath);
    }, 1500);
  }

  private _onReloadRequested(
    session: CollabSession,
    request: IReloadRequest
  ): void {
    const trans = this._trans;
    const now = Date.now();
    const recent = (this._reloads.get(request.path) ?? []).filter(
      t => now - t < 60000
    );
    recent.push(now);
    this._reloads.set(request.path, recent);
    if (recent.length > 3) {
      Notification.error(
        trans.__(
          '%1 keeps being rebuilt on the server; it was not reopened again. Close it and open it later.',
          request.path
        )
      );
      return;
    }
    const actions: Notification.IAction[] = [];
    if (request.unsaved !== null) {
      const unsaved = request.unsaved;
      actions.push({
        label: trans.__('Save my unsaved edits as a copy'),
        callback: () => void this._saveCopy(session, request.path, unsaved)
      });
    }
    Notification.warning(
      request.unsaved !== null
        ? trans.__(
            '%1 was rebuilt on the server (its history was lost) and was opened again from the server’s copy. Edits of yours that the server had not saved are not in it.',
            request.path
          )
        : trans.__(
            '%1 was rebuilt on the server (its history was lost) and was opened again from the server’s copy.',
            request.path
          ),
      { actions }
    );
    void this._reopen(session, request.path);
  }

  /**
   * Drop a shared document's views (and with them its Y.Doc) and open it afresh.
   */
  private async _reopen(session: CollabSession, path: string): Promise<void> {
    const widgets = this._widgetsOf(session);
    const wasCurrent = widgets.some(w => w === this._app.shell.currentWidget);
    for (const widget of widgets) {
      // Disposed without the close dialog: the document is the room's, nothing is lost here
      // that reopening would keep.
      widget.dispose();
    }
    if (widgets.length === 0) {
      session.dispose();
    }
    const reopened = await this.openShared(path);
    if (reopened && wasCurrent) {
      this._app.shell.activateById(reopened.id);
    }
  }

  private async _saveCopy(
    session: CollabSession,
    path: string,
    content: string
  ): Promise<void> {
    const dot = path.lastIndexOf('.');
    const slash = path.lastIndexOf('/');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = dot > slash ? path.slice(0, dot) : path;
    const ext = dot > slash ? path.slice(dot) : '';
    const copyPath = `${base}-unsaved-${stamp}${ext}`;
    try {
      if (session.kind === 'notebook') {
        await this._contents.save(copyPath, {
          type: 'notebook',
          format: 'json',
          content: JSON.parse(content)
        });
      } else {
        await this._contents.save(copyPath, {
          type: 'file',
          format: 'text',
          content
        });
      }
      Notification.info(
        this._trans.__('Your edits were saved as %1.', copyPath),
        {
          autoClose: 6000
        }
      );
    } catch (error) {
      Notification.error(
        this._trans.__(
          'Your edits could not be saved as a copy: %1',
          (error as Error).message
        )
      );
    }
  }

  private _onBeforeUnload = (event: BeforeUnloadEvent): string | undefined => {
    const pending = [...this._sessions.values()].some(
      s => s.pending && s.connection !== 'closed' && !s.readOnly.readOnly
    );
    if (!pending) {
      return undefined;
    }
    event.preventDefault();
    const message = this._trans.__(
      'Some edits are not yet saved on the collaboration server.'
    );
    event.returnValue = message;
    return message;
  };

  private _app: JupyterFrontEnd;
  private _docManager: IDocumentManager;
  private _contents: Contents.IManager;
  private _tickets: ITicketSource;
  private _translator: ITranslator;
  private _trans: ReturnType<ITranslator['load']>;
  private _factories: IProviderFactory[];
  private _serverSettings: Collaboration.IOptions['serverSettings'];
  private _personalOwner: string | null;
  private _WebSocket: typeof WebSocket | undefined;
  private _settings: ICollabSettings = {
    collaborative: false,
    notifyDiskMerges: true
  };
  private _saveEnabled: ((enabled: boolean) => Promise<void>) | null = null;
  private _identity: BridgeIdentity | null = null;
  private _user: IAwarenessUser | null = null;
  private _sessions = new Map<SharedModel, CollabSession>();
  private _oneShot = new Set<string>();
  private _shareLinks = new Set<string>();
  private _noticesSeen = new Set<string>();
  private _reloads = new Map<string, number[]>();
  private _awarenessFrame: number | null = null;
  private _isDisposed = false;
  private _enabledChanged = new Signal<this, boolean>(this);
  private _sessionsChanged = new Signal<this, void>(this);
  private _awarenessChanged = new Signal<this, void>(this);
  private _widgetAdded = new Signal<
    this,
    { widget: IDocumentWidget; session: CollabSession }
  >(this);
}

/**
 * The namespace for `Collaboration` statics.
 */
export namespace Collaboration {
  /**
   * Options to create the collaborative mode.
   */
  export interface IOptions {
    app: JupyterFrontEnd;
    docManager: IDocumentManager;
    contents: Contents.IManager;
    tickets: ITicketSource;
    /**
     * The notebook and text-editor widget factories.
     */
    factories: IProviderFactory[];
    serverSettings: ConstructorParameters<
      typeof CollabSession
    >[0]['serverSettings'];
    translator?: ITranslator;
    /**
     * The owner of this server under JupyterHub (`hubUser` of the page config).
     */
    hubUser?: string | null;
    /**
     * The WebSocket class (tests).
     */
    WebSocket?: typeof WebSocket;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Whether a widget was made read-only by this extension.
   */
  export const readOnlyState = new WeakMap<Widget, boolean>();

  /**
   * When each session last told its user that a change was not kept.
   */
  export const refusedAt = new WeakMap<CollabSession, number>();
}
