import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import type { ICollaborator } from '../models/collaborators';

/**
 * A collaborator's avatar: their initials on their colour (the colour of their cursor).
 */
export function createAvatar(
  collaborator: Pick<ICollaborator, 'initials' | 'color' | 'display_name'>,
  className = 'jp-Collab-avatar'
): HTMLElement {
  const avatar = document.createElement('span');
  avatar.className = className;
  avatar.style.backgroundColor = collaborator.color;
  avatar.textContent = collaborator.initials;
  avatar.setAttribute('aria-hidden', 'true');
  return avatar;
}

/**
 * The avatars of the others who have a shared document open, on its toolbar. At most
 * `max` are shown, then "+N".
 */
export class CollabAvatars extends Widget {
  constructor(options: CollabAvatars.IOptions = {}) {
    super();
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._max = options.max ?? 5;
    this._onClick = options.onClick ?? null;
    this.addClass('jp-Collab-avatars');
    this.node.setAttribute('role', 'group');
    this.node.addEventListener('click', () => this._onClick?.());
    this.update();
  }

  /**
   * The collaborators shown.
   */
  get collaborators(): ReadonlyArray<ICollaborator> {
    return this._collaborators;
  }

  set collaborators(value: ReadonlyArray<ICollaborator>) {
    const key = value
      .map(c => `${c.username}\u0000${c.color}\u0000${c.initials}`)
      .join('\u0001');
    if (key === this._key) {
      return;
    }
    this._key = key;
    this._collaborators = value;
    this.update();
  }

  protected onUpdateRequest(): void {
    const trans = this._trans;
    const node = this.node;
    node.textContent = '';
    const list = this._collaborators;
    const names = list.map(c => c.display_name);
    node.setAttribute(
      'aria-label',
      list.length
        ? trans._n(
            'Also here: %2',
            'Also here (%1): %2',
            list.length,
            names.join(', ')
          )
        : trans.__('Nobody else has this document open')
    );
    node.title = list.length
      ? trans.__('Also editing: %1', names.join(', '))
      : trans.__('Nobody else has this document open');
    for (const collaborator of list.slice(0, this._max)) {
      const avatar = createAvatar(collaborator);
      avatar.title = collaborator.display_name;
      avatar.dataset.username = collaborator.username;
      node.appendChild(avatar);
    }
    if (list.length > this._max) {
      const more = document.createElement('span');
      more.className = 'jp-Collab-avatar jp-mod-more';
      more.textContent = `+${list.length - this._max}`;
      node.appendChild(more);
    }
    this.toggleClass('jp-mod-empty', list.length === 0);
  }

  private _trans: ReturnType<ITranslator['load']>;
  private _max: number;
  private _onClick: (() => void) | null;
  private _collaborators: ReadonlyArray<ICollaborator> = [];
  private _key = '';
}

/**
 * The namespace for `CollabAvatars` statics.
 */
export namespace CollabAvatars {
  /**
   * Options to create the avatars.
   */
  export interface IOptions {
    translator?: ITranslator;
    /**
     * How many avatars at most.
     */
    max?: number;
    /**
     * Called on a click (opens the collaborators panel).
     */
    onClick?: () => void;
  }
}
