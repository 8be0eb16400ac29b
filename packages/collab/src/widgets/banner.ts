import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import type { CollabSession } from '../session';

/**
 * The banner above a shared document that cannot be edited here: read-only for this user (with
 * a note when that is a courtesy rather than a boundary), read-only for everyone, or no longer
 * shared (the file was deleted, the room cannot be reached).
 */
export class CollabBanner extends Widget {
  constructor(options: CollabBanner.IOptions) {
    super();
    this._session = options.session;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this.addClass('jp-Collab-banner');
    this.node.setAttribute('role', 'status');
    this._session.stateChanged.connect(this._update, this);
    this._update();
  }

  /**
   * What the banner says now: `null` when it has nothing to say (it is then hidden).
   */
  get message(): string | null {
    return this._message;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._session.stateChanged.disconnect(this._update, this);
    super.dispose();
  }

  private _update(): void {
    const trans = this._trans;
    const session = this._session;
    const node = this.node;
    node.textContent = '';
    this.removeClass('jp-mod-closed');
    this.removeClass('jp-mod-readOnly');
    let message: string | null = null;
    let note: string | null = null;
    if (session.connection === 'closed' && session.closedReason) {
      this.addClass('jp-mod-closed');
      message = trans.__(
        'This document is no longer shared: %1 Edits made here are not saved.',
        session.closedReason
      );
    } else {
      const decision = session.readOnly;
      if (decision.readOnly) {
        this.addClass('jp-mod-readOnly');
        if (decision.forEveryone) {
          message = trans.__(
            'This document is read-only for everyone: %1',
            decision.reason ?? trans.__('it cannot be edited.')
          );
        } else {
          message = trans.__(
            'You can read this document but not edit it. %1',
            decision.reason ??
              trans.__(
                'Your permissions on this server do not allow writing files.'
              )
          );
          if (decision.courtesy) {
            note = trans.__(
              'Read-only here is a courtesy, not a security boundary: you can run code on this server, as its user, and code could still change the file.'
            );
          }
        }
      }
    }
    this._message = message;
    if (!message) {
      this.hide();
      return;
    }
    const text = document.createElement('span');
    text.className = 'jp-Collab-bannerText';
    text.textContent = message;
    node.appendChild(text);
    if (note) {
      const small = document.createElement('span');
      small.className = 'jp-Collab-bannerNote';
      small.textContent = note;
      node.appendChild(small);
    }
    this.show();
  }

  private _session: CollabSession;
  private _trans: ReturnType<ITranslator['load']>;
  private _message: string | null = null;
}

/**
 * The namespace for `CollabBanner` statics.
 */
export namespace CollabBanner {
  /**
   * Options to create a banner.
   */
  export interface IOptions {
    /**
     * The document's session.
     */
    session: CollabSession;
    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}
