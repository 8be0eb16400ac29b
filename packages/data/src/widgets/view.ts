import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { DataModel } from '../model';

/**
 * Runs a command of the Data panel (the panel's buttons go through the same commands as the
 * palette, so both do the same thing).
 */
export type ExecuteCommand = (id: string, args?: Record<string, any>) => void;

/**
 * A section of the Data panel: it re-renders from the model on each change of the signals it
 * watches, only while it is visible (or not yet attached).
 */
export abstract class DataView extends Widget {
  /**
   * Create a view of the model.
   */
  constructor(options: DataView.IOptions) {
    super();
    this.model = options.model;
    this.execute = options.execute;
    this.translator = options.translator ?? nullTranslator;
    this.trans = this.translator.load('mlinfn');
  }

  /** The model shown. */
  readonly model: DataModel;
  /** Runs the panel's commands. */
  readonly execute: ExecuteCommand;
  /** The translator. */
  readonly translator: ITranslator;
  /** The translation bundle (domain `mlinfn`). */
  protected readonly trans: TranslationBundle;

  /**
   * Render now.
   */
  abstract render(): void;

  /**
   * Re-render when one of these signals fires.
   */
  protected watch(...signals: ISignal<any, any>[]): void {
    for (const signal of signals) {
      signal.connect(this._onChange, this);
      this._watched.push(signal);
    }
  }

  /**
   * Disconnect and dispose.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    for (const signal of this._watched) {
      signal.disconnect(this._onChange, this);
    }
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
   * Render when shown.
   */
  protected onAfterShow(_msg: Message): void {
    this.update();
  }

  /**
   * Render when attached.
   */
  protected onAfterAttach(_msg: Message): void {
    this.update();
  }

  private _onChange(): void {
    if (!this.isAttached || this.isVisible) {
      this.update();
    }
  }

  private _watched: ISignal<any, any>[] = [];
}

/**
 * The namespace for `DataView` statics.
 */
export namespace DataView {
  /**
   * Options to create a view.
   */
  export interface IOptions {
    /** The model. */
    model: DataModel;
    /** Runs the panel's commands. */
    execute: ExecuteCommand;
    /** The translator. */
    translator?: ITranslator;
  }
}
