import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { RingBuffer } from './ringbuffer';

/**
 * The data of a time-series chart: named series in ring buffers, a time window, a y axis and
 * limit lines. It knows nothing of drawing.
 */
export class TimeSeriesModel implements IDisposable {
  /**
   * Create a time-series model.
   */
  constructor(options: TimeSeriesModel.IOptions) {
    this._capacity = options.capacity ?? 3600;
    this._windowMs = options.windowMs ?? 60 * 60 * 1000;
    this._unit = options.unit ?? '';
    this._yMax = options.yMax ?? null;
    this._limits = [...(options.limits ?? [])];
    for (const series of options.series) {
      this.addSeries(series);
    }
  }

  /**
   * Emitted when data or settings change (drawing listens and throttles).
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The series, in drawing order.
   */
  get series(): ReadonlyArray<TimeSeriesModel.ISeries> {
    return [...this._series.values()].map(s => s.info);
  }

  /**
   * The width of the time window, in ms (default one hour).
   */
  get windowMs(): number {
    return this._windowMs;
  }
  set windowMs(value: number) {
    if (value > 0 && value !== this._windowMs) {
      this._windowMs = value;
      this._changed.emit();
    }
  }

  /**
   * The unit of the values, shown on the y axis (e.g. `%`, `GB`).
   */
  get unit(): string {
    return this._unit;
  }
  set unit(value: string) {
    if (value !== this._unit) {
      this._unit = value;
      this._changed.emit();
    }
  }

  /**
   * The fixed top of the y axis; `null` to fit the data and limits.
   */
  get yMax(): number | null {
    return this._yMax;
  }
  set yMax(value: number | null) {
    if (value !== this._yMax) {
      this._yMax = value;
      this._changed.emit();
    }
  }

  /**
   * The horizontal limit lines (e.g. the memory limit).
   */
  get limits(): ReadonlyArray<TimeSeriesModel.ILimit> {
    return this._limits;
  }
  set limits(value: ReadonlyArray<TimeSeriesModel.ILimit>) {
    this._limits = [...value];
    this._changed.emit();
  }

  /**
   * The time of the newest point of any series, in ms; `null` when there is no data.
   */
  get lastTime(): number | null {
    return this._lastTime;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Add a series (replacing one with the same id).
   */
  addSeries(series: TimeSeriesModel.ISeries): void {
    this._series.set(series.id, {
      info: { ...series },
      buffer: new RingBuffer(this._capacity)
    });
    this._changed.emit();
  }

  /**
   * Remove a series.
   */
  removeSeries(id: string): void {
    if (this._series.delete(id)) {
      this._changed.emit();
    }
  }

  /**
   * Append one sample of several series at `time` (ms since the epoch). A `null` or missing
   * value leaves a gap in that series; unknown ids are ignored. Times must not go backwards:
   * an older sample than the newest is dropped.
   */
  append(
    time: number,
    values: Record<string, number | null | undefined>
  ): void {
    if (this._lastTime !== null && time < this._lastTime) {
      return;
    }
    for (const [id, series] of this._series) {
      if (!(id in values)) {
        continue;
      }
      const value = values[id];
      series.buffer.push(
        time,
        value === null || value === undefined ? NaN : value
      );
    }
    this._lastTime = time;
    this._changed.emit();
  }

  /**
   * The time range shown: the window that ends at `end` (by default the newest point, or now).
   */
  range(end?: number): [number, number] {
    const stop = end ?? this._lastTime ?? Date.now();
    return [stop - this._windowMs, stop];
  }

  /**
   * The points of a series within the window ending at `end`, oldest first; gaps are `NaN`.
   */
  points(id: string, end?: number): TimeSeriesModel.IPoint[] {
    const series = this._series.get(id);
    if (!series) {
      return [];
    }
    const [start, stop] = this.range(end);
    const buffer = series.buffer;
    const out: TimeSeriesModel.IPoint[] = [];
    for (let i = buffer.lowerBound(start); i < buffer.length; i++) {
      const t = buffer.timeAt(i);
      if (t > stop) {
        break;
      }
      out.push({ time: t, value: buffer.valueAt(i) });
    }
    return out;
  }

  /**
   * The newest point of a series that has a value; `null` if none.
   */
  latest(id: string): TimeSeriesModel.IPoint | null {
    const buffer = this._series.get(id)?.buffer;
    if (!buffer) {
      return null;
    }
    for (let i = buffer.length - 1; i >= 0; i--) {
      const value = buffer.valueAt(i);
      if (!Number.isNaN(value)) {
        return { time: buffer.timeAt(i), value };
      }
    }
    return null;
  }

  /**
   * The point of a series nearest to `time`; `null` if the series is empty.
   */
  nearest(id: string, time: number): TimeSeriesModel.IPoint | null {
    const buffer = this._series.get(id)?.buffer;
    if (!buffer || buffer.length === 0) {
      return null;
    }
    const i = buffer.lowerBound(time);
    let best = Math.min(i, buffer.length - 1);
    if (
      i > 0 &&
      (i === buffer.length ||
        time - buffer.timeAt(i - 1) < buffer.timeAt(i) - time)
    ) {
      best = i - 1;
    }
    return { time: buffer.timeAt(best), value: buffer.valueAt(best) };
  }

  /**
   * The largest value in the window ending at `end` over all series (0 when none).
   */
  maxValue(end?: number): number {
    let max = 0;
    for (const id of this._series.keys()) {
      for (const p of this.points(id, end)) {
        if (p.value > max) {
          max = p.value;
        }
      }
    }
    return max;
  }

  /**
   * Forget every point.
   */
  clear(): void {
    for (const series of this._series.values()) {
      series.buffer.clear();
    }
    this._lastTime = null;
    this._changed.emit();
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

  private _series = new Map<
    string,
    { info: TimeSeriesModel.ISeries; buffer: RingBuffer }
  >();
  private _capacity: number;
  private _windowMs: number;
  private _unit: string;
  private _yMax: number | null;
  private _limits: TimeSeriesModel.ILimit[];
  private _lastTime: number | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `TimeSeriesModel` statics.
 */
export namespace TimeSeriesModel {
  /**
   * One named series.
   */
  export interface ISeries {
    /**
     * The key of the series in `append()`.
     */
    id: string;

    /**
     * The label shown in the legend and the readout (already translated).
     */
    label: string;

    /**
     * A CSS colour, preferably a `--jp-*` variable, e.g. `var(--jp-brand-color1)`.
     */
    color: string;
  }

  /**
   * A horizontal limit line.
   */
  export interface ILimit {
    /**
     * The label of the line (already translated), e.g. "Memory limit".
     */
    label: string;

    /**
     * Where the line is drawn, in the series' unit.
     */
    value: number;

    /**
     * A CSS colour; by default `var(--jp-error-color1)`.
     */
    color?: string;
  }

  /**
   * A point: time in ms since the epoch, value (`NaN` for a gap).
   */
  export interface IPoint {
    time: number;
    value: number;
  }

  /**
   * Options to create a time-series model.
   */
  export interface IOptions {
    /**
     * The series.
     */
    series: ISeries[];

    /**
     * The most points kept per series (default 3600: an hour at one per second).
     */
    capacity?: number;

    /**
     * The time window shown, in ms (default one hour).
     */
    windowMs?: number;

    /**
     * The unit of the values.
     */
    unit?: string;

    /**
     * A fixed top for the y axis (e.g. 100 for percentages).
     */
    yMax?: number | null;

    /**
     * Horizontal limit lines.
     */
    limits?: ILimit[];
  }
}
