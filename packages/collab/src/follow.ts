/**
 * Follow a collaborator: open the shared document they look at and keep their active cell (or
 * their cursor) in sight, until you act in your own view.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { FileEditor } from '@jupyterlab/fileeditor';
import { Notebook } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import * as Y from 'yjs';
import type { ICollaborator } from './models/collaborators';
import { FollowAction, FollowModel } from './models/follow';
import type { ICollaboration } from './tokens';

/**
 * The class on the body while following someone.
 */
const FOLLOWING_CLASS = 'jp-mod-collabFollowing';

/**
 * Follows one collaborator at a time.
 */
export class FollowController implements IDisposable {
  constructor(options: FollowController.IOptions) {
    this._app = options.app;
    this._collab = options.collaboration;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._collab.awarenessChanged.connect(this._onAwareness, this);
  }

  /**
   * The user name followed; `null` when nobody.
   */
  get following(): string | null {
    return this._model.following;
  }

  /**
   * Emitted when following starts or stops.
   */
  get followingChanged(): ISignal<this, string | null> {
    return this._followingChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Follow a collaborator.
   */
  start(collaborator: ICollaborator): void {
    this._model.start(collaborator.username);
    this._name = collaborator.display_name;
    document.body.classList.add(FOLLOWING_CLASS);
    document.body.style.setProperty(
      '--jp-Collab-follow-color',
      collaborator.color
    );
    this._listen(true);
    this._followingChanged.emit(collaborator.username);
    Notification.info(
      this._trans.__(
        'Following %1. Press a key, click or scroll to stop.',
        collaborator.display_name
      ),
      { autoClose: 4000 }
    );
    this._act(this._model.update(this._collab.peers()));
  }

  /**
   * Stop following.
   */
  stop(): void {
    if (!this._model.stop()) {
      return;
    }
    this._stopped();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.stop();
    this._collab.awarenessChanged.disconnect(this._onAwareness, this);
    Signal.clearData(this);
  }

  private _stopped(): void {
    this._listen(false);
    document.body.classList.remove(FOLLOWING_CLASS);
    document.body.style.removeProperty('--jp-Collab-follow-color');
    this._followingChanged.emit(null);
  }

  private _listen(on: boolean): void {
    for (const type of ['keydown', 'wheel', 'mousedown', 'touchstart']) {
      if (on) {
        document.addEventListener(type, this._onInteraction, true);
      } else {
        document.removeEventListener(type, this._onInteraction, true);
      }
    }
  }

  private _onInteraction = (event: Event): void => {
    const target = event.target as HTMLElement | null;
    // The collaborators panel and dialogs are not the user's own view.
    if (
      target?.closest?.('.jp-Collab-panel, .jp-Dialog, .jp-Notification-Toast')
    ) {
      return;
    }
    if (this._model.interacted()) {
      this._stopped();
    }
  };

  private _onAwareness(): void {
    if (this._model.following === null) {
      return;
    }
    this._act(this._model.update(this._collab.peers()));
  }

  private _act(action: FollowAction | null): void {
    if (!action) {
      return;
    }
    switch (action.type) {
      case 'lost':
        this._stopped();
        Notification.info(
          this._trans.__(
            '%1 left the shared documents: you stopped following them.',
            this._name ?? action.username
          ),
          { autoClose: 5000 }
        );
        return;
      case 'open':
        void this._collab.openShared(action.path).then(async widget => {
          if (!widget) {
            return;
          }
          await widget.context.ready;
          this._reveal(widget, action.cellId, null);
        });
        return;
      case 'reveal': {
        const widget = this._collab.findWidget(action.path);
        if (widget) {
          if (this._app.shell.currentWidget !== widget) {
            this._app.shell.activateById(widget.id);
          }
          this._reveal(widget, action.cellId, action.cursorHead);
        }
        return;
      }
    }
  }

  /**
   * Bring a cell (notebooks) or a cursor position (text files) into view.
   */
  private _reveal(
    widget: IDocumentWidget,
    cellId: string | null,
    cursorHead: unknown
  ): void {
    const content = widget.content;
    if (content instanceof Notebook && cellId) {
      const index = content.widgets.findIndex(cell => cell.model.id === cellId);
      if (index >= 0) {
        void content.scrollToItem(index, 'smart');
      }
      return;
    }
    if (content instanceof FileEditor && cursorHead) {
      const session = this._collab.sessionForWidget(widget);
      const ysource = (session?.sharedModel as any)?.ysource as
        Y.Text | undefined;
      if (!session || !ysource) {
        return;
      }
      try {
        const absolute = Y.createAbsolutePositionFromRelativePosition(
          Y.createRelativePositionFromJSON(cursorHead),
          session.sharedModel.ydoc
        );
        if (absolute && absolute.type === ysource) {
          const editor = content.editor;
          editor.revealPosition(editor.getPositionAt(absolute.index)!);
        }
      } catch {
        // a position in another document: nothing to reveal
      }
    }
  }

  private _app: JupyterFrontEnd;
  private _collab: ICollaboration;
  private _trans: ReturnType<ITranslator['load']>;
  private _model = new FollowModel();
  private _name: string | null = null;
  private _isDisposed = false;
  private _followingChanged = new Signal<this, string | null>(this);
}

/**
 * The namespace for `FollowController` statics.
 */
export namespace FollowController {
  /**
   * Options to create the controller.
   */
  export interface IOptions {
    app: JupyterFrontEnd;
    collaboration: ICollaboration;
    translator?: ITranslator;
  }
}
