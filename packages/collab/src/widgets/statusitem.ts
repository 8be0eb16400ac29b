import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type { DotState } from '../models/status';
import type { CollabSession } from '../session';

/**
 * The status-bar dot of the current shared document: connecting, reconnecting, edits pending
 * (not yet durable on the server), saved, read-only, closed. A click opens the collaborators
 * panel.
 */
export class CollabStatusItem extends Widget {
  constructor(options: CollabStatusItem.IOptions = {}) {
    super({ node: document.createElement('button') });
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._onClick = options.onClick ?? null;
    this._now = options.now ?? (() => Date.now());
    this.addClass('jp-Collab-status');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', () => this._onClick?.());
    this._dot = document.createElement('span');
    this._dot.className = 'jp-Collab-statusDot';
    this._label = document.createElement('span');
    this._label.className = 'jp-Collab-statusLabel';
    this.node.append(this._dot, this._label);
    this.update();
  }

  /**
   * The session shown; `null` when the current document is not shared (the item is hidden).
   */
  get session(): CollabSession | null {
    return this._session;
  }

  set session(session: CollabSession | null) {
    if (session === this._session) {
      return;
    }
    this._session?.stateChanged.disconnect(this._onState, this);
    this._session = session;
    session?.stateChanged.connect(this._onState, this);
    this._onState();
    this._activeStateChanged.emit();
  }

  /**
   * Whether the item is shown.
   */
  get isActive(): boolean {
    return this._session !== null && !this._session.isDisposed;
  }

  /**
   * Emitted when `isActive` may have changed.
   */
  get activeStateChanged(): ISignal<this, void> {
    return this._activeStateChanged;
  }

  /**
   * The state shown.
   */
  get state(): DotState | null {
    return this._session ? this._session.dotState : null;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._session?.stateChanged.disconnect(this._onState, this);
    super.dispose();
  }

  protected onUpdateRequest(): void {
    const trans = this._trans;
    const session = this._session;
    const state = session?.dotState ?? null;
    this.node.dataset.state = state ?? 'none';
    if (!session || !state) {
      this._label.textContent = '';
      this.node.title = '';
      return;
    }
    const status = session.roomStatus;
    const pending = session.pendingCount;
    let label: string;
    let title: string;
    switch (state) {
      case 'connecting':
        label = trans.__('Connecting…');
        title = trans.__('Opening the shared document %1…', session.path);
        break;
      case 'reconnecting':
        label = trans.__('Reconnecting…');
        title =
          pending > 0
            ? trans._n(
                'The connection to the collaboration server was lost. Your edit is kept here and merged when it is back.',
                'The connection to the collaboration server was lost. Your %1 edits are kept here and merged when it is back.',
                pending
              )
            : trans.__(
                'The connection to the collaboration server was lost; it is being re-established.'
              );
        break;
      case 'pending':
        label = trans.__('Saving…');
        title = trans._n(
          '%1 edit is not yet saved on the collaboration server.',
          '%1 edits are not yet saved on the collaboration server.',
          pending
        );
        break;
      case 'saved':
        label = trans.__('Saved');
        title = status?.unsavedChanges
          ? trans.__(
              'All your edits are saved on the collaboration server; the file is written in a moment.'
            )
          : status?.lastSavedAt
            ? trans.__(
                'All your edits are saved on the collaboration server; the file was written %1.',
                Private.ago(this._now() - status.lastSavedAt, trans)
              )
            : trans.__('All your edits are saved on the collaboration server.');
        break;
      case 'read-only':
        label = trans.__('Read-only');
        title =
          session.readOnly.reason ??
          trans.__('You can read this shared document but not edit it.');
        break;
      case 'closed':
      default:
        label = trans.__('Not shared');
        title =
          session.closedReason ?? trans.__('The document is no longer shared.');
        break;
    }
    this.node.dataset.fileSaved =
      status && !status.unsavedChanges ? 'true' : 'false';
    this._label.textContent = label;
    this.node.title = `${session.path}: ${title}`;
    this.node.setAttribute(
      'aria-label',
      trans.__('Shared document %1: %2', session.path, title)
    );
  }

  private _onState(): void {
    this.update();
  }

  private _trans: ReturnType<ITranslator['load']>;
  private _onClick: (() => void) | null;
  private _now: () => number;
  private _session: CollabSession | null = null;
  private _dot: HTMLElement;
  private _label: HTMLElement;
  private _activeStateChanged = new Signal<this, void>(this);
}

/**
 * The namespace for `CollabStatusItem` statics.
 */
export namespace CollabStatusItem {
  /**
   * Options to create the item.
   */
  export interface IOptions {
    translator?: ITranslator;
    onClick?: () => void;
    /**
     * The clock (tests).
     */
    now?: () => number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * "just now", "2 min ago"...
   */
  export function ago(
    ms: number,
    trans: ReturnType<ITranslator['load']>
  ): string {
    const seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds < 10) {
      return trans.__('just now');
    }
    if (seconds < 60) {
      return trans.__('%1 s ago', seconds);
    }
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) {
      return trans.__('%1 min ago', minutes);
    }
    return trans.__('%1 h ago', Math.round(minutes / 60));
  }
}
