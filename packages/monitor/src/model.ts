import {
  BridgeError,
  ConnectionState,
  IBridgeClient,
  MetricsChannelPayload,
  MetricsHistoryPoint,
  TimeSeriesModel,
  formatBytes
} from '@mlinfn/common';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DEFAULT_SETTINGS, normalizeSettings } from './settings';
import {
  IMonitorError,
  IMonitorSettings,
  IResourceMonitor,
  MonitorState
} from './tokens';

/**
 * The bridge's pushed channel the monitor listens to.
 */
export const METRICS_CHANNEL = 'metrics';

/**
 * The resource monitor's model: subscribes to the bridge's `metrics` channel while something
 * needs it (see `acquire`), keeps the latest payload and the last hour as time series, and
 * tells the views at most once per `refreshInterval`.
 *
 * The first payload after subscribing is a snapshot with the last hour of low-rate history:
 * the series are rebuilt from it. Later payloads are live samples; each UI refresh appends
 * the newest one.
 */
export class ResourceModel implements IResourceMonitor {
  /**
   * Create the model; it subscribes only once something acquires it.
   */
  constructor(options: ResourceModel.IOptions) {
    this._client = options.client;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._settings = normalizeSettings({
      ...DEFAULT_SETTINGS,
      ...options.settings
    });
    this._throttle = options.throttle ?? true;
    this._now = options.now ?? Date.now;
    const capacity = options.capacity ?? ResourceModel.CAPACITY;
    this.cpu = new TimeSeriesModel({
      series: [
        {
          id: 'cpu',
          label: this._trans.__('CPU'),
          color: 'var(--jp-brand-color1)'
        }
      ],
      unit: '%',
      yMax: 100,
      capacity
    });
    this.memory = new TimeSeriesModel({
      series: [
        {
          id: 'memory',
          label: this._trans.__('Memory'),
          color: 'var(--jp-accent-color1)'
        }
      ],
      capacity
    });
    this.gpuUtilization = new TimeSeriesModel({
      series: [],
      unit: '%',
      yMax: 100,
      capacity
    });
    this.gpuMemory = new TimeSeriesModel({ series: [], capacity });
    this._client.stateChanged.connect(this._onConnectionChanged, this);
  }

  /**
   * Host CPU, in percent of the CPU limit (series `cpu`).
   */
  readonly cpu: TimeSeriesModel;

  /**
   * Host memory used, in bytes (series `memory`), with the limit as a limit line.
   */
  readonly memory: TimeSeriesModel;

  /**
   * GPU utilisation in percent, one series per GPU.
   */
  readonly gpuUtilization: TimeSeriesModel;

  /**
   * GPU memory used in bytes, one series per GPU, with the sizes as lines.
   */
  readonly gpuMemory: TimeSeriesModel;

  /**
   * The latest payload shown; `null` before the first.
   */
  get latest(): MetricsChannelPayload | null {
    return this._latest;
  }

  /**
   * Where the monitor stands.
   */
  get state(): MonitorState {
    return this._state;
  }

  /**
   * The current error, if any.
   */
  get error(): IMonitorError | null {
    return this._error;
  }

  /**
   * The user settings.
   */
  get settings(): Readonly<IMonitorSettings> {
    return this._settings;
  }

  /**
   * The indices of the GPUs that have series, ascending.
   */
  get gpuIndices(): ReadonlyArray<number> {
    return this._gpuIndices;
  }

  /**
   * Whether the model is subscribed to the bridge.
   */
  get isSubscribed(): boolean {
    return this._subscription !== null;
  }

  /**
   * Emitted after the views' data changed.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when `state` or `error` changes.
   */
  get stateChanged(): ISignal<this, MonitorState> {
    return this._stateChanged;
  }

