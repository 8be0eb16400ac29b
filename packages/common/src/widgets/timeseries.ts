import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { formatNumber } from '../format';
import { TimeSeriesModel } from '../models/timeseries';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * A time-series chart drawn in SVG: one line per series, a time window, a y axis with its
 * unit, horizontal limit lines and a readout of the values under the cursor.
 *
 * Redraws are throttled to one per animation frame, however fast points arrive.
 */
export class TimeSeriesChart extends Widget {
  /**
   * Create a chart of a model.
   */
  constructor(options: TimeSeriesChart.IOptions) {
    super();
    this.model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._label = options.label;
    this._formatValue =
      options.formatValue ?? ((v: number) => formatNumber(v, 1));
    this.addClass('jp-TimeSeriesChart');

    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.classList.add('jp-TimeSeriesChart-svg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('tabindex', '0');
    this._svg = svg;

    this._legend = document.createElement('div');
    this._legend.className = 'jp-TimeSeriesChart-legend';

    this._readout = document.createElement('div');
    this._readout.className = 'jp-TimeSeriesChart-readout';
    this._readout.setAttribute('aria-live', 'polite');

    this.node.append(this._legend, svg, this._readout);

    svg.addEventListener('mousemove', this);
    svg.addEventListener('mouseleave', this);
    svg.addEventListener('keydown', this);
    svg.addEventListener('blur', this);
    this.model.changed.connect(this._onModelChanged, this);
    this._renderLegend();
    this._updateLabel();
  }

  /**
   * The model drawn.
   */
  readonly model: TimeSeriesModel;

  /**
   * The time under the cursor, in ms; `null` when the cursor is not over the chart.
   */
  get cursorTime(): number | null {
    return this._cursorTime;
  }

  /**
   * Handle DOM events (hover and keyboard readout).
   */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'mousemove':
        this._onMouseMove(event as MouseEvent);
        break;
      case 'mouseleave':
      case 'blur':
        this._setCursor(null);
        break;
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
      default:
        break;
    }
  }

  /**
   * Dispose of the chart (not of its model).
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._frame !== null) {
      cancelAnimationFrame(this._frame);
      this._frame = null;
    }
    this.model.changed.disconnect(this._onModelChanged, this);
    super.dispose();
  }

  /**
   * Draw now (the widget normally draws on the next animation frame).
   */
  draw(): void {
    this._frame = null;
    this._updateLabel();
    const width = this._svg.clientWidth || this.node.clientWidth;
    const height = this._svg.clientHeight;
    if (width <= 0 || height <= 0) {
      return;
    }
    const m = this.model;
    const [start, end] = m.range();
    const top =
      m.yMax ??
      Private.niceMax(Math.max(m.maxValue(), ...m.limits.map(l => l.value)));
    const geom: Private.IGeometry = {
      left: 48,
      right: 8,
      top: 8,
      bottom: 20,
      width,
      height,
      start,
      end,
      yTop: top > 0 ? top : 1
    };
    this._geom = geom;
    const svg = this._svg;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.textContent = '';

    // Grid and y labels.
    const ticks = 4;
    for (let i = 0; i <= ticks; i++) {
      const value = (geom.yTop * i) / ticks;
      const y = Private.y(geom, value);
      svg.append(
        Private.el('line', 'jp-TimeSeriesChart-grid', {
          x1: geom.left,
          x2: width - geom.right,
          y1: y,
          y2: y
        }),
        Private.text(
          'jp-TimeSeriesChart-axisLabel',
          geom.left - 4,
          y + 4,
          `${this._formatValue(value)}${m.unit ? ' ' + m.unit : ''}`,
          'end'
        )
      );
    }
    // Time labels.
    const fmt = (t: number) =>
      new Date(t).toLocaleTimeString([], {
        hour: '2-digit',
        minute: '2-digit'
      });
    for (let i = 0; i <= 3; i++) {
      const t = start + ((end - start) * i) / 3;
      svg.append(
        Private.text(
          'jp-TimeSeriesChart-axisLabel',
          Private.x(geom, t),
          height - 4,
          fmt(t),
          i === 0 ? 'start' : i === 3 ? 'end' : 'middle'
        )
      );
    }
    // Limit lines.
    for (const limit of m.limits) {
      const y = Private.y(geom, limit.value);
      const line = Private.el('line', 'jp-TimeSeriesChart-limit', {
        x1: geom.left,
        x2: width - geom.right,
        y1: y,
        y2: y
      });
      line.style.stroke = limit.color ?? 'var(--jp-error-color1)';
      const label = Private.text(
        'jp-TimeSeriesChart-limitLabel',
        width - geom.right - 2,
        y - 3,
        `${limit.label} ${this._formatValue(limit.value)}${m.unit ? ' ' + m.unit : ''}`,
        'end'
      );
      label.style.fill = limit.color ?? 'var(--jp-error-color1)';
      svg.append(line, label);
    }
    // Series.
    for (const series of m.series) {
      const d = Private.path(geom, m.points(series.id));
      if (!d) {
        continue;
      }
      const path = Private.el('path', 'jp-TimeSeriesChart-line', { d });
      path.style.stroke = series.color;
      path.setAttribute('data-series', series.id);
      svg.append(path);
    }
    // Cursor.
    if (this._cursorTime !== null) {
      const x = Private.x(geom, this._cursorTime);
      svg.append(
        Private.el('line', 'jp-TimeSeriesChart-cursor', {
          x1: x,
          x2: x,
          y1: geom.top,
          y2: height - geom.bottom
        })
      );
    }
  }

  /**
   * Schedule a redraw when the widget is shown.
   */
  protected onAfterShow(): void {
    this._schedule();
  }

  /**
   * Schedule a redraw when the widget is attached.
   */
  protected onAfterAttach(): void {
    this._schedule();
  }

  /**
   * Schedule a redraw when the widget is resized.
   */
  protected onResize(): void {
    this._schedule();
  }

  private _onModelChanged(): void {
    this._renderLegendIfNeeded();
    this._schedule();
  }

  private _schedule(): void {
    if (this._frame !== null || this.isDisposed) {
      return;
    }
    this._frame = requestAnimationFrame(() => this.draw());
  }

  private _onMouseMove(event: MouseEvent): void {
    const geom = this._geom;
    if (!geom) {
      return;
    }
    const rect = this._svg.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const plot = geom.width - geom.left - geom.right;
    const f = Math.min(1, Math.max(0, (x - geom.left) / plot));
    this._setCursor(geom.start + f * (geom.end - geom.start));
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const [start, end] = this.model.range();
    const step = (end - start) / 60;
    let t = this._cursorTime ?? end;
    switch (event.key) {
      case 'ArrowLeft':
        t = Math.max(start, t - step);
        break;
      case 'ArrowRight':
        t = Math.min(end, t + step);
        break;
      case 'Home':
        t = start;
        break;
      case 'End':
        t = end;
        break;
      case 'Escape':
        this._setCursor(null);
        return;
      default:
        return;
    }
    event.preventDefault();
    this._setCursor(t);
  }

  private _setCursor(time: number | null): void {
    this._cursorTime = time;
    this._readout.textContent = time === null ? '' : this._describeAt(time);
    this._schedule();
  }

  /**
   * The values at a time, e.g. "14:03:12 — GPU 0: 45 %, GPU 1: 12 %".
   */
  private _describeAt(time: number): string {
    const m = this.model;
    const values = m.series.map(s => {
      const p = m.nearest(s.id, time);
      return `${s.label}: ${this._valueText(p ? p.value : NaN)}`;
    });
    const clock = new Date(time).toLocaleTimeString();
    return `${clock} — ${values.join(', ')}`;
  }

  private _valueText(value: number): string {
    if (Number.isNaN(value)) {
      return this._trans.__('no data');
    }
    const unit = this.model.unit;
    return `${this._formatValue(value)}${unit ? ' ' + unit : ''}`;
  }

  private _updateLabel(): void {
    const m = this.model;
    const latest = m.series.map(s => {
      const p = m.latest(s.id);
      return `${s.label} ${this._valueText(p ? p.value : NaN)}`;
    });
    const minutes = Math.round(m.windowMs / 60000);
    this._svg.setAttribute(
      'aria-label',
      this._trans.__(
        '%1, last %2 minutes; latest: %3',
        this._label ?? this._trans.__('Time series'),
        minutes,
        latest.join(', ') || this._trans.__('no data')
      )
    );
  }

  private _renderLegendIfNeeded(): void {
    if (Private.legendKey(this.model) !== this._legendKey) {
      this._renderLegend();
    }
  }

  private _renderLegend(): void {
    const series = this.model.series;
    this._legendKey = Private.legendKey(this.model);
    this._legend.textContent = '';
    for (const s of series) {
      const item = document.createElement('span');
      item.className = 'jp-TimeSeriesChart-legendItem';
      const swatch = document.createElement('span');
      swatch.className = 'jp-TimeSeriesChart-swatch';
      swatch.style.background = s.color;
      item.append(swatch, document.createTextNode(s.label));
      this._legend.append(item);
    }
  }

  private _svg: SVGSVGElement;
  private _legend: HTMLDivElement;
  private _readout: HTMLDivElement;
  private _legendKey = '';
  private _label: string | undefined;
  private _frame: number | null = null;
  private _cursorTime: number | null = null;
  private _geom: Private.IGeometry | null = null;
  private _formatValue: (value: number) => string;
  private _trans: ReturnType<ITranslator['load']>;
}

