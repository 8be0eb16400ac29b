import type { MetricsGpuDevice, MetricsMigInstance } from '@mlinfn/common';
import { TranslationBundle } from '@jupyterlab/translation';
import { gpuStateText, pidsHiddenText } from '../describe';
import {
  formatBytePair,
  formatPercentValue,
  formatWithUnit,
  UNKNOWN
} from '../format';
import { gpuMemoryPercent, percentOf, usageLevel } from '../usage';
import { Dom, MonitorView } from './view';

/**
 * The GPUs: their state in words when there is nothing to show (no driver, no GPU, error),
 * the plain statement when their processes are not visible here, and each device with its
 * utilisation, memory, temperature and power, MIG instances listed under their GPU.
 */
export class GpuSection extends MonitorView {
  /**
   * Create the section.
   */
  constructor(options: MonitorView.IOptions) {
    super(options);
    this.addClass('jp-ResourcePanel-gpus');
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', this.trans.__('GPUs'));
    this.render();
  }

  /**
   * Render the section.
   */
  render(): void {
    const node = this.node;
    node.textContent = '';
    const payload = this.model.latest;
    if (!payload) {
      return;
    }
    const trans = this.trans;
    const gpu = payload.gpu;
    node.append(Dom.el('h3', 'jp-ResourcePanel-heading', trans.__('GPUs')));

    const state = gpuStateText(gpu, trans);
    if (state !== null) {
      node.append(
        Dom.withDetails(
          `jp-ResourcePanel-gpuState jp-mod-${gpu.status}`,
          state,
          gpu.message,
          trans.__('Details')
        )
      );
      return;
    }
    if (gpu.pidsVisible === false) {
      node.append(
        Dom.withDetails(
          'jp-ResourcePanel-degraded',
          pidsHiddenText(trans),
          gpu.message,
          trans.__('Details')
        )
      );
    } else if (gpu.message) {
      node.append(Dom.el('p', 'jp-ResourcePanel-note', gpu.message));
    }
    if (!gpu.devices.length) {
      node.append(
        Dom.el('p', 'jp-ResourcePanel-empty', trans.__('No GPU is reported.'))
      );
      return;
    }
    for (const device of gpu.devices) {
      node.append(
        Private.device(
          device,
          this.model.gpuColor(device.index),
          this.model.settings.gpuMemoryWarningPercent,
          trans
        )
      );
    }
    node.append(
      Dom.el(
        'p',
        'jp-ResourcePanel-note jp-ResourcePanel-gpuSource',
        trans.__('Source: %1', gpu.source)
      )
    );
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * One GPU: name, utilisation and memory meters, temperature and power, MIG instances.
   */
  export function device(
    d: MetricsGpuDevice,
    color: string,
    threshold: number,
    trans: TranslationBundle
  ): HTMLElement {
    const box = Dom.el('div', 'jp-ResourcePanel-gpu');
    box.dataset.index = String(d.index);
    const title = Dom.el('div', 'jp-ResourcePanel-gpuTitle');
    const swatch = Dom.el('span', 'jp-ResourcePanel-swatch');
    swatch.style.background = color;
    title.append(
      swatch,
      Dom.el(
        'span',
        '',
        d.name
          ? trans.__('GPU %1 · %2', d.index, d.name)
          : trans.__('GPU %1', d.index)
      )
    );
    box.append(title);

    const util = Dom.el('div', 'jp-ResourcePanel-row jp-ResourcePanel-gpuUtil');
    util.append(
      Dom.el('span', 'jp-ResourcePanel-key', trans.__('Utilisation')),
      Dom.el(
        'span',
        'jp-ResourcePanel-value',
        d.utilizationPercent === null
          ? d.migMode
            ? trans.__('per MIG instance only (needs DCGM)')
            : trans.__('not reported')
          : formatPercentValue(d.utilizationPercent)
      ),
      Dom.meter(
        d.utilizationPercent,
        'ok',
        trans.__('GPU %1 utilisation', d.index)
      )
    );
    const percent = gpuMemoryPercent(d);
    const mem = Dom.el(
      'div',
      'jp-ResourcePanel-row jp-ResourcePanel-gpuMemory'
    );
    mem.append(
      Dom.el('span', 'jp-ResourcePanel-key', trans.__('Memory')),
      Dom.el(
        'span',
        'jp-ResourcePanel-value',
        `${formatBytePair(d.memoryUsedBytes, d.memoryTotalBytes)} (${formatPercentValue(percent)})`
      ),
      Dom.meter(
        percent,
        usageLevel(percent, threshold),
        trans.__('GPU %1 memory', d.index)
      )
    );
    box.append(util, mem);

    const facts = [
      formatWithUnit(d.temperatureCelsius, '°C'),
      d.powerDrawWatts === null && d.powerLimitWatts === null
        ? UNKNOWN + ' W'
        : `${formatWithUnit(d.powerDrawWatts, 'W')} / ${formatWithUnit(d.powerLimitWatts, 'W')}`,
      d.processCount === null
        ? trans.__('processes not listed')
        : trans._n('%1 process', '%1 processes', d.processCount)
    ];
    box.append(Dom.el('div', 'jp-ResourcePanel-gpuFacts', facts.join(' · ')));

    if (d.migMode) {
      box.append(mig(d.migInstances, trans));
    }
    return box;
  }

  /**
   * The MIG instances of a GPU.
   */
  export function mig(
    instances: MetricsMigInstance[],
    trans: TranslationBundle
  ): HTMLElement {
    const wrap = Dom.el('div', 'jp-ResourcePanel-mig');
    wrap.append(
      Dom.el('div', 'jp-ResourcePanel-migTitle', trans.__('MIG instances'))
    );
    if (!instances.length) {
      wrap.append(
        Dom.el(
          'p',
          'jp-ResourcePanel-empty',
          trans.__('MIG mode is on, but no instance is configured.')
        )
      );
      return wrap;
    }
    const list = Dom.el('ul', 'jp-ResourcePanel-migList');
    for (const m of instances) {
      const item = Dom.el('li', 'jp-ResourcePanel-migInstance');
      const name = m.profile
        ? trans.__(
            '%1 (GI %2, CI %3)',
            m.profile,
            m.gpuInstanceId ?? UNKNOWN,
            m.computeInstanceId ?? UNKNOWN
          )
        : trans.__(
            'GI %1, CI %2',
            m.gpuInstanceId ?? UNKNOWN,
            m.computeInstanceId ?? UNKNOWN
          );
      const util =
        m.utilizationPercent === null
          ? trans.__('utilisation needs DCGM')
          : trans.__(
              'utilisation %1',
              formatPercentValue(m.utilizationPercent)
            );
      item.append(
        Dom.el('span', 'jp-ResourcePanel-key', name),
        Dom.el(
          'span',
          'jp-ResourcePanel-value',
          `${formatBytePair(m.memoryUsedBytes, m.memoryTotalBytes)} (${formatPercentValue(percentOf(m.memoryUsedBytes, m.memoryTotalBytes))}) · ${util}`
        )
      );
      list.append(item);
    }
    wrap.append(list);
    return wrap;
  }
}