  /**
   * Emitted when the settings change.
   */
  get settingsChanged(): ISignal<this, IMonitorSettings> {
    return this._settingsChanged;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Claim the figures: the model stays subscribed while any claim is held.
   */
  acquire(): IDisposable {
    this._claims++;
    this._updateSubscription();
    let released = false;
    return new DisposableDelegate(() => {
      if (released) {
        return;
      }
      released = true;
      this._claims--;
      this._updateSubscription();
    });
  }

  /**
   * Change some settings.
   */
  updateSettings(settings: Partial<IMonitorSettings>): void {
    const next = normalizeSettings({ ...this._settings, ...settings });
    if (JSON.stringify(next) === JSON.stringify(this._settings)) {
      return;
    }
    this._settings = next;
    this._settingsChanged.emit(next);
  }

  /**
   * The colour of a GPU's series.
   */
  gpuColor(index: number): string {
    return ResourceModel.gpuColor(index);
  }

  /**
   * Dispose of the model: unsubscribe and stop every timer.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._client.stateChanged.disconnect(this._onConnectionChanged, this);
    this._unsubscribe();
    for (const m of [
      this.cpu,
      this.memory,
      this.gpuUtilization,
      this.gpuMemory
    ]) {
      m.dispose();
    }
    Signal.clearData(this);
  }

  private _updateSubscription(): void {
    if (this._isDisposed) {
      return;
    }
    if (this._claims > 0 && !this._subscription) {
      this._awaitingSnapshot = true;
      this._subscription = this._client.subscribe<MetricsChannelPayload>(
        METRICS_CHANNEL,
        payload => this._onPayload(payload)
      );
      if (this._client.state === 'disconnected') {
        this._explainDisconnection();
      } else {
        this._error = null;
        this._setState('loading');
      }
    } else if (this._claims <= 0 && this._subscription) {
      this._unsubscribe();
      this._error = null;
      this._setState('idle');
    }
  }

  private _unsubscribe(): void {
    this._subscription?.dispose();
    this._subscription = null;
    this._pending = null;
    clearTimeout(this._flushTimer);
    this._flushTimer = undefined;
    clearTimeout(this._staleTimer);
    this._staleTimer = undefined;
  }

  private _onPayload(payload: MetricsChannelPayload): void {
    if (this._isDisposed || !this._subscription) {
      return;
    }
    this._armStaleTimer(payload);
    if (payload.history) {
      // A snapshot: the start of a subscription (or a resubscription after a reconnection).
      this._awaitingSnapshot = false;
      this._pending = null;
      clearTimeout(this._flushTimer);
      this._flushTimer = undefined;
      this._resetFromSnapshot(payload);
      this._commit(payload);
      return;
    }
    this._pending = payload;
    const interval = this._throttle ? this._settings.refreshInterval * 1000 : 0;
    const elapsed = this._now() - this._lastFlush;
    if (interval <= 0 || elapsed >= interval) {
      this._flush();
    } else if (this._flushTimer === undefined) {
      this._flushTimer = setTimeout(() => {
        this._flushTimer = undefined;
        this._flush();
      }, interval - elapsed);
    }
  }

  private _flush(): void {
    const payload = this._pending;
    this._pending = null;
    if (!payload) {
      return;
    }
    if (this._latest === null && this._awaitingSnapshot) {
      // A live sample came first (the channel was already subscribed elsewhere): start the
      // series from it rather than wait for a snapshot that will not come.
      this._awaitingSnapshot = false;
    }
    this._syncGpuSeries(payload.gpu.devices.map(d => d.index));
    this._firstTime ??= payload.time;
    this._appendPoint(ResourceModel.pointOf(payload));
    this._commit(payload);
  }

  private _commit(payload: MetricsChannelPayload): void {
    this._latest = payload;
    this._updateWindow();
    this._lastFlush = this._now();
    this._updateLimits(payload);
    this._error = null;
    this._setState('live');
    this._changed.emit();
  }

  private _resetFromSnapshot(payload: MetricsChannelPayload): void {
    const history = (payload.history?.points ?? [])
      .filter(p => p.time < payload.time)
      .sort((a, b) => a.time - b.time);
    const indices = new Set(payload.gpu.devices.map(d => d.index));
    for (const p of history) {
      for (const g of p.gpus) {
        indices.add(g.index);
      }
    }
    for (const m of [
      this.cpu,
      this.memory,
      this.gpuUtilization,
      this.gpuMemory
    ]) {
      m.clear();
    }
    this._syncGpuSeries([...indices]);
    this._firstTime = history.length ? history[0].time : payload.time;
    for (const point of history) {
      this._appendPoint(point);
    }
    this._appendPoint(ResourceModel.pointOf(payload));
  }

  /**
   * Fit the charts' window to the data: the smallest of 5, 10, 15, 30 and 60 minutes that
   * holds it, so that a freshly started bridge does not draw a sliver at the right of an hour.
   */
  private _updateWindow(): void {
    const last = this.cpu.lastTime;
    if (last === null) {
      return;
    }
    const first = this._firstTime ?? last;
    const windowMs = ResourceModel.windowFor(last - first);
    for (const m of [
      this.cpu,
      this.memory,
      this.gpuUtilization,
      this.gpuMemory
    ]) {
      m.windowMs = windowMs;
    }
  }

  private _appendPoint(point: MetricsHistoryPoint): void {
    this.cpu.append(point.time, { cpu: point.cpuPercent });
    this.memory.append(point.time, { memory: point.memUsedBytes });
    const util: Record<string, number | null> = {};
    const mem: Record<string, number | null> = {};
    // A GPU that has a series but is missing from this point leaves a gap.
    for (const index of this._gpuIndices) {
      util[`gpu${index}`] = null;
      mem[`gpu${index}`] = null;
    }
    for (const g of point.gpus) {
      util[`gpu${g.index}`] = g.utilizationPercent;
      mem[`gpu${g.index}`] = g.memoryUsedBytes;
    }
    if (this._gpuIndices.length) {
      this.gpuUtilization.append(point.time, util);
      this.gpuMemory.append(point.time, mem);
    }
  }

  /**
   * Make the GPU series those of `indices`: new GPUs get a series, gone ones lose theirs.
   */
  private _syncGpuSeries(indices: number[]): void {
    const wanted = [...new Set(indices)].sort((a, b) => a - b);
    if (wanted.join(',') === this._gpuIndices.join(',')) {
      return;
    }
    for (const index of this._gpuIndices) {
      if (!wanted.includes(index)) {
        this.gpuUtilization.removeSeries(`gpu${index}`);
        this.gpuMemory.removeSeries(`gpu${index}`);
      }
    }
    for (const index of wanted) {
      if (!this._gpuIndices.includes(index)) {
        const series = {
          id: `gpu${index}`,
          label: this._trans.__('GPU %1', index),
          color: this.gpuColor(index)
        };
        this.gpuUtilization.addSeries(series);
        this.gpuMemory.addSeries({ ...series });
      }
    }
    this._gpuIndices = wanted;
  }

  private _updateLimits(payload: MetricsChannelPayload): void {
    const limit = payload.host.memLimitBytes;
    const memLimits: TimeSeriesModel.ILimit[] =
      limit > 0
        ? [{ label: this._trans.__('Memory limit'), value: limit }]
        : [];
    if (ResourceModel.limitsKey(memLimits) !== this._memLimitKey) {
      this._memLimitKey = ResourceModel.limitsKey(memLimits);
      this.memory.limits = memLimits;
    }
    // One line per distinct GPU size, in the GPU's colour when only that GPU has it.
    const bySize = new Map<number, number[]>();
    for (const d of payload.gpu.devices) {
      if (d.memoryTotalBytes !== null && d.memoryTotalBytes > 0) {
        bySize.set(d.memoryTotalBytes, [
          ...(bySize.get(d.memoryTotalBytes) ?? []),
          d.index
        ]);
      }
    }
    const gpuLimits: TimeSeriesModel.ILimit[] = [...bySize.entries()].map(
      ([size, indices]) =>
        indices.length === 1 && bySize.size > 1
          ? {
              label: this._trans.__('GPU %1 memory', indices[0]),
              value: size,
              color: this.gpuColor(indices[0])
            }
          : { label: this._trans.__('GPU memory'), value: size }
    );
    if (ResourceModel.limitsKey(gpuLimits) !== this._gpuLimitKey) {
      this._gpuLimitKey = ResourceModel.limitsKey(gpuLimits);
      this.gpuMemory.limits = gpuLimits;
    }
  }

  private _armStaleTimer(payload: MetricsChannelPayload): void {
    clearTimeout(this._staleTimer);
    const after = Math.max(
      ResourceModel.STALE_MIN_MS,
      payload.intervalSeconds * 3000
    );
    this._staleTimer = setTimeout(() => {
      this._staleTimer = undefined;
      if (this._subscription && this._client.state === 'connected') {
        const since = this._latest
          ? new Date(this._latest.time).toLocaleTimeString()
          : '';
        this._error = {
          message: this._trans.__(
            'No figures have come from the bridge since %1. It may be overloaded; the figures resume by themselves.',
            since
          ),
          details: null
        };
        this._setState('stale');
      }
    }, after);
  }

  private _onConnectionChanged(
    _sender: IBridgeClient,
    state: ConnectionState
  ): void {
    if (!this._subscription) {
      return;
    }
    if (state === 'disconnected') {
      this._explainDisconnection();
    } else if (state === 'connected' && this._state === 'disconnected') {
      // The client subscribes again: a fresh snapshot follows.
      this._awaitingSnapshot = true;
      this._error = null;
      this._setState(this._latest ? 'live' : 'loading');
    }
  }

  /**
   * Say that the connection is lost, and ask the bridge's health why (details).
   */
  private _explainDisconnection(): void {
    this._error = {
      message: this._trans.__(
        'The connection to the bridge is lost. It reconnects by itself; if this lasts, open "mlinfn Bridge Status" or reload the page.'
      ),
      details: null
    };
    this._setState('disconnected');
    const asked = ++this._healthAsked;
    this._client.health().then(
      health => {
        if (asked === this._healthAsked && this._error) {
          this._error = {
            ...this._error,
            details: this._trans.__(
              'The bridge answers its health check (version %1), but the live connection is down.',
              health.version
            )
          };
          this._setState(this._state);
        }
      },
      (reason: unknown) => {
        if (asked === this._healthAsked && this._error) {
          this._error = {
            ...this._error,
            details: BridgeError.isBridgeError(reason)
              ? `${reason.reason} (${reason.code}${reason.status ? `, HTTP ${reason.status}` : ''})`
              : String(reason)
          };
          this._setState(this._state);
        }
      }
    );
  }

  /**
   * Set the state; emits when the state or the error changed.
   */
  private _setState(state: MonitorState): void {
    const key = JSON.stringify(this._error);
    if (this._state !== state || key !== this._stateErrorKey) {
      this._state = state;
      this._stateErrorKey = key;
      this._stateChanged.emit(state);
    }
  }

  private _client: IBridgeClient;
  private _trans: TranslationBundle;
  private _settings: IMonitorSettings;
  private _now: () => number;
  private _throttle: boolean;
  private _claims = 0;
  private _subscription: IDisposable | null = null;
  private _awaitingSnapshot = false;
  private _latest: MetricsChannelPayload | null = null;
  private _pending: MetricsChannelPayload | null = null;
  private _lastFlush = -Infinity;
  private _flushTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _staleTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _state: MonitorState = 'idle';
  private _stateErrorKey = 'null';
  private _error: IMonitorError | null = null;
  private _healthAsked = 0;
  private _gpuIndices: number[] = [];
  private _firstTime: number | null = null;
  private _memLimitKey = '';
  private _gpuLimitKey = '';
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, MonitorState>(this);
  private _settingsChanged = new Signal<this, IMonitorSettings>(this);
}

/**
 * The namespace for `ResourceModel` statics.
 */
export namespace ResourceModel {
  /**
   * Options to create the model.
   */
  export interface IOptions {
    /**
     * The bridge client.
     */
    client: IBridgeClient;

