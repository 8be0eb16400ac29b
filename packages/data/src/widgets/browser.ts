import type { DataEndpoint } from '@mlinfn/common';
import { refreshIcon } from '@jupyterlab/ui-components';
import { CommandIDs } from '../commandids';
import { describeError } from '../errors';
import { ListingModel } from '../models/listing';
import { Dom } from './dom';
import { ObjectList } from './objectlist';
import { DataView } from './view';

/**
 * The storage browser: endpoints → buckets → folders, a prefix filter, and the virtualised
 * object list with its paging footer.
 */
export class BrowserSection extends DataView {
  /**
   * Create the browser.
   */
  constructor(options: DataView.IOptions) {
    super(options);
    this.addClass('jp-DataPanel-section');
    this.addClass('jp-DataBrowser');
    this._head = Dom.el('div', 'jp-DataBrowser-head');
    this._filter = Dom.el('input', 'jp-DataBrowser-filter jp-mod-styled');
    this._filter.type = 'search';
    this._filter.placeholder = this.trans.__('Filter by prefix');
    this._filter.setAttribute('aria-label', this.trans.__('Filter by prefix'));
    this._filter.addEventListener('input', () => {
      if (this._debounce) {
        clearTimeout(this._debounce);
      }
      const value = this._filter.value;
      this._debounce = setTimeout(() => {
        void this.model.listing?.setFilter(value);
      }, 250);
    });
    this.list = new ObjectList({
      translator: this.translator,
      onOpen: prefix => void this.model.openFolder(prefix),
      onSelect: key => void this.model.selectObject(key)
    });
    this._footer = Dom.el('div', 'jp-DataBrowser-footer');
    this.node.append(this._head, this._filter, this.list.node, this._footer);
    this.watch(this.model.changed, this.model.listingChanged);
    this.model.listingChanged.connect(this._onListing, this);
    this.render();
  }

  /**
   * The object list.
   */
  readonly list: ObjectList;

  /**
   * Dispose of the browser.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.listingChanged.disconnect(this._onListing, this);
    this._listing?.changed.disconnect(this._renderFooter, this);
    this.list.dispose();
    super.dispose();
  }

  /**
   * Render the head (state, endpoints, buckets, breadcrumb) and the footer.
   */
  render(): void {
    const m = this.model;
    const trans = this.trans;
    const head = this._head;
    head.replaceChildren();
    const listing = m.listing;
    this._filter.hidden = !listing;
    this.list.node.hidden = !listing;
    this.list.listing = listing;
    this.list.selectedKey = m.selectedKey;
    if (listing) {
      if (document.activeElement !== this._filter) {
        this._filter.value = listing.filter;
      }
      head.append(this._breadcrumb(listing));
      this._renderFooter();
      return;
    }
    this._footer.replaceChildren();

    if (m.endpointsState === 'idle' || m.endpointsState === 'loading') {
      head.append(Dom.loading(trans.__('Loading storage endpoints…')));
      return;
    }
    if (m.endpointsState === 'error') {
      head.append(
        Dom.error(describeError(m.endpointsError, trans), trans, {
          retry: () => void m.load(),
          logIn: () => this.execute(CommandIDs.logIn)
        })
      );
      return;
    }
    if (m.endpoints.length === 0) {
      head.append(
        Dom.empty(
          trans.__(
            'No storage endpoints are configured — add a "data" section with your S3 endpoints to the bridge config (see the "Data" section of the mlinfn-lab README).'
          )
        )
      );
      return;
    }
    const endpoint = m.endpoint;
    if (m.endpoints.length > 1 || !endpoint) {
      head.append(this._endpointList(endpoint));
    }
    if (!endpoint) {
      return;
    }
    head.append(this._credentials(endpoint));
    if (m.bucketsState === 'loading') {
      head.append(Dom.loading(trans.__('Loading buckets…')));
    } else if (m.bucketsState === 'error') {
      head.append(
        Dom.error(describeError(m.bucketsError, trans), trans, {
          retry: () => void m.selectEndpoint(endpoint.id),
          logIn: () => this.execute(CommandIDs.logIn)
        })
      );
    } else if (m.buckets.length === 0) {
      head.append(
        Dom.empty(
          trans.__(
            'No buckets on %1 that these keys can see. Ask your storage administrator, or list the buckets in the endpoint\'s "buckets" setting.',
            endpoint.title
          )
        )
      );
    } else {
      const list = Dom.el('ul', 'jp-DataBrowser-buckets');
      list.setAttribute('aria-label', trans.__('Buckets'));
      for (const bucket of m.buckets) {
        const item = Dom.el('li', 'jp-DataBrowser-bucket');
        const button = Dom.el(
          'button',
          'jp-DataBrowser-bucketButton',
          bucket.name
        );
        button.type = 'button';
        button.dataset.bucket = bucket.name;
        button.addEventListener('click', () => void m.openBucket(bucket.name));
        item.append(button);
        list.append(item);
      }
      head.append(list);
    }
  }

