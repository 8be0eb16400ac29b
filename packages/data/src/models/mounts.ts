import type { DataMountsResponse } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DataApi } from '../api';

/**
 * The mounts and their health. The bridge probes in the background and answers at once, so
 * the panel asks again every few seconds while it shows them.
 */
export class MountsModel implements IDisposable {
  /**
   * Create the model; nothing is fetched before `refresh()` or `acquire()`.
   */
  constructor(options: MountsModel.IOptions) {
    this.api = options.api;
    this._interval = options.interval ?? 10_000;
  }

  /** The data API. */
  readonly api: DataApi;

  /**
   * Emitted after each fetch.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The latest answer; `null` before the first.
   */
  get mounts(): DataMountsResponse | null {
    return this._mounts;
  }

  /**
   * The error of the last fetch, if it failed.
   */
  get error(): unknown {
    return this._error;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch the mounts now.
   */
  async refresh(): Promise<void> {
    try {
      this._mounts = await this.api.mounts();
      this._error = null;
    } catch (error) {
      this._error = error;
    }
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  /**
   * Keep the mounts fresh while something shows them.
   *
   * @returns A disposable that gives the claim back.
   */
  acquire(): IDisposable {
    this._claims++;
    if (this._timer === null) {
      void this.refresh();
      this._timer = setInterval(() => void this.refresh(), this._interval);
    }
    let released = false;
    return {
      get isDisposed() {
        return released;
      },
      dispose: () => {
        if (released) {
          return;
        }
        released = true;
        this._claims--;
        if (this._claims === 0 && this._timer !== null) {
          clearInterval(this._timer);
          this._timer = null;
        }
      }
    };
  }

  /**
   * Stop polling and dispose.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._timer !== null) {
      clearInterval(this._timer);
    }
    Signal.clearData(this);
  }

  private _mounts: DataMountsResponse | null = null;
  private _error: unknown = null;
  private _claims = 0;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _interval: number;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `MountsModel` statics.
 */
export namespace MountsModel {
  /**
   * Options to create the model.
   */
  export interface IOptions {
    /** The data API. */
    api: DataApi;
    /** Ms between fetches while claimed (default 10 s). */
    interval?: number;
  }
}
