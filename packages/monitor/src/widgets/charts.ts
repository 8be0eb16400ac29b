import { formatBytes, TimeSeriesChart, TimeSeriesModel } from '@mlinfn/common';
import { ITranslator } from '@jupyterlab/translation';
import { Panel, PanelLayout, Widget } from '@lumino/widgets';
import { Dom, MonitorView } from './view';

/**
 * The live charts of the last hour: host CPU, host memory against its limit and, when there
 * are GPUs, their utilisation and memory (one colour per GPU). Used in the Resources panel
 * and, on its own, in a main-area tab.
 */
export class ResourceCharts extends MonitorView {
  /**
   * Create the charts of a model.
   */
  constructor(options: ResourceCharts.IOptions) {
    super({ ...options, claim: options.claim ?? true });
    this._translator = options.translator;
    this.addClass('jp-ResourceCharts');
    this.layout = new PanelLayout();
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', this.trans.__('Resource charts'));
    const m = this.model;
    const percent = (v: number) => String(Math.round(v));
    this._cpu = this._addChart('cpu', this.trans.__('CPU'), m.cpu, percent);
    this._memory = this._addChart(
      'memory',
      this.trans.__('Memory'),
      m.memory,
      (v: number) => formatBytes(v)
    );
    this._gpuUtil = this._addChart(
      'gpuUtilization',
      this.trans.__('GPU utilisation'),
      m.gpuUtilization,
      percent
    );
    this._gpuMemory = this._addChart(
      'gpuMemory',
      this.trans.__('GPU memory'),
      m.gpuMemory,
      (v: number) => formatBytes(v)
    );
    this.render();
  }

  /**
   * The charts, by key (`cpu`, `memory`, `gpuUtilization`, `gpuMemory`).
   */
  get charts(): Record<string, TimeSeriesChart> {
    return {
      cpu: this._cpu.chart,
      memory: this._memory.chart,
      gpuUtilization: this._gpuUtil.chart,
      gpuMemory: this._gpuMemory.chart
    };
  }

  /**
   * Show the GPU charts only when there are GPU series.
   */
  render(): void {
    const hasGpu = this.model.gpuIndices.length > 0;
    for (const box of [this._gpuUtil, this._gpuMemory]) {
      box.panel.setHidden(!hasGpu);
    }
  }

  private _addChart(
    key: string,
    title: string,
    model: TimeSeriesModel,
    formatValue: (value: number) => string
  ): Private.IChartBox {
    const panel = new Panel();
    panel.addClass('jp-ResourceCharts-chart');
    panel.addClass(`jp-ResourceCharts-${key}`);
    panel.node.setAttribute('role', 'group');
    panel.node.setAttribute('aria-label', title);
    panel.addWidget(
      new Widget({ node: Dom.el('h3', 'jp-ResourceCharts-title', title) })
    );
    const chart = new TimeSeriesChart({
      model,
      label: title,
      formatValue,
      translator: this._translator
    });
    panel.addWidget(chart);
    (this.layout as PanelLayout).addWidget(panel);
    return { panel, chart };
  }

  private _translator: ITranslator | undefined;
  private _cpu: Private.IChartBox;
  private _memory: Private.IChartBox;
  private _gpuUtil: Private.IChartBox;
  private _gpuMemory: Private.IChartBox;
}

/**
 * The namespace for `ResourceCharts` statics.
 */
export namespace ResourceCharts {
  /**
   * Options to create the charts.
   */
  export type IOptions = MonitorView.IOptions;
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A chart in its titled section.
   */
  export interface IChartBox {
    panel: Panel;
    chart: TimeSeriesChart;
  }
}
