import type { MetricsChannelPayload } from '@mlinfn/common';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { formatBytePair, formatPercentValue, UNKNOWN } from '../format';
import { IMonitorSettings } from '../tokens';
import {
  cpuLevel,
  gpuMemoryPercent,
  memoryPercent,
  percentOf,
  usageLevel,
  UsageLevel,
  worstLevel
} from '../usage';
import { Dom, MonitorView } from './view';

/**
 * The status-bar item: CPU, memory against its limit and, when there is a GPU, its
 * utilisation and memory, each coloured as its limit nears. A click opens the Resources panel.
 *
 * It keeps the monitor subscribed while it shows anything (the status bar is always visible).
 */
export class ResourceStatusItem extends MonitorView {
  /**
   * Create the item.
   */
  constructor(options: ResourceStatusItem.IOptions) {
    super({ ...options, node: document.createElement('button') });
    this._onClick = options.onClick;
    this.addClass('jp-ResourceStatus');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', this);
    this.model.settingsChanged.connect(this._onSettingsChanged, this);
    this._onSettingsChanged();
    this.render();
  }

  /**
   * Whether the item shows anything (at least one of CPU, memory, GPU is turned on).
   */
  get isActive(): boolean {
    const s = this.model.settings;
    return s.showCpu || s.showMemory || s.showGpu;
  }

  /**
   * Emitted when `isActive` may have changed (the status bar asks again).
   */
  get activeStateChanged(): ISignal<this, void> {
    return this._activeStateChanged;
  }

  /**
   * Handle the click.
   */
  handleEvent(event: Event): void {
    if (event.type === 'click') {
      this._onClick();
    }
  }

  /**
   * Dispose of the item.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.settingsChanged.disconnect(this._onSettingsChanged, this);
    this._statusClaim?.dispose();
    this._statusClaim = null;
    super.dispose();
  }

  /**
   * Render the parts.
   */
  render(): void {
    const m = this.model;
    const node = this.node;
    node.textContent = '';
    const stale = m.state === 'disconnected' || m.state === 'stale';
    this.toggleClass('jp-mod-stale', stale);
    const payload = m.latest;
    if (!payload) {
      const text = this.trans.__('Resources…');
      node.append(
        Dom.el('span', 'jp-ResourceStatus-part jp-mod-loading', text)
      );
      const label = m.error?.message ?? this.trans.__('Resources: loading');
      node.title = label;
      node.setAttribute('aria-label', label);
      return;
    }
    const parts = ResourceStatusItem.describe(payload, m.settings, this.trans);
    for (const part of parts) {
      const span = Dom.el(
        'span',
        `jp-ResourceStatus-part jp-ResourceStatus-${part.key} jp-mod-${part.level}`
      );
      span.append(
        Dom.el('span', 'jp-ResourceStatus-label', part.label),
        document.createTextNode(` ${part.text}`)
      );
      node.append(span);
    }
    const summary = parts.map(p => p.title).join('\n');
    const title =
      (stale && m.error ? `${m.error.message}\n` : '') +
      summary +
      '\n' +
      this.trans.__('Click to show the Resources panel.');
    node.title = title;
    node.setAttribute(
      'aria-label',
      this.trans.__('Resources: %1', parts.map(p => p.title).join('; '))
    );
  }

  private _onSettingsChanged(): void {
    if (this.isActive && !this._statusClaim) {
      this._statusClaim = this.model.acquire();
    } else if (!this.isActive && this._statusClaim) {
      this._statusClaim.dispose();
      this._statusClaim = null;
    }
    this._activeStateChanged.emit();
    this.update();
  }

  private _onClick: () => void;
  private _activeStateChanged = new Signal<this, void>(this);
  private _statusClaim: IDisposable | null = null;
}

/**
 * The namespace for `ResourceStatusItem` statics.
 */
export namespace ResourceStatusItem {
  /**
   * Options to create the item.
   */
  export interface IOptions extends Omit<MonitorView.IOptions, 'node'> {
    /**
     * What a click does (open the Resources panel).
     */
    onClick: () => void;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }

  /**
   * One part of the item.
   */
  export interface IPart {
    /**
     * `cpu`, `memory` or `gpu`: the part's class is `jp-ResourceStatus-<key>`.
     */
    key: 'cpu' | 'memory' | 'gpu';

    /**
     * The short label ("CPU", "Mem", "GPU").
     */
    label: string;

    /**
     * The figures, e.g. "3.2 / 16 GB".
     */
    text: string;

    /**
     * How close to its limit: the part's class is `jp-mod-<level>`.
     */
    level: UsageLevel;

    /**
     * A full sentence for the tooltip and the ARIA label.
     */
    title: string;
  }

  /**
   * The parts of the item for a payload and the settings: those turned on, and the GPU part
   * only when there is a GPU.
   */
  export function describe(
    payload: MetricsChannelPayload,
    settings: Readonly<IMonitorSettings>,
    trans: TranslationBundle
  ): IPart[] {
    const parts: IPart[] = [];
    const host = payload.host;
    if (settings.showCpu) {
      const text = formatPercentValue(host.cpuPercent);
      parts.push({
        key: 'cpu',
        label: trans.__('CPU'),
        text,
        level: cpuLevel(host.cpuPercent),
        title: trans.__(
          'CPU: %1 of %2 cores',
          text,
          String(Math.round(host.cpuLimitCores * 10) / 10)
        )
      });
    }
    if (settings.showMemory) {
      const percent = memoryPercent(host);
      const text = formatBytePair(host.memUsedBytes, host.memLimitBytes);
      parts.push({
        key: 'memory',
        label: trans.__('Mem'),
        text,
        level: usageLevel(percent, settings.memoryWarningPercent),
        title: trans.__('Memory: %1 (%2)', text, formatPercentValue(percent))
      });
    }
    const devices = payload.gpu.devices;
    if (settings.showGpu && payload.gpu.status === 'ok' && devices.length) {
      const utils = devices
        .map(d => d.utilizationPercent)
        .filter((u): u is number => u !== null);
      const util = utils.length
        ? utils.reduce((a, b) => a + b, 0) / utils.length
        : null;
      const known = devices.filter(
        d => d.memoryUsedBytes !== null && d.memoryTotalBytes !== null
      );
      const used = known.length
        ? known.reduce((a, d) => a + (d.memoryUsedBytes ?? 0), 0)
        : null;
      const total = known.length
        ? known.reduce((a, d) => a + (d.memoryTotalBytes ?? 0), 0)
        : null;
      const level = devices
        .map(d =>
          usageLevel(gpuMemoryPercent(d), settings.gpuMemoryWarningPercent)
        )
        .reduce(worstLevel, 'ok' as UsageLevel);
      const memText = formatBytePair(used, total);
      const utilText = formatPercentValue(util);
      const label =
        devices.length > 1
          ? trans.__('GPU×%1', devices.length)
          : trans.__('GPU');
      parts.push({
        key: 'gpu',
        label,
        text: `${utilText} · ${memText}`,
        level,
        title:
          devices.length > 1
            ? trans.__(
                '%1 GPUs: mean utilisation %2, memory %3 (%4)',
                devices.length,
                utilText,
                memText,
                formatPercentValue(percentOf(used, total))
              )
            : trans.__(
                'GPU: utilisation %1, memory %2 (%3)',
                utilText === UNKNOWN ? trans.__('not reported') : utilText,
                memText,
                formatPercentValue(percentOf(used, total))
              )
      });
    }
    return parts;
  }
}
