import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import {
  formatBytes,
  formatDuration,
  formatNumber,
  formatRate
} from '../format';

/**
 * The state of a long piece of work: amount done of a total, its rate and the time left.
 * The rate is measured from the updates (smoothed) unless it is set.
 */
export class ProgressModel implements IDisposable {
  /**
   * Create a progress model.
   */
  constructor(options: ProgressModel.IOptions = {}) {
    this._total = options.total ?? null;
    this._unit = options.unit ?? 'bytes';
    this._smoothing = options.smoothing ?? 0.3;
    this._now = options.now ?? Date.now;
    this._label = options.label ?? '';
  }

  /**
   * Emitted on every change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The amount done.
   */
  get done(): number {
    return this._done;
  }

  /**
   * The total; `null` when unknown.
   */
  get total(): number | null {
    return this._total;
  }

  /**
   * What is counted: bytes (formatted as kB, MB…) or items.
   */
  get unit(): ProgressModel.Unit {
    return this._unit;
  }

  /**
   * A label for the work (already translated), e.g. the file name.
   */
  get label(): string {
    return this._label;
  }
  set label(value: string) {
    if (value !== this._label) {
      this._label = value;
      this._changed.emit();
    }
  }

  /**
   * The rate in units per second; `null` until it can be measured.
   */
  get rate(): number | null {
    return this._rate;
  }

  /**
   * The fraction done in [0, 1]; `null` when indeterminate.
   */
  get fraction(): number | null {
    if (this.indeterminate) {
      return null;
    }
    const total = this._total as number;
    return total === 0 ? 1 : Math.min(1, Math.max(0, this._done / total));
  }

  /**
   * Whether the total is unknown (or the model was marked indeterminate).
   */
  get indeterminate(): boolean {
    return this._indeterminate || this._total === null;
  }
  set indeterminate(value: boolean) {
    if (value !== this._indeterminate) {
      this._indeterminate = value;
      this._changed.emit();
    }
  }

  /**
   * The seconds left at the current rate; `null` when unknown.
   */
  get secondsLeft(): number | null {
    if (this.indeterminate || !this._rate || this._rate <= 0) {
      return null;
    }
    return Math.max(0, ((this._total as number) - this._done) / this._rate);
  }

  /**
   * Whether it is finished.
   */
  get complete(): boolean {
    return this._total !== null && this._done >= this._total;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Record progress.
   *
   * @param done - The amount done so far.
   * @param total - The total, when it is (newly) known.
   * @param rate - The rate in units per second, when the source measures it.
   */
  update(done: number, total?: number | null, rate?: number): void {
    const now = this._now();
    if (total !== undefined) {
      this._total = total;
    }
    if (rate !== undefined) {
      this._rate = rate;
    } else if (this._lastTime !== null && now > this._lastTime) {
      const instant = (done - this._lastDone) / ((now - this._lastTime) / 1000);
      if (instant >= 0) {
        this._rate =
          this._rate === null
            ? instant
            : this._smoothing * instant + (1 - this._smoothing) * this._rate;
      }
    }
    this._done = done;
    this._lastDone = done;
    this._lastTime = now;
    this._changed.emit();
  }

  /**
   * One line for people: `"12.3 MB of 40 MB · 4.1 MB/s · 7 s left"`.
   */
  describe(translator?: ITranslator): string {
    return Private.describe(
      this,
      (translator ?? nullTranslator).load('mlinfn')
    );
  }

  /**
   * Dispose of the model.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _done = 0;
  private _total: number | null;
  private _unit: ProgressModel.Unit;
  private _label: string;
  private _rate: number | null = null;
  private _indeterminate = false;
  private _lastDone = 0;
  private _lastTime: number | null = null;
  private _smoothing: number;
  private _now: () => number;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `ProgressModel` statics.
 */
export namespace ProgressModel {
  /**
   * What a progress counts.
   */
  export type Unit = 'bytes' | 'items';

  /**
   * Options to create a progress model.
   */
  export interface IOptions {
    /**
     * The total; leave it out while unknown.
     */
    total?: number | null;

    /**
     * What is counted (default bytes).
     */
    unit?: Unit;

    /**
     * A label for the work.
     */
    label?: string;

    /**
     * The weight of the newest measurement in the smoothed rate (default 0.3).
     */
    smoothing?: number;

    /**
     * The clock, in ms (for tests).
     */
    now?: () => number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Describe a progress in one line.
   */
  export function describe(
    model: ProgressModel,
    trans: ReturnType<ITranslator['load']>
  ): string {
    const bytes = model.unit === 'bytes';
    const amount = (n: number) => (bytes ? formatBytes(n) : formatNumber(n, 0));
    const parts: string[] = [];
    parts.push(
      model.total === null
        ? amount(model.done)
        : trans.__('%1 of %2', amount(model.done), amount(model.total))
    );
    if (model.rate !== null && !model.complete) {
      parts.push(
        bytes
          ? formatRate(model.rate)
          : trans.__('%1/s', formatNumber(model.rate, 1))
      );
    }
    const left = model.secondsLeft;
    if (model.complete) {
      parts.push(trans.__('done'));
    } else if (left !== null) {
      parts.push(trans.__('%1 left', formatDuration(left)));
    }
    return parts.join(' · ');
  }
}