/**
 * The namespace for `TimeSeriesChart` statics.
 */
export namespace TimeSeriesChart {
  /**
   * Options to create a chart.
   */
  export interface IOptions {
    /**
     * The model to draw.
     */
    model: TimeSeriesModel;

    /**
     * What the chart shows (already translated), used in its ARIA label, e.g. "GPU utilisation".
     */
    label?: string;

    /**
     * How to write a value without its unit (default: one decimal at most).
     */
    formatValue?: (value: number) => string;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The plot geometry of one drawing.
   */
  export interface IGeometry {
    left: number;
    right: number;
    top: number;
    bottom: number;
    width: number;
    height: number;
    start: number;
    end: number;
    yTop: number;
  }

  /**
   * A key that changes when the legend must be drawn again.
   */
  export function legendKey(model: TimeSeriesModel): string {
    return JSON.stringify(model.series.map(s => [s.id, s.label, s.color]));
  }

  /**
   * The x pixel of a time.
   */
  export function x(g: IGeometry, time: number): number {
    const plot = g.width - g.left - g.right;
    return g.left + ((time - g.start) / (g.end - g.start || 1)) * plot;
  }

  /**
   * The y pixel of a value.
   */
  export function y(g: IGeometry, value: number): number {
    const plot = g.height - g.top - g.bottom;
    const clamped = Math.min(Math.max(value, 0), g.yTop);
    return g.top + plot - (clamped / g.yTop) * plot;
  }