    /**
     * The translator (series and limit labels).
     */
    translator?: ITranslator;

    /**
     * Initial settings (defaults otherwise).
     */
    settings?: Partial<IMonitorSettings>;

    /**
     * Whether updates are throttled to `refreshInterval` (default true; tests turn it off).
     */
    throttle?: boolean;

    /**
     * The clock (tests).
     */
    now?: () => number;

    /**
     * The most points per series (default {@link CAPACITY}).
     */
    capacity?: number;
  }

  /**
   * Points kept per series: an hour at the fastest UI refresh (0.5 s) plus the low-rate
   * history of the snapshot.
   */
  export const CAPACITY = 7200 + 720;

  /**
   * The chart windows, in minutes: the smallest that holds the data is used.
   */
  export const WINDOW_MINUTES = [5, 10, 15, 30, 60];

  /**
   * The chart window, in ms, for data spanning `spanMs`: at most an hour.
   */
  export function windowFor(spanMs: number): number {
    const minutes =
      WINDOW_MINUTES.find(m => m * 60000 >= spanMs) ??
      WINDOW_MINUTES[WINDOW_MINUTES.length - 1];
    return minutes * 60000;
  }

  /**
   * The shortest silence, in ms, after which figures count as stale.
   */
  export const STALE_MIN_MS = 10000;

