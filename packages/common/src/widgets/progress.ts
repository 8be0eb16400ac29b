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
