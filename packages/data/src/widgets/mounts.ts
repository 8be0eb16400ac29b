import type { DataMount } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import { CommandIDs } from '../commandids';
import { describeError } from '../errors';
import { Dom } from './dom';
import { DataView } from './view';

/**
 * The mounts: each with its kind and health (ok / stale / hung as coloured states), "open in
 * file browser" for those under the server's root, and the configured CVMFS repositories with
 * their revision. Fetched again every few seconds while shown.
 */
export class MountsSection extends DataView {
  /**
   * Create the section.
   */
  constructor(options: MountsSection.IOptions) {
    super(options);
    this._serverRoot = (options.serverRoot ?? '').replace(/\/+$/, '');
    this.addClass('jp-DataPanel-section');
    this.addClass('jp-DataMounts');
    this.node.setAttribute('aria-label', this.trans.__('Mounts'));
    this.watch(this.model.mounts.changed);
    this.render();
  }

  /**
   * The path of a mount relative to the server's root, or `null` outside it.
   */
  relativePath(mountPoint: string): string | null {
    return MountsSection.relativeTo(this._serverRoot, mountPoint);
  }

  /**
   * Render the mounts.
   */
  render(): void {
    const model = this.model.mounts;
    const trans = this.trans;
    const node = this.node;
    node.replaceChildren(
      Dom.el('h3', 'jp-DataPanel-heading', trans.__('Mounts'))
    );
    const answer = model.mounts;
    if (model.error) {
      node.append(
        Dom.error(describeError(model.error, trans), trans, {
          retry: () => void model.refresh()
        })
      );
    }
    if (!answer) {
      if (!model.error) {
        node.append(Dom.loading(trans.__('Looking for mounts…')));
      }
      return;
    }
    if (answer.mounts.length === 0 && answer.cvmfs.length === 0) {
      node.append(
        Dom.empty(
          trans.__(
            'No network or FUSE mounts here (NFS, CVMFS, rclone, s3fs, sshfs, CephFS appear when mounted).'
          )
        )
      );
      return;
    }
    const list = Dom.el('ul', 'jp-DataMounts-list');
    for (const mount of answer.mounts) {
      list.append(this._mount(mount));
    }
    node.append(list);
    if (answer.cvmfs.length) {
      node.append(
        Dom.el('h4', 'jp-DataPanel-subheading', trans.__('CVMFS repositories'))
      );
      const repos = Dom.el('ul', 'jp-DataMounts-list');
      for (const repo of answer.cvmfs) {
        const item = Dom.el(
          'li',
          `jp-DataMounts-item jp-DataMounts-repo jp-mod-${repo.mounted ? 'ok' : 'unmounted'}`
        );
        item.dataset.repo = repo.repo;
        item.append(Dom.el('span', 'jp-DataMounts-dot'));
        item.append(Dom.el('span', 'jp-DataMounts-path', repo.repo));
        item.append(
          Dom.el(
            'span',
            'jp-DataMounts-meta',
            repo.mounted
              ? repo.revision !== undefined
                ? trans.__('mounted · revision %1', repo.revision)
                : trans.__('mounted')
              : trans.__('not mounted')
          )
        );
        if (repo.detail) {
          item.title = repo.detail;
        }
        repos.append(item);
      }
      node.append(repos);
    }
  }

  /**
   * Poll while shown.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._sync();
  }

  /**
   * Poll while attached and visible.
   */
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._sync();
  }

  /**
   * Stop polling when hidden.
   */
  protected onAfterHide(_msg: Message): void {
    this._sync();
  }

  /**
   * Stop polling when detached.
   */
  protected onBeforeDetach(_msg: Message): void {
    this._claim?.dispose();
    this._claim = null;
  }

  /**
   * Stop polling and dispose.
   */
  dispose(): void {
    this._claim?.dispose();
    this._claim = null;
    super.dispose();
  }

  private _sync(): void {
    if (this.isVisible && !this._claim) {
      this._claim = this.model.mounts.acquire();
    } else if (!this.isVisible && this._claim) {
      this._claim.dispose();
      this._claim = null;
    }
  }

  private _mount(mount: DataMount): HTMLElement {
    const trans = this.trans;
    const item = Dom.el('li', `jp-DataMounts-item jp-mod-${mount.health}`);
    item.dataset.mountPoint = mount.mountPoint;
    item.dataset.health = mount.health;
    const health: Record<DataMount['health'], string> = {
      ok: trans.__('healthy'),
      stale: trans.__('stale: the server or FUSE daemon went away'),
      hung: trans.__('hung: it did not answer in time'),
      unknown: trans.__('checking…')
    };
    const dot = Dom.el('span', 'jp-DataMounts-dot');
    dot.setAttribute('role', 'img');
    dot.setAttribute('aria-label', health[mount.health]);
    item.append(dot);
    const path = Dom.el('span', 'jp-DataMounts-path', mount.mountPoint);
    path.title = `${mount.source} (${mount.fsType})${mount.detail ? `\n${mount.detail}` : ''}`;
    item.append(path);
    item.append(
      Dom.el(
        'span',
        'jp-DataMounts-meta',
        `${mount.kind} · ${health[mount.health]}${mount.readOnly ? ` · ${trans.__('read-only')}` : ''}`
      )
    );
    const actions = Dom.el('span', 'jp-DataPanel-actions');
    if (this.relativePath(mount.mountPoint) !== null && mount.health === 'ok') {
      actions.append(
        Dom.button(
          trans.__('Open'),
          () => this.execute(CommandIDs.openMount, { path: mount.mountPoint }),
          {
            className: 'jp-DataMounts-open',
            title: trans.__('Open in the file browser')
          }
        )
      );
    }
    actions.append(
      Dom.button(
        trans.__('Snippet'),
        () =>
          this.execute(CommandIDs.insertSnippet, {
            path: `${mount.mountPoint.replace(/\/+$/, '')}/`
          }),
        {
          className: 'jp-DataMounts-snippet',
          title: trans.__('Insert a cell that lists it')
        }
      )
    );
    item.append(actions);
    return item;
  }

  private _serverRoot: string;
  private _claim: IDisposable | null = null;
}

/**
 * The namespace for `MountsSection` statics.
 */
export namespace MountsSection {
  /**
   * Options to create the section.
   */
  export interface IOptions extends DataView.IOptions {
    /** The server's root directory (absolute), to open mounts under it. */
    serverRoot?: string;
  }

  /**
   * The path of `path` relative to `root` (`''` for the root itself), or `null` outside it.
   */
  export function relativeTo(root: string, path: string): string | null {
    const r = root.replace(/\/+$/, '');
    const p = path.replace(/\/+$/, '');
    if (!r || !p.startsWith('/')) {
      return null;
    }
    if (p === r) {
      return '';
    }
    return p.startsWith(`${r}/`) ? p.slice(r.length + 1) : null;
  }
}