  /**
   * The series colours of the GPUs, by index (cycling): theme variables of distinct hues that
   * read well on both themes' backgrounds (the collaborator colours do not: pastel in the
   * light theme, dark in the dark one).
   */
  export const GPU_COLORS = [
    'var(--jp-mirror-editor-operator-color, #7800c2)',
    'var(--jp-info-color1, #0097a7)',
    'var(--jp-warn-color1, #f57c00)',
    'var(--jp-accent-color1, #388e3c)',
    'var(--jp-brand-color1, #1976d2)',
    'var(--jp-mirror-editor-string-color, #ba2121)',
    'var(--jp-mirror-editor-string-2-color, #770088)',
    'var(--jp-mirror-editor-bracket-color, #999977)'
  ];

  /**
   * The colour of a GPU's series.
   */
  export function gpuColor(index: number): string {
    const n = GPU_COLORS.length;
    return GPU_COLORS[((index % n) + n) % n];
  }

  /**
   * The history point of a live payload.
   */
  export function pointOf(payload: MetricsChannelPayload): MetricsHistoryPoint {
    return {
      time: payload.time,
      cpuPercent: payload.host.cpuPercent,
      memUsedBytes: payload.host.memUsedBytes,
      memLimitBytes: payload.host.memLimitBytes,
      gpus: payload.gpu.devices.map(d => ({
        index: d.index,
        utilizationPercent: d.utilizationPercent,
        memoryUsedBytes: d.memoryUsedBytes,
        memoryTotalBytes: d.memoryTotalBytes
      }))
    };
  }

  /**
   * A key of limit lines, to set them only when they change.
   */
  export function limitsKey(limits: TimeSeriesModel.ILimit[]): string {
    return JSON.stringify(limits);
  }

  /**
   * Format a value of the memory charts (bytes).
   */
  export function formatMemory(value: number): string {
    return formatBytes(value);
  }
}
