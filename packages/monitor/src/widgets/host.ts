import { formatNumber, formatRate } from '@mlinfn/common';
import { limitSourceText } from '../describe';
import { formatBytePair, formatPercentValue, UNKNOWN } from '../format';
import { cpuLevel, memoryPercent, percentOf, usageLevel } from '../usage';
import { Dom, MonitorView } from './view';

/**
 * The host figures in words and meters: CPU and memory against their limits (and where the
 * limits come from), disk, network, and the time of the sample.
 */
export class HostSummary extends MonitorView {
  /**
   * Create the summary.
   */
  constructor(options: MonitorView.IOptions) {
    super(options);
    this.addClass('jp-ResourcePanel-host');
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', this.trans.__('This server'));
    this.render();
  }

  /**
   * Render the rows.
   */
  render(): void {
    const node = this.node;
    node.textContent = '';
    const payload = this.model.latest;
    if (!payload) {
      return;
    }
    const trans = this.trans;
    const host = payload.host;
    const settings = this.model.settings;

    const cpuText = trans.__(
      '%1 of %2 cores',
      formatPercentValue(host.cpuPercent),
      formatNumber(host.cpuLimitCores, 1)
    );
    node.append(
      Private.row(
        'cpu',
        trans.__('CPU'),
        cpuText,
        Dom.meter(host.cpuPercent, cpuLevel(host.cpuPercent), trans.__('CPU')),
        limitSourceText(host.cpuLimitSource, 'cpu', trans)
      )
    );

    const memPercent = memoryPercent(host);
    node.append(
      Private.row(
        'memory',
        trans.__('Memory'),
        `${formatBytePair(host.memUsedBytes, host.memLimitBytes)} (${formatPercentValue(memPercent)})`,
        Dom.meter(
          memPercent,
          usageLevel(memPercent, settings.memoryWarningPercent),
          trans.__('Memory')
        ),
        limitSourceText(host.limitSource, 'memory', trans)
      )
    );

    const diskPercent = percentOf(host.diskUsedBytes, host.diskTotalBytes);
    node.append(
      Private.row(
        'disk',
        trans.__('Disk'),
        host.diskTotalBytes === null
          ? trans.__('not measured yet')
          : `${formatBytePair(host.diskUsedBytes, host.diskTotalBytes)} (${formatPercentValue(diskPercent)})`,
        Dom.meter(diskPercent, usageLevel(diskPercent, 90), trans.__('Disk')),
        trans.__('of the server’s root directory')
      )
    );

    const rx = host.netRxBytesPerSec;
    const tx = host.netTxBytesPerSec;
    node.append(
      Private.row(
        'network',
        trans.__('Network'),
        trans.__(
          '↓ %1 · ↑ %2',
          rx === null ? UNKNOWN : formatRate(rx),
          tx === null ? UNKNOWN : formatRate(tx)
        ),
        null,
        null
      )
    );

    const time = Dom.el(
      'div',
      'jp-ResourcePanel-sampleTime',
      trans.__(
        'Sampled at %1, every %2 s',
        new Date(payload.time).toLocaleTimeString(),
        formatNumber(payload.intervalSeconds, 1)
      )
    );
    time.dataset.time = String(payload.time);
    node.append(time);
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A labelled row: key, figures, meter, and a note (e.g. the limit's source).
   */
  export function row(
    key: string,
    label: string,
    value: string,
    meter: HTMLElement | null,
    note: string | null
  ): HTMLElement {
    const div = Dom.el('div', `jp-ResourcePanel-row jp-ResourcePanel-${key}`);
    div.append(
      Dom.el('span', 'jp-ResourcePanel-key', label),
      Dom.el('span', 'jp-ResourcePanel-value', value)
    );
    if (meter) {
      div.append(meter);
    }
    if (note) {
      div.append(Dom.el('span', 'jp-ResourcePanel-note', note));
    }
    return div;
  }
}
