import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { usersIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { ICollaborator } from '../models/collaborators';
import type { ICollaboration } from '../tokens';
import { createAvatar } from './avatars';

/**
 * The Collaborators panel (left sidebar): who is here, what each has open (a click opens it),
 * and a button to follow each of them.
 */
export class CollaboratorsPanel extends Widget {
  constructor(options: CollaboratorsPanel.IOptions) {
    super();
    this._collab = options.collaboration;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._openDocument = options.openDocument;
    this._follow = options.follow;
    this._stopFollowing = options.stopFollowing;
    this._following = options.following;
    this._toggleMode = options.toggleMode;
    this.id = 'jp-Collab-panel';
    this.addClass('jp-Collab-panel');
    this.title.icon = usersIcon;
    this.title.caption = this._trans.__('Collaborators');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Collaborators'));
    this._collab.awarenessChanged.connect(this._schedule, this);
    this._collab.sessionsChanged.connect(this._schedule, this);
    this._collab.enabledChanged.connect(this._schedule, this);
    this.update();
  }

  /**
   * Redraw (after following started or stopped).
   */
  refresh(): void {
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._collab.awarenessChanged.disconnect(this._schedule, this);
    this._collab.sessionsChanged.disconnect(this._schedule, this);
    this._collab.enabledChanged.disconnect(this._schedule, this);
    super.dispose();
  }

  protected onAfterShow(_msg: Message): void {
    this.update();
  }

  protected onUpdateRequest(_msg: Message): void {
    if (!this.isVisible && this.isAttached) {
      return;
    }
    const trans = this._trans;
    const collab = this._collab;
    const node = this.node;
    node.textContent = '';

    const header = document.createElement('header');
    header.className = 'jp-Collab-panelHeader';
    const title = document.createElement('h2');
    title.className = 'jp-Collab-panelTitle';
    title.textContent = trans.__('Collaborators');
    header.appendChild(title);
    if (collab.available) {
      const mode = document.createElement('button');
      mode.type = 'button';
      mode.className = 'jp-Collab-modeButton jp-mod-styled';
      mode.setAttribute('aria-pressed', String(collab.enabled));
      mode.textContent = collab.enabled
        ? trans.__('Collaborative mode: on')
        : trans.__('Collaborative mode: off');
      mode.title = trans.__(
        'Open notebooks and text files as shared documents (documents already open keep their mode until reopened)'
      );
      mode.addEventListener('click', () => this._toggleMode());
      header.appendChild(mode);
    }
    node.appendChild(header);

    if (!collab.available) {
      node.appendChild(
        Private.empty(
          collab.unavailableReason ??
            trans.__('Collaborative editing is not available here.')
        )
      );
      return;
    }
    const sessions = collab.sessions;
    const everyone = collab.collaborators();
    const others = everyone.filter(c => !c.isSelf);
    if (sessions.length === 0) {
      node.appendChild(
        Private.empty(
          collab.enabled
            ? trans.__(
                'Open a notebook or a text file: it opens as a shared document, and whoever else has it open appears here.'
              )
            : trans.__(
                'Collaborative mode is off. Turn it on (Collaborate ▸ Collaborative Mode) to open notebooks and text files as shared documents, or open a share link someone sent you.'
              )
        )
      );
      return;
    }
    const list = document.createElement('ul');
    list.className = 'jp-Collab-people';
    list.setAttribute(
      'aria-label',
      trans.__('People in your shared documents')
    );
    for (const person of everyone) {
      list.appendChild(this._renderPerson(person));
    }
    node.appendChild(list);
    if (others.length === 0) {
      node.appendChild(
        Private.empty(
          trans.__(
            'Nobody else has your shared documents open. Send them a link: Collaborate ▸ Share Document Link.'
          )
        )
      );
    }
  }

  private _renderPerson(person: ICollaborator): HTMLElement {
    const trans = this._trans;
    const item = document.createElement('li');
    item.className = 'jp-Collab-person';
    item.dataset.username = person.username;
    const row = document.createElement('div');
    row.className = 'jp-Collab-personRow';
    row.appendChild(createAvatar(person));
    const name = document.createElement('span');
    name.className = 'jp-Collab-personName';
    name.textContent = person.isSelf
      ? trans.__('%1 (you)', person.display_name)
      : person.display_name;
    row.appendChild(name);
    if (!person.isSelf) {
      const following = this._following() === person.username;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'jp-Collab-followButton jp-mod-styled';
      button.setAttribute('aria-pressed', String(following));
      button.textContent = following
        ? trans.__('Stop following')
        : trans.__('Follow');
      button.title = following
        ? trans.__('Stop following %1', person.display_name)
        : trans.__(
            'Follow %1: your view keeps their document and active cell in sight',
            person.display_name
          );
      button.addEventListener('click', () => {
        if (following) {
          this._stopFollowing();
        } else {
          this._follow(person);
        }
        this.update();
      });
      row.appendChild(button);
    }
    item.appendChild(row);
    if (person.documents.length > 0) {
      const docs = document.createElement('ul');
      docs.className = 'jp-Collab-documents';
      docs.setAttribute(
        'aria-label',
        trans.__('Documents %1 has open', person.display_name)
      );
      for (const path of person.documents) {
        const li = document.createElement('li');
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'jp-Collab-documentLink';
        link.dataset.path = path;
        const slash = path.lastIndexOf('/');
        link.textContent = path.slice(slash + 1);
        if (slash > 0) {
          const dir = document.createElement('span');
          dir.className = 'jp-Collab-documentDir';
          dir.textContent = path.slice(0, slash);
          link.appendChild(dir);
        }
        link.title = trans.__('Open %1 (shared)', path);
        if (path === person.current) {
          link.classList.add('jp-mod-current');
          link.setAttribute('aria-current', 'true');
          const badge = document.createElement('span');
          badge.className = 'jp-Collab-viewing';
          badge.textContent = trans.__('viewing');
          li.append(link, badge);
        } else {
          li.appendChild(link);
        }
        link.addEventListener('click', () => this._openDocument(path));
        docs.appendChild(li);
      }
      item.appendChild(docs);
    }
    return item;
  }

  private _schedule(): void {
    this.update();
  }

  private _collab: ICollaboration;
  private _trans: ReturnType<ITranslator['load']>;
  private _openDocument: (path: string) => void;
  private _follow: (person: ICollaborator) => void;
  private _stopFollowing: () => void;
  private _following: () => string | null;
  private _toggleMode: () => void;
}

/**
 * The namespace for `CollaboratorsPanel` statics.
 */
export namespace CollaboratorsPanel {
  /**
   * Options to create the panel.
   */
  export interface IOptions {
    collaboration: ICollaboration;
    translator?: ITranslator;
    /**
     * Open a document as a shared one.
     */
    openDocument: (path: string) => void;
    /**
     * Follow someone.
     */
    follow: (person: ICollaborator) => void;
    /**
     * Stop following.
     */
    stopFollowing: () => void;
    /**
     * Whom this page follows.
     */
    following: () => string | null;
    /**
     * Turn the collaborative mode on or off.
     */
    toggleMode: () => void;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * An empty-state paragraph.
   */
  export function empty(text: string): HTMLElement {
    const p = document.createElement('p');
    p.className = 'jp-Collab-empty';
    p.textContent = text;
    return p;
  }
}
