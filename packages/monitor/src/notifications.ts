import { Notification } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { formatBytePair, formatPercentValue } from './format';
import { IResourceMonitor } from './tokens';
import { gpuMemoryPercent, memoryPercent } from './usage';

/**
 * Crossings of warning thresholds, with hysteresis: a figure that reaches its threshold fires
 * once, and fires again only after it has dropped `hysteresis` points below it.
 */
export class ThresholdWatch {
  /**
   * Create a watch.
   *
   * @param hysteresis - How many points below the threshold re-arm a figure (default 5).
   */
  constructor(readonly hysteresis = 5) {}

  /**
   * Look at a figure.
   *
   * @param key - Which figure (e.g. `memory`, `gpu0`).
   * @param percent - Its value in percent; `null` when unknown (changes nothing).
   * @param threshold - Its warning threshold in percent.
   * @returns Whether this value is a new crossing (warn now).
   */
  check(key: string, percent: number | null, threshold: number): boolean {
    if (percent === null || !Number.isFinite(percent)) {
      return false;
    }
    if (!this._fired.has(key)) {
      if (percent >= threshold) {
        this._fired.add(key);
        return true;
      }
      return false;
    }
    if (percent < threshold - this.hysteresis) {
      this._fired.delete(key);
    }
    return false;
  }

  /**
   * Forget the figures not in `keys` (a GPU that went away); they are armed again.
   */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const key of [...this._fired]) {
      if (!keep.has(key)) {
        this._fired.delete(key);
      }
    }
  }

  /**
   * Whether a figure has fired and is not re-armed yet.
   */
  hasFired(key: string): boolean {
    return this._fired.has(key);
  }

  private _fired = new Set<string>();
}

/**
 * Warns with a JupyterLab notification when memory (against its limit) or any GPU's memory
 * crosses its warning threshold, once per crossing, with an action that opens the Resources
 * panel. It keeps the monitor subscribed while notifications are turned on.
 */
export class ResourceNotifier implements IDisposable {
  /**
   * Create the notifier.
   */
  constructor(options: ResourceNotifier.IOptions) {
    this._model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._openPanel = options.openPanel;
    this._notify =
      options.notify ??
      ((message, opts) => Notification.warning(message, opts));
    this._model.changed.connect(this._onChanged, this);
    this._model.settingsChanged.connect(this._syncClaim, this);
    this._syncClaim();
  }

  /**
   * The crossings seen so far.
   */
  readonly watch = new ThresholdWatch(5);

  /**
   * Whether the notifier has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop watching.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._model.changed.disconnect(this._onChanged, this);
    this._model.settingsChanged.disconnect(this._syncClaim, this);
    this._claim?.dispose();
    this._claim = null;
  }

  private _syncClaim(): void {
    const on = this._model.settings.notifications;
    if (on && !this._claim) {
      this._claim = this._model.acquire();
    } else if (!on && this._claim) {
      this._claim.dispose();
      this._claim = null;
    }
  }

  private _onChanged(): void {
    const payload = this._model.latest;
    const settings = this._model.settings;
    if (!payload || !settings.notifications) {
      return;
    }
    const trans = this._trans;
    const host = payload.host;
    const mem = memoryPercent(host);
    if (this.watch.check('memory', mem, settings.memoryWarningPercent)) {
      this._warn(
        trans.__(
          'Memory is at %1 of its limit (%2). When it runs out, a kernel is killed: free memory or shut down kernels you no longer need.',
          formatPercentValue(mem),
          formatBytePair(host.memUsedBytes, host.memLimitBytes)
        )
      );
    }
    const keys = ['memory'];
    if (payload.gpu.status === 'ok') {
      for (const d of payload.gpu.devices) {
        const key = `gpu${d.index}`;
        keys.push(key);
        const percent = gpuMemoryPercent(d);
        if (this.watch.check(key, percent, settings.gpuMemoryWarningPercent)) {
          this._warn(
            trans.__(
              'GPU %1 memory is at %2 (%3). New allocations will fail: shut down kernels that hold GPU memory they no longer need.',
              d.index,
              formatPercentValue(percent),
              formatBytePair(d.memoryUsedBytes, d.memoryTotalBytes)
            )
          );
        }
      }
    }
    this.watch.retain(keys);
  }

  private _warn(message: string): void {
    this._notify(message, {
      autoClose: false,
      actions: [
        {
          label: this._trans.__('Show Resources'),
          caption: this._trans.__('Open the Resources panel'),
          callback: () => this._openPanel()
        }
      ]
    });
  }

  private _model: IResourceMonitor;
  private _trans: TranslationBundle;
  private _openPanel: () => void;
  private _notify: ResourceNotifier.NotifyFunction;
  private _claim: IDisposable | null = null;
  private _isDisposed = false;
}

/**
 * The namespace for `ResourceNotifier` statics.
 */
export namespace ResourceNotifier {
  /**
   * How a warning is shown (by default `Notification.warning`).
   */
  export type NotifyFunction = (
    message: string,
    options: Notification.IOptions<any>
  ) => unknown;

  /**
   * Options to create the notifier.
   */
  export interface IOptions {
    /**
     * The monitor to watch.
     */
    model: IResourceMonitor;

    /**
     * Open the Resources panel (the notification's action).
     */
    openPanel: () => void;

    /**
     * How a warning is shown (tests).
     */
    notify?: NotifyFunction;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}
