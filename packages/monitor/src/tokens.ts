import type { MetricsChannelPayload, TimeSeriesModel } from '@mlinfn/common';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * The user settings of the resource monitor (`schema/plugin.json`).
 */
export interface IMonitorSettings {
  /**
   * Seconds between two updates of the views; the bridge samples at its own configured rate.
   */
  refreshInterval: number;

  /**
   * Memory use, in percent of its limit, at which a warning is shown.
   */
  memoryWarningPercent: number;

  /**
   * GPU memory use, in percent of the device's memory, at which a warning is shown.
   */
  gpuMemoryWarningPercent: number;

  /**
   * Whether the status bar shows the CPU.
   */
  showCpu: boolean;

  /**
   * Whether the status bar shows the memory.
   */
  showMemory: boolean;

  /**
   * Whether the status bar shows the GPU (when there is one).
   */
  showGpu: boolean;

  /**
   * Whether notifications warn before memory or GPU memory runs out.
   */
  notifications: boolean;
}

/**
 * Where the monitor stands:
 *
 * - `idle`: nothing needs the figures, so the monitor is not subscribed;
 * - `loading`: subscribed, no figures yet (the bridge may still be starting);
 * - `live`: figures arrive;
 * - `stale`: connected, but no figures arrived for a while;
 * - `disconnected`: the connection to the bridge is lost; it reconnects by itself.
 */
export type MonitorState =
  'idle' | 'loading' | 'live' | 'stale' | 'disconnected';

/**
 * An error the views show: one sentence and the details behind a disclosure.
 */
export interface IMonitorError {
  /**
   * What happened and what to do next, for people.
   */
  message: string;

  /**
   * The technical details (the bridge's reason), if any.
   */
  details: string | null;
}

/**
 * The resource monitor: the latest figures pushed on the bridge's `metrics` channel, the
 * last hour of them as time series, and the user settings. There is one per page.
 */
export interface IResourceMonitor extends IDisposable {
  /**
   * The latest payload shown; `null` before the first one.
   */
  readonly latest: MetricsChannelPayload | null;

  /**
   * Where the monitor stands.
   */
  readonly state: MonitorState;

  /**
   * The current error, when `state` is `disconnected` or `stale`; otherwise `null`.
   */
  readonly error: IMonitorError | null;

  /**
   * The user settings.
   */
  readonly settings: Readonly<IMonitorSettings>;

  /**
   * Host CPU, in percent of the CPU limit (series `cpu`).
   */
  readonly cpu: TimeSeriesModel;

  /**
   * Host memory used, in bytes (series `memory`), with the limit as a limit line.
   */
  readonly memory: TimeSeriesModel;

  /**
   * GPU utilisation in percent, one series per GPU (`gpu<index>`).
   */
  readonly gpuUtilization: TimeSeriesModel;

  /**
   * GPU memory used in bytes, one series per GPU (`gpu<index>`), with each size as a line.
   */
  readonly gpuMemory: TimeSeriesModel;

  /**
   * The indices of the GPUs that have series, ascending.
   */
  readonly gpuIndices: ReadonlyArray<number>;

  /**
   * Emitted after the views' data changed (at most once per `refreshInterval`).
   */
  readonly changed: ISignal<IResourceMonitor, void>;

  /**
   * Emitted when `state` or `error` changes.
   */
  readonly stateChanged: ISignal<IResourceMonitor, MonitorState>;

  /**
   * Emitted when the settings change.
   */
  readonly settingsChanged: ISignal<IResourceMonitor, IMonitorSettings>;

  /**
   * Say that something needs the figures (a visible view, notifications). The monitor is
   * subscribed to the bridge while at least one such claim is held.
   *
   * @returns A disposable that gives the claim back.
   */
  acquire(): IDisposable;

  /**
   * Change some settings.
   */
  updateSettings(settings: Partial<IMonitorSettings>): void;

  /**
   * The colour of a GPU's series (a `--jp-*` variable), the same in every view.
   */
  gpuColor(index: number): string;
}

/**
 * The resource monitor token.
 */
export const IResourceMonitor = new Token<IResourceMonitor>(
  '@mlinfn/monitor:IResourceMonitor',
  'The resource monitor: live host, kernel and GPU figures from the mlinfn bridge, and their last hour.'
);
