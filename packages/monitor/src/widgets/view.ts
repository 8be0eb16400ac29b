import { createElement } from '@mlinfn/common';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { IResourceMonitor } from '../tokens';

/**
 * A view of the resource monitor: it renders from the model on each change, only while it is
 * visible (or not yet attached), and, when `claim` is set, keeps the model subscribed while
 * it is visible.
 */
export abstract class MonitorView extends Widget {
  /**
   * Create a view of a model.
   */
  constructor(options: MonitorView.IOptions) {
    super(options.node ? { node: options.node } : {});
    this.model = options.model;
    this.trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._claims = options.claim ?? false;
    this.model.changed.connect(this._onModelChanged, this);
    this.model.stateChanged.connect(this._onModelChanged, this);
  }

  /**
   * The model shown.
   */
  readonly model: IResourceMonitor;

  /**
   * The translation bundle (domain `mlinfn`).
   */
  protected readonly trans: TranslationBundle;

  /**
   * Render now (views normally render on the next update request).
   */
  abstract render(): void;

  /**
   * Dispose of the view (not of its model) and give its claim back.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._onModelChanged, this);
    this.model.stateChanged.disconnect(this._onModelChanged, this);
    this._release();
    super.dispose();
  }

  /**
   * Render on update requests while visible.
   */
  protected onUpdateRequest(_msg: Message): void {
    if (!this.isAttached || this.isVisible) {
      this.render();
    }
  }

  /**
   * Claim the model and render when shown.
   */
  protected onAfterShow(_msg: Message): void {
    this._syncClaim();
    this.update();
  }

  /**
   * Claim the model and render when attached.
   */
  protected onAfterAttach(_msg: Message): void {
    this._syncClaim();
    this.update();
  }

  /**
   * Give the claim back when hidden.
   */
  protected onAfterHide(_msg: Message): void {
    this._syncClaim();
  }

  /**
   * Give the claim back when detached.
   */
  protected onAfterDetach(_msg: Message): void {
    this._syncClaim();
  }

  private _syncClaim(): void {
    if (!this._claims) {
      return;
    }
    if (this.isVisible && !this._claim) {
      this._claim = this.model.acquire();
    } else if (!this.isVisible) {
      this._release();
    }
  }

  private _release(): void {
    this._claim?.dispose();
    this._claim = null;
  }

  private _onModelChanged(): void {
    if (!this.isAttached || this.isVisible) {
      this.update();
    }
  }

  private _claims: boolean;
  private _claim: IDisposable | null = null;
}

/**
 * The namespace for `MonitorView` statics.
 */
export namespace MonitorView {
  /**
   * Options to create a view.
   */
  export interface IOptions {
    /**
     * The model to show.
     */
    model: IResourceMonitor;

    /**
     * The translator.
     */
    translator?: ITranslator;

    /**
     * Whether the view keeps the model subscribed while it is visible (default false).
     */
    claim?: boolean;

    /**
     * The node of the widget (default a `div`).
     */
    node?: HTMLElement;
  }
}

/**
 * Small DOM helpers for the views.
 */
export namespace Dom {
  /**
   * An element with a class and, optionally, text (the suite's one helper for it).
   */
  export const el = createElement;

  /**
   * A meter: a track whose fill shows a percentage, coloured by level.
   */
  export function meter(
    percent: number | null,
    level: string,
    label: string
  ): HTMLElement {
    const track = el('div', `jp-ResourcePanel-meter jp-mod-${level}`);
    track.setAttribute('role', 'meter');
    track.setAttribute('aria-label', label);
    track.setAttribute('aria-valuemin', '0');
    track.setAttribute('aria-valuemax', '100');
    const fill = el('div', 'jp-ResourcePanel-meterFill');
    if (percent === null) {
      track.classList.add('jp-mod-unknown');
      track.setAttribute('aria-valuetext', '—');
    } else {
      const clamped = Math.max(0, Math.min(100, percent));
      track.setAttribute('aria-valuenow', String(Math.round(clamped)));
      fill.style.width = `${clamped}%`;
    }
    track.append(fill);
    return track;
  }

  /**
   * A sentence with its details behind a disclosure (`<details>`), when there are details.
   */
  export function withDetails(
    className: string,
    sentence: string,
    details: string | null,
    summary: string
  ): HTMLElement {
    const box = el('div', className);
    box.append(el('p', 'jp-ResourcePanel-sentence', sentence));
    if (details) {
      const disclosure = el('details', 'jp-ResourcePanel-details');
      disclosure.append(el('summary', '', summary), el('pre', '', details));
      box.append(disclosure);
    }
    return box;
  }
}