  /**
   * The SVG path of points; a `NaN` value starts a new segment.
   */
  export function path(g: IGeometry, points: TimeSeriesModel.IPoint[]): string {
    let d = '';
    let pen = false;
    for (const p of points) {
      if (Number.isNaN(p.value)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(g, p.time).toFixed(1)},${y(g, p.value).toFixed(1)}`;
      pen = true;
    }
    return d;
  }

  /**
   * A round number at or above `max` for the top of the y axis.
   */
  export function niceMax(max: number): number {
    if (!(max > 0)) {
      return 1;
    }
    const target = max * 1.1;
    const power = 10 ** Math.floor(Math.log10(target));
    // Fine steps, so a limit line sits near the top rather than halfway (25 GB → 30 GB, not 50).
    for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
      if (step * power >= target) {
        return step * power;
      }
    }
    return 10 * power;
  }

  /**
   * Create an SVG element with a class and attributes.
   */
  export function el(
    tag: string,
    className: string,
    attrs: Record<string, string | number>
  ): SVGElement {
    const node = document.createElementNS(SVG_NS, tag) as SVGElement;
    node.setAttribute('class', className);
    for (const [key, value] of Object.entries(attrs)) {
      node.setAttribute(key, String(value));
    }
    return node;
  }

  /**
   * Create an SVG text element.
   */
  export function text(
    className: string,
    px: number,
    py: number,
    content: string,
    anchor: 'start' | 'middle' | 'end'
  ): SVGElement {
    const node = el('text', className, { x: px, y: py, 'text-anchor': anchor });
    node.textContent = content;
    return node;
  }
}
