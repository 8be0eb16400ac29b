import { formatBytes, ProgressBars } from '@mlinfn/common';
import { CommandIDs } from '../commandids';
import { describeError } from '../errors';
import { IStaging } from '../models/staging';
import { Dom } from './dom';
import { DataView } from './view';

/**
 * The local cache: stagings under way with their progress bars, then the staged objects with
 * size and age, "copy path", "insert snippet" and "remove".
 */
export class CacheSection extends DataView {
  /**
   * Create the section.
   */
  constructor(options: CacheSection.IOptions) {
    super(options);
    this._now = options.now ?? Date.now;
    this.addClass('jp-DataPanel-section');
    this.addClass('jp-DataCache');
    this.node.setAttribute('aria-label', this.trans.__('Cache'));
    this.watch(this.model.staging.changed);
    this.render();
  }

  /**
   * Dispose of the section and its bars.
   */
  dispose(): void {
    this._bars.dispose();
    super.dispose();
  }

  /**
   * Render the cache.
   */
  render(): void {
    const staging = this.model.staging;
    const trans = this.trans;
    const node = this.node;
    const active = staging.active;
    this._bars.prune((id, bar) => {
      const live = active.find(s => s.id === id && s.progress === bar.model);
      return !!live && live.entry.state !== 'failed';
    });
    node.replaceChildren(
      Dom.el('h3', 'jp-DataPanel-heading', trans.__('Cache'))
    );
    for (const s of active) {
      node.append(this._staging(s));
    }
    if (staging.error) {
      node.append(
        Dom.error(describeError(staging.error, trans), trans, {
          retry: () => void staging.refresh()
        })
      );
    } else if (!staging.usage) {
      node.append(Dom.loading(trans.__('Loading the cache…')));
      return;
    }
    const entries = staging.entries;
    if (entries.length === 0 && active.length === 0) {
      node.append(
        Dom.empty(
          trans.__(
            'Nothing staged yet. Select an object and press Stage, or call stage() from mlinfn_lab.data in a notebook: the copy lands on local disk, verified.'
          )
        )
      );
    }
    if (entries.length) {
      const list = Dom.el('ul', 'jp-DataCache-entries');
      const now = this._now();
      for (const e of entries) {
        const item = Dom.el('li', 'jp-DataCache-entry');
        item.dataset.id = e.id;
        item.dataset.key = e.key;
        item.dataset.bucket = e.bucket;
        const name = Dom.el('span', 'jp-DataCache-name', Dom.basename(e.key));
        name.title = `${e.endpoint}/${e.bucket}/${e.key}\n${e.localPath ?? ''}`;
        const meta = Dom.el(
          'span',
          'jp-DataCache-meta',
          `${formatBytes(e.size)} · ${Dom.age(e.createdAt, now, trans)}`
        );
        const actions = Dom.el('span', 'jp-DataPanel-actions');
        actions.append(
          Dom.button(
            trans.__('Copy path'),
            () => this.execute(CommandIDs.copyPath, { id: e.id }),
            { className: 'jp-DataCache-copyPath' }
          ),
          Dom.button(
            trans.__('Snippet'),
            () =>
              this.execute(CommandIDs.insertSnippet, {
                source: 'staged',
                endpoint: e.endpoint,
                bucket: e.bucket,
                key: e.key
              }),
            {
              className: 'jp-DataCache-snippet',
              title: trans.__('Insert a cell that reads it')
            }
          ),
          Dom.button(
            trans.__('Remove'),
            () => this.execute(CommandIDs.removeCached, { id: e.id }),
            { className: 'jp-DataCache-remove' }
          )
        );
        item.append(name, meta, actions);
        list.append(item);
      }
      node.append(list);
    }
    const usage = staging.usage;
    if (usage) {
      node.append(
        Dom.el(
          'p',
          'jp-DataCache-usage',
          trans.__(
            '%1 of %2 used',
            formatBytes(usage.usedBytes),
            formatBytes(usage.quotaBytes)
          )
        )
      );
    }
  }

  private _staging(s: IStaging): HTMLElement {
    const trans = this.trans;
    const item = Dom.el('div', `jp-DataCache-staging jp-mod-${s.entry.state}`);
    item.dataset.id = s.id;
    item.dataset.key = s.entry.key;
    item.dataset.bucket = s.entry.bucket;
    item.dataset.state = s.entry.state;
    if (s.entry.state === 'failed') {
      // No bar for a staging that stopped: its rate and time left mean nothing now.
      item.append(
        Dom.el('div', 'jp-DataCache-name', Dom.basename(s.entry.key))
      );
    } else {
      item.append(this._bars.get(s.id, s.progress).node);
    }
    const states: Record<string, string> = {
      queued: trans.__('waiting for a download slot'),
      downloading: trans.__('downloading'),
      verifying: trans.__('verifying the checksum'),
      failed: trans.__('failed')
    };
    item.append(
      Dom.el('div', 'jp-DataCache-state', states[s.entry.state] ?? '')
    );
    if (s.entry.state === 'failed') {
      item.append(
        Dom.error(
          {
            message: s.entry.error ?? trans.__('The staging failed.'),
            details: null,
            loginExpired: /log in again/i.test(s.entry.error ?? '')
          },
          trans,
          { logIn: () => this.execute(CommandIDs.logIn) }
        ),
        Dom.button(trans.__('Dismiss'), () => this.model.staging.dismiss(s.id))
      );
    } else {
      item.append(
        Dom.button(
          trans.__('Cancel'),
          () => this.execute(CommandIDs.removeCached, { id: s.id }),
          { className: 'jp-DataCache-cancel' }
        )
      );
    }
    return item;
  }

  private _bars = new ProgressBars<string>(this.translator);
  private _now: () => number;
}

/**
 * The namespace for `CacheSection` statics.
 */
export namespace CacheSection {
  /**
   * Options to create the section.
   */
  export interface IOptions extends DataView.IOptions {
    /** The clock (for tests). */
    now?: () => number;
  }
}