  private _endpointList(selected: DataEndpoint | null): HTMLElement {
    const m = this.model;
    const select = Dom.el('select', 'jp-DataBrowser-endpoint jp-mod-styled');
    select.setAttribute('aria-label', this.trans.__('Storage endpoint'));
    if (!selected) {
      const option = Dom.el(
        'option',
        '',
        this.trans.__('Choose a storage endpoint…')
      );
      option.value = '';
      select.append(option);
    }
    for (const e of m.endpoints) {
      const option = Dom.el('option', '', e.title);
      option.value = e.id;
      option.selected = e.id === selected?.id;
      select.append(option);
    }
    select.addEventListener('change', () => {
      if (select.value) {
        void m.selectEndpoint(select.value);
      }
    });
    return select;
  }

  private _credentials(endpoint: DataEndpoint): HTMLElement {
    const trans = this.trans;
    const state = endpoint.credentials.state;
    const line = Dom.el('div', `jp-DataBrowser-credentials jp-mod-${state}`);
    if (state === 'ok') {
      line.textContent =
        endpoint.credentials.kind === 'sts' && endpoint.credentials.expiresAt
          ? trans.__(
              '%1 · keys from your login, valid until %2',
              endpoint.title,
              new Date(endpoint.credentials.expiresAt).toLocaleTimeString()
            )
          : endpoint.title;
      return line;
    }
    return Dom.error(
      {
        message:
          endpoint.credentials.message ??
          trans.__('The keys of %1 are not available.', endpoint.title),
        details: null,
        loginExpired: state === 'expired'
      },
      trans,
      {
        retry: () => void this.model.load(),
        logIn: () => this.execute(CommandIDs.logIn)
      }
    );
  }

  private _breadcrumb(listing: ListingModel): HTMLElement {
    const m = this.model;
    const nav = Dom.el('nav', 'jp-DataBrowser-breadcrumb');
    nav.setAttribute('aria-label', this.trans.__('Location'));
    const crumb = (label: string, onClick: () => void, current = false) => {
      const b = Dom.el('button', 'jp-DataBrowser-crumb', label);
      b.type = 'button';
      if (current) {
        b.setAttribute('aria-current', 'location');
      }
      b.addEventListener('click', onClick);
      return b;
    };
    nav.append(
      crumb(m.endpoint?.title ?? listing.endpoint, () => m.closeBucket())
    );
    const parts = listing.prefix.split('/').filter(Boolean);
    nav.append(Dom.el('span', 'jp-DataBrowser-sep', '/'));
    nav.append(
      crumb(listing.bucket, () => void m.openFolder(''), parts.length === 0)
    );
    let prefix = '';
    parts.forEach((part, i) => {
      prefix += `${part}/`;
      const target = prefix;
      nav.append(Dom.el('span', 'jp-DataBrowser-sep', '/'));
      nav.append(
        crumb(part, () => void m.openFolder(target), i === parts.length - 1)
      );
    });
    const refresh = Dom.el(
      'button',
      'jp-ToolbarButtonComponent jp-DataBrowser-reload'
    );
    refresh.type = 'button';
    refresh.title = this.trans.__('Reload the listing');
    refresh.setAttribute('aria-label', this.trans.__('Reload the listing'));
    refresh.append(refreshIcon.element({ tag: 'span' }));
    refresh.addEventListener('click', () => void listing.reload());
    nav.append(refresh);
    return nav;
  }

  private _onListing(_: unknown, listing: ListingModel | null): void {
    this._listing?.changed.disconnect(this._renderFooter, this);
    this._listing = listing;
    listing?.changed.connect(this._renderFooter, this);
    this._filter.value = '';
  }

  private _renderFooter(): void {
    const listing = this._listing;
    const trans = this.trans;
    const footer = this._footer;
    footer.replaceChildren();
    if (!listing) {
      return;
    }
    if (listing.error) {
      footer.append(
        Dom.error(describeError(listing.error, trans), trans, {
          retry: () => void listing.loadMore(),
          logIn: () => this.execute(CommandIDs.logIn)
        })
      );
      return;
    }
    if (listing.loading) {
      footer.append(
        Dom.loading(
          listing.count
            ? trans.__(
                '%1 items · loading more…',
                listing.count.toLocaleString()
              )
            : trans.__('Loading…')
        )
      );
      return;
    }
    if (listing.count === 0) {
      footer.append(
        Dom.empty(
          listing.filter
            ? trans.__('Nothing here starts with "%1".', listing.filter)
            : trans.__(
                'This folder is empty. Upload files with the upload button or File ▸ Upload to Storage….'
              )
        )
      );
      return;
    }
    const count = Dom.el(
      'span',
      'jp-DataBrowser-count',
      listing.hasMore
        ? trans.__(
            '%1 items loaded, more to come',
            listing.count.toLocaleString()
          )
        : trans.__('%1 items', listing.count.toLocaleString())
    );
    footer.append(count);
    if (listing.hasMore) {
      footer.append(
        Dom.button(trans.__('Load more'), () => void listing.loadMore(), {
          className: 'jp-DataBrowser-more'
        })
      );
    }
  }

  private _head: HTMLElement;
  private _filter: HTMLInputElement;
  private _footer: HTMLElement;
  private _listing: ListingModel | null = null;
  private _debounce: ReturnType<typeof setTimeout> | null = null;
}
