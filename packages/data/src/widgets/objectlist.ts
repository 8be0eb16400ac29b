import { formatBytes } from '@mlinfn/common';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { fileIcon, folderIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { ListingModel, ListingRow } from '../models/listing';

/**
 * The rows of a listing in a virtualised list: only the rows in view (and a few around them)
 * exist in the DOM, at fixed height, so a folder of 100k+ keys scrolls like a short one. The
 * next page is fetched when the user scrolls near the end.
 */
export class ObjectList extends Widget {
  /**
   * Create the list.
   */
  constructor(options: ObjectList.IOptions) {
    super();
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._onOpen = options.onOpen;
    this._onSelect = options.onSelect;
    this.addClass('jp-DataObjectList');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'listbox');
    this.node.setAttribute('aria-label', this._trans.__('Objects'));
    this._spacer = document.createElement('div');
    this._spacer.className = 'jp-DataObjectList-spacer';
    this._rows = document.createElement('div');
    this._rows.className = 'jp-DataObjectList-rows';
    this._spacer.append(this._rows);
    this.node.append(this._spacer);
    this.node.addEventListener('scroll', this._onScroll);
    this.node.addEventListener('keydown', this._onKey);
  }

  /**
   * The height of a row, in px (the CSS matches it).
   */
  static readonly ROW_HEIGHT = 24;

  /**
   * The listing shown.
   */
  get listing(): ListingModel | null {
    return this._listing;
  }
  set listing(listing: ListingModel | null) {
    if (listing === this._listing) {
      return;
    }
    this._listing?.changed.disconnect(this._onListing, this);
    this._listing = listing;
    listing?.changed.connect(this._onListing, this);
    this.node.scrollTop = 0;
    this.update();
  }

  /**
   * The key of the selected object, highlighted.
   */
  get selectedKey(): string | null {
    return this._selectedKey;
  }
  set selectedKey(key: string | null) {
    if (key !== this._selectedKey) {
      this._selectedKey = key;
      this.update();
    }
  }

  /**
   * How many row elements are in the DOM (tests check that it stays small).
   */
  get renderedRows(): number {
    return this._rows.childElementCount;
  }

  /**
   * Disconnect and dispose.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._listing?.changed.disconnect(this._onListing, this);
    this.node.removeEventListener('scroll', this._onScroll);
    this.node.removeEventListener('keydown', this._onKey);
    super.dispose();
  }

  /**
   * Render the rows in view.
   */
  protected onUpdateRequest(_msg: Message): void {
    this.render();
  }

  /**
   * Render when attached (the viewport has a height now).
   */
  protected onAfterAttach(_msg: Message): void {
    this.update();
  }

  /**
   * Render when resized.
   */
  protected onResize(_msg: Widget.ResizeMessage): void {
    this.update();
  }

  /**
   * Render now.
   */
  render(): void {
    const listing = this._listing;
    const rowHeight = ObjectList.ROW_HEIGHT;
    const count = listing?.count ?? 0;
    this._spacer.style.height = `${count * rowHeight}px`;
    // jsdom (and a hidden panel) has no layout: assume a viewport of 20 rows.
    const viewport = this.node.clientHeight || 20 * rowHeight;
    const top = this.node.scrollTop;
    const first = Math.max(
      0,
      Math.floor(top / rowHeight) - ObjectList.OVERSCAN
    );
    const last = Math.min(
      count,
      Math.ceil((top + viewport) / rowHeight) + ObjectList.OVERSCAN
    );
    this._rows.style.transform = `translateY(${first * rowHeight}px)`;
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = listing!.rowAt(i);
      if (row) {
        nodes.push(this._renderRow(row, i));
      }
    }
    this._rows.replaceChildren(...nodes);
    this.node.setAttribute('aria-rowcount', String(count));
    // Fetch the next page before the user reaches the end.
    if (
      listing &&
      listing.hasMore &&
      !listing.loading &&
      !listing.error &&
      listing.pages > 0 &&
      last * rowHeight >= count * rowHeight - 2 * viewport
    ) {
      void listing.loadMore();
    }
  }

  private _renderRow(row: ListingRow, index: number): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-DataObjectList-row';
    node.setAttribute('role', 'option');
    node.dataset.index = String(index);
    const icon = (row.kind === 'folder' ? folderIcon : fileIcon).element({
      tag: 'span',
      className: 'jp-DataObjectList-icon'
    });
    const name = document.createElement('span');
    name.className = 'jp-DataObjectList-name';
    name.textContent = row.name;
    name.title = row.kind === 'folder' ? row.prefix : row.object.key;
    const size = document.createElement('span');
    size.className = 'jp-DataObjectList-size';
    if (row.kind === 'folder') {
      node.classList.add('jp-mod-folder');
      node.dataset.prefix = row.prefix;
      node.setAttribute('aria-label', this._trans.__('Folder %1', row.name));
      node.addEventListener('click', () => this._onOpen(row.prefix));
    } else {
      node.dataset.key = row.object.key;
      size.textContent = formatBytes(row.object.size);
      const selected = row.object.key === this._selectedKey;
      node.classList.toggle('jp-mod-selected', selected);
      node.setAttribute('aria-selected', String(selected));
      node.addEventListener('click', () => this._onSelect(row.object.key));
    }
    node.append(icon, name, size);
    return node;
  }

  private _onListing(): void {
    this.update();
  }

  private _onScroll = (): void => {
    if (this._frame === null) {
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        this.render();
      });
    }
  };

  private _onKey = (event: KeyboardEvent): void => {
    const listing = this._listing;
    if (!listing || !['ArrowDown', 'ArrowUp', 'Enter'].includes(event.key)) {
      return;
    }
    event.preventDefault();
    let index = -1;
    for (let i = 0; i < listing.count; i++) {
      const row = listing.rowAt(i);
      if (row?.kind === 'object' && row.object.key === this._selectedKey) {
        index = i;
        break;
      }
    }
    if (event.key === 'Enter') {
      const row = listing.rowAt(Math.max(0, index));
      if (row?.kind === 'folder') {
        this._onOpen(row.prefix);
      }
      return;
    }
    const next = Math.min(
      listing.count - 1,
      Math.max(0, index + (event.key === 'ArrowDown' ? 1 : -1))
    );
    const row = listing.rowAt(next);
    if (row?.kind === 'object') {
      this._onSelect(row.object.key);
    }
    const rowTop = next * ObjectList.ROW_HEIGHT;
    if (rowTop < this.node.scrollTop) {
      this.node.scrollTop = rowTop;
    } else if (
      rowTop + ObjectList.ROW_HEIGHT >
      this.node.scrollTop + this.node.clientHeight
    ) {
      this.node.scrollTop =
        rowTop + ObjectList.ROW_HEIGHT - this.node.clientHeight;
    }
  };

  private _listing: ListingModel | null = null;
  private _selectedKey: string | null = null;
  private _spacer: HTMLElement;
  private _rows: HTMLElement;
  private _frame: number | null = null;
  private _trans: TranslationBundle;
  private _onOpen: (prefix: string) => void;
  private _onSelect: (key: string) => void;
}

/**
 * The namespace for `ObjectList` statics.
 */
export namespace ObjectList {
  /**
   * Rows rendered above and below the viewport.
   */
  export const OVERSCAN = 10;

  /**
   * Options to create the list.
   */
  export interface IOptions {
    /** Open a folder. */
    onOpen: (prefix: string) => void;
    /** Select an object. */
    onSelect: (key: string) => void;
    /** The translator. */
    translator?: ITranslator;
  }
}
