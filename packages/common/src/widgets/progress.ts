import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { ProgressModel } from '../models/progress';

/**
 * A progress bar with a one-line description: "12.3 MB of 40 MB · 4.1 MB/s · 7 s left".
 * Without a total it shows an indeterminate animation.
 */
export class ProgressBar extends Widget {
  /**
   * Create a progress bar for a model.
   */
  constructor(options: ProgressBar.IOptions) {
    super();
    this.model = options.model;
    this._translator = options.translator ?? nullTranslator;
    this.addClass('jp-ProgressBar');

    this._label = document.createElement('div');
    this._label.className = 'jp-ProgressBar-label';
    this._track = document.createElement('div');
    this._track.className = 'jp-ProgressBar-track';
    this._track.setAttribute('role', 'progressbar');
    this._track.setAttribute('aria-valuemin', '0');
    this._track.setAttribute('aria-valuemax', '100');
    this._fill = document.createElement('div');
    this._fill.className = 'jp-ProgressBar-fill';
    this._track.append(this._fill);
    this._text = document.createElement('div');
    this._text.className = 'jp-ProgressBar-text';
    this.node.append(this._label, this._track, this._text);

    this.model.changed.connect(this.update, this);
    this._render();
  }

  /**
   * The model shown.
   */
  readonly model: ProgressModel;

  /**
   * Dispose of the widget (not of its model).
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this.update, this);
    super.dispose();
  }

  /**
   * Render on update requests.
   */
  protected onUpdateRequest(): void {
    this._render();
  }

  private _render(): void {
    const m = this.model;
    const text = m.describe(this._translator);
    this._label.textContent = m.label;
    this._label.hidden = !m.label;
    this._text.textContent = text;
    this._track.setAttribute('aria-valuetext', text);
    if (m.label) {
      this._track.setAttribute('aria-label', m.label);
    }
    const fraction = m.fraction;
    this.toggleClass('jp-mod-indeterminate', fraction === null);
    this.toggleClass('jp-mod-complete', m.complete);
    if (fraction === null) {
      this._track.removeAttribute('aria-valuenow');
      this._fill.style.width = '';
    } else {
      const pct = Math.round(fraction * 100);
      this._track.setAttribute('aria-valuenow', String(pct));
      this._fill.style.width = `${fraction * 100}%`;
    }
  }

  private _label: HTMLDivElement;
  private _track: HTMLDivElement;
  private _fill: HTMLDivElement;
  private _text: HTMLDivElement;
  private _translator: ITranslator;
}

/**
 * The namespace for `ProgressBar` statics.
 */
export namespace ProgressBar {
  /**
   * Options to create a progress bar.
   */
  export interface IOptions {
    /**
     * The model to show.
     */
    model: ProgressModel;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}

/**
 * The progress bars of a list whose views are rebuilt on every change: each bar lives as long
 * as its item (a bar updates itself from its model, so it is kept across renders, not remade).
 */
export class ProgressBars<K> {
  /**
   * Create an empty set.
   */
  constructor(translator?: ITranslator) {
    this._translator = translator;
  }

  /**
   * The bar of `key`, made for `model` (anew when the key's model changed).
   */
  get(key: K, model: ProgressModel): ProgressBar {
    let bar = this._bars.get(key);
    if (!bar || bar.model !== model) {
      bar?.dispose();
      bar = new ProgressBar({ model, translator: this._translator });
      this._bars.set(key, bar);
    }
    return bar;
  }

  /**
   * Dispose of the bars that `keep` does not keep (their items are gone or done).
   */
  prune(keep: (key: K, bar: ProgressBar) => boolean): void {
    for (const [key, bar] of this._bars) {
      if (!keep(key, bar)) {
        bar.dispose();
        this._bars.delete(key);
      }
    }
  }

  /**
   * Dispose of every bar.
   */
  dispose(): void {
    this.prune(() => false);
  }

  private _bars = new Map<K, ProgressBar>();
  private _translator: ITranslator | undefined;
}
