import type { MetricsKernel } from '@mlinfn/common';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * What the views can do with a kernel, and which shutdowns are under way, so that every view
 * of a kernel (table row, idle-holder notice) shows the same state.
 */
export class KernelActions {
  /**
   * Create the actions.
   */
  constructor(options: KernelActions.IOptions) {
    this._shutdown = options.shutdown;
    this.openNotebook = options.openNotebook ?? null;
  }

  /**
   * Open a notebook by path, where the app can.
   */
  readonly openNotebook: ((path: string) => void) | null;

  /**
   * Emitted when a kernel's shutdown state changes.
   */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  /**
   * Whether a shutdown of the kernel was asked for (being confirmed, or done and waiting for
   * the kernel to leave the figures).
   */
  isShuttingDown(id: string): boolean {
    return this._shuttingDown.has(id);
  }

  /**
   * Ask to shut a kernel down (the handler confirms with the user).
   *
   * @returns Whether the kernel was shut down.
   */
  async shutdown(kernel: MetricsKernel): Promise<boolean> {
    if (this._shuttingDown.has(kernel.id)) {
      return false;
    }
    this._shuttingDown.add(kernel.id);
    this._changed.emit(kernel.id);
    let done = false;
    try {
      done = await this._shutdown(kernel);
    } finally {
      if (!done) {
        this._shuttingDown.delete(kernel.id);
        this._changed.emit(kernel.id);
      }
    }
    return done;
  }

  /**
   * Forget the kernels that are gone from the figures.
   */
  prune(present: Iterable<string>): void {
    const keep = new Set(present);
    for (const id of [...this._shuttingDown]) {
      if (!keep.has(id)) {
        this._shuttingDown.delete(id);
      }
    }
  }

  private _shutdown: (kernel: MetricsKernel) => Promise<boolean>;
  private _shuttingDown = new Set<string>();
  private _changed = new Signal<this, string>(this);
}

/**
 * The namespace for `KernelActions` statics.
 */
export namespace KernelActions {
  /**
   * Options to create the actions.
   */
  export interface IOptions {
    /**
     * Shut a kernel down after asking the user; resolves to whether it was shut down.
     */
    shutdown: (kernel: MetricsKernel) => Promise<boolean>;

    /**
     * Open a notebook by path.
     */
    openNotebook?: (path: string) => void;
  }
}
