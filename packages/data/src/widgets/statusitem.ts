import { formatBytes, formatPercent } from '@mlinfn/common';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { StagingModel } from '../models/staging';

/**
 * The status-bar item shown while anything is being staged: "Staging 2 · 45 %", with a small
 * bar. A click opens the Data panel.
 */
export class StagingStatusItem extends Widget {
  /**
   * Create the item.
   */
  constructor(options: StagingStatusItem.IOptions) {
    super();
    this.model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this.addClass('jp-DataStatusItem');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this._text = document.createElement('span');
    this._text.className = 'jp-DataStatusItem-text';
    const track = document.createElement('span');
    track.className = 'jp-DataStatusItem-track';
    this._fill = document.createElement('span');
    this._fill.className = 'jp-DataStatusItem-fill';
    track.append(this._fill);
    this.node.append(this._text, track);
    if (options.onClick) {
      const click = options.onClick;
      this.node.addEventListener('click', () => click());
      this.node.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          click();
        }
      });
    }
    this.model.changed.connect(this._render, this);
    this._render();
  }

  /**
   * The staging model shown.
   */
  readonly model: StagingModel;

  /**
   * Whether anything is being staged (the status bar shows the item only then).
   */
  get isActive(): boolean {
    return this._active;
  }

  /**
   * Emitted when `isActive` changes.
   */
  get activeStateChanged(): ISignal<this, void> {
    return this._activeStateChanged;
  }

  /**
   * Disconnect and dispose.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const { count, bytes, size } = this.model.totals;
    const active = count > 0;
    if (active) {
      const fraction = size > 0 ? bytes / size : 0;
      this._text.textContent = this._trans._n(
        'Staging %1 object · %2',
        'Staging %1 objects · %2',
        count,
        formatPercent(fraction)
      );
      this._fill.style.width = `${Math.round(fraction * 100)}%`;
      this.node.title = this._trans.__(
        '%1 of %2 downloaded into the local cache',
        formatBytes(bytes),
        formatBytes(size)
      );
    }
    if (active !== this._active) {
      this._active = active;
      this._activeStateChanged.emit();
    }
  }

  private _trans: TranslationBundle;
  private _text: HTMLElement;
  private _fill: HTMLElement;
  private _active = false;
  private _activeStateChanged = new Signal<this, void>(this);
}

/**
 * The namespace for `StagingStatusItem` statics.
 */
export namespace StagingStatusItem {
  /**
   * Options to create the item.
   */
  export interface IOptions {
    /** The staging model. */
    model: StagingModel;
    /** Open the Data panel. */
    onClick?: () => void;
    /** The translator. */
    translator?: ITranslator;
  }
}
