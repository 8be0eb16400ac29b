import { formatBytes } from '@mlinfn/common';
import { CommandIDs } from '../commandids';
import { describeError } from '../errors';
import { Dom } from './dom';
import { DataView } from './view';

/**
 * The selected object: its details (size, modified, ETag, content type) and what can be done
 * with it (links, staging, snippets).
 */
export class DetailsSection extends DataView {
  /**
   * Create the section.
   */
  constructor(options: DataView.IOptions) {
    super(options);
    this.addClass('jp-DataPanel-section');
    this.addClass('jp-DataDetails');
    this.node.setAttribute('aria-label', this.trans.__('Object details'));
    this.watch(this.model.changed, this.model.staging.changed);
    this.render();
  }

  /**
   * Render the details.
   */
  render(): void {
    const m = this.model;
    const trans = this.trans;
    const node = this.node;
    node.replaceChildren();
    const key = m.selectedKey;
    // A class, not setHidden(): a hidden widget would stop rendering its updates.
    this.toggleClass('jp-mod-empty', key === null);
    if (key === null) {
      return;
    }
    node.append(Dom.el('h3', 'jp-DataPanel-heading', Dom.basename(key)));
    if (m.selectedState === 'loading') {
      node.append(Dom.loading(trans.__('Loading details…')));
      return;
    }
    if (m.selectedState === 'error') {
      node.append(
        Dom.error(describeError(m.selectedError, trans), trans, {
          retry: () => void m.selectObject(key),
          logIn: () => this.execute(CommandIDs.logIn)
        })
      );
      return;
    }
    const d = m.selected;
    if (!d) {
      return;
    }
    const table = Dom.el('dl', 'jp-DataDetails-fields');
    const field = (label: string, value: string, name: string) => {
      table.append(Dom.el('dt', '', label));
      const dd = Dom.el('dd', `jp-DataDetails-${name}`, value);
      dd.title = value;
      table.append(dd);
    };
    field(trans.__('Key'), d.key, 'key');
    field(trans.__('Size'), formatBytes(d.size), 'size');
    field(
      trans.__('Modified'),
      new Date(d.lastModified).toLocaleString(),
      'modified'
    );
    field(trans.__('ETag'), d.etag, 'etag');
    field(
      trans.__('Content type'),
      d.contentType ?? trans.__('not set'),
      'contentType'
    );
    if (d.partsCount) {
      field(trans.__('Parts'), String(d.partsCount), 'parts');
    }
    node.append(table);

    const cached = m.staging.find(m.listing!.endpoint, d.bucket, d.key);
    if (cached && 'localPath' in cached && cached.localPath) {
      node.append(
        Dom.el(
          'p',
          'jp-DataDetails-cached',
          trans.__('In the cache: %1', cached.localPath)
        )
      );
    }

    const actions = Dom.el('div', 'jp-DataPanel-actions');
    const linkTitle = d.presignable
      ? undefined
      : trans.__(
          'Keys with "." or ".." segments cannot be pre-signed: browsers rewrite such URLs and the signature no longer matches.'
        );
    const share = Dom.button(
      trans.__('Share link…'),
      () => this.execute(CommandIDs.link),
      { className: 'jp-DataDetails-link', title: linkTitle, accept: true }
    );
    const copy = Dom.button(
      trans.__('Copy link'),
      () => this.execute(CommandIDs.copyLink),
      { className: 'jp-DataDetails-copyLink', title: linkTitle }
    );
    const urlSnippet = Dom.button(
      trans.__('URL snippet'),
      () => this.execute(CommandIDs.insertSnippet, { source: 'url' }),
      {
        className: 'jp-DataDetails-urlSnippet',
        title:
          linkTitle ??
          trans.__(
            'Insert a cell below the active one that reads it through a pre-signed URL (no local copy)'
          )
      }
    );
    share.disabled = copy.disabled = urlSnippet.disabled = !d.presignable;
    actions.append(
      share,
      copy,
      Dom.button(trans.__('Stage'), () => this.execute(CommandIDs.stage), {
        className: 'jp-DataDetails-stage',
        title: trans.__('Copy it into the local cache, close to the kernels')
      }),
      Dom.button(
        trans.__('Insert snippet'),
        () => this.execute(CommandIDs.insertSnippet, { source: 'staged' }),
        {
          className: 'jp-DataDetails-snippet',
          title: trans.__(
            'Insert a cell below the active one that stages the object and reads it'
          )
        }
      ),
      urlSnippet
    );
    node.append(actions);
  }
}
