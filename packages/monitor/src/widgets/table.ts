import type { MetricsChannelPayload, MetricsKernel } from '@mlinfn/common';
import { formatBytes, formatDuration } from '@mlinfn/common';
import { TranslationBundle } from '@jupyterlab/translation';
import { kernelLabel, pidsHiddenText } from '../describe';
import { formatPercentValue, UNKNOWN } from '../format';
import { KernelActions } from './actions';
import { Dom, MonitorView } from './view';

/**
 * The per-notebook table: for each running kernel its notebook, CPU, memory (PSS when known,
 * else RSS), GPU memory, idle time and a "Shut down" button. Idle GPU holders are flagged
 * and listed first.
 *
 * Rows are updated in place, so a focused button keeps its focus while the figures change.
 */
export class KernelTable extends MonitorView {
  /**
   * Create the table.
   */
  constructor(options: KernelTable.IOptions) {
    super(options);
    this.actions = options.actions;
    this.addClass('jp-ResourcePanel-kernels');
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', this.trans.__('Notebooks'));

    const trans = this.trans;
    this._heading = Dom.el(
      'h3',
      'jp-ResourcePanel-heading',
      trans.__('Notebooks')
    );
    this._table = Dom.el(
      'table',
      'jp-ResourcePanel-table jp-ResourcePanel-kernelTable'
    );
    const thead = Dom.el('thead', '');
    const head = Dom.el('tr', '');
    for (const [label, cls] of [
      [trans.__('Notebook'), 'jp-ResourcePanel-colNotebook'],
      [trans.__('CPU'), 'jp-ResourcePanel-colCpu'],
      [trans.__('Memory'), 'jp-ResourcePanel-colMemory'],
      [trans.__('GPU mem'), 'jp-ResourcePanel-colGpu'],
      [trans.__('Idle'), 'jp-ResourcePanel-colIdle'],
      ['', 'jp-ResourcePanel-colAction']
    ]) {
      const th = Dom.el('th', cls, label);
      th.setAttribute('scope', 'col');
      if (!label) {
        th.append(
          Dom.el('span', 'jp-ResourcePanel-srOnly', trans.__('Actions'))
        );
      }
      head.append(th);
    }
    thead.append(head);
    this._body = Dom.el('tbody', '');
    this._table.append(thead, this._body);
    this._empty = Dom.el(
      'p',
      'jp-ResourcePanel-empty',
      trans.__(
        'No kernel is running. Open a notebook or a console, and its CPU, memory and GPU use appear here.'
      )
    );
    this.node.append(this._heading, this._table, this._empty);
    this.actions.changed.connect(this.update, this);
    this.render();
  }

  /**
   * What the rows can do.
   */
  readonly actions: KernelActions;

  /**
   * Dispose of the table.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.actions.changed.disconnect(this.update, this);
    super.dispose();
  }

  /**
   * Update the rows in place.
   */
  render(): void {
    const payload = this.model.latest;
    const kernels = payload ? KernelTable.sorted(payload.kernels) : [];
    this.actions.prune(kernels.map(k => k.id));
    this._table.hidden = kernels.length === 0;
    this._empty.hidden = !payload || kernels.length > 0;
    const seen = new Set<string>();
    let previous: HTMLTableRowElement | null = null;
    for (const kernel of kernels) {
      seen.add(kernel.id);
      let row = this._rows.get(kernel.id);
      if (!row) {
        row = new Private.Row(kernel, this.actions, this.trans);
        this._rows.set(kernel.id, row);
      }
      row.update(kernel, payload!, this.actions.isShuttingDown(kernel.id));
      // Move a row only when it is out of place (moving a node loses its focus).
      const expected: Element | null = previous
        ? previous.nextElementSibling
        : this._body.firstElementChild;
      if (expected !== row.node) {
        if (previous) {
          previous.after(row.node);
        } else {
          this._body.prepend(row.node);
        }
      }
      previous = row.node;
    }
    for (const [id, row] of this._rows) {
      if (!seen.has(id)) {
        row.node.remove();
        this._rows.delete(id);
      }
    }
  }

  private _heading: HTMLElement;
  private _table: HTMLTableElement;
  private _body: HTMLTableSectionElement;
  private _empty: HTMLElement;
  private _rows = new Map<string, Private.Row>();
}

/**
 * The namespace for `KernelTable` statics.
 */
export namespace KernelTable {
  /**
   * Options to create the table.
   */
  export interface IOptions extends MonitorView.IOptions {
    /**
     * What the rows can do.
     */
    actions: KernelActions;
  }

  /**
   * The kernels in the order shown: idle GPU holders first, then by memory, largest first.
   */
  export function sorted(kernels: MetricsKernel[]): MetricsKernel[] {
    return [...kernels].sort((a, b) => {
      if (a.idleGpuHolder !== b.idleGpuHolder) {
        return a.idleGpuHolder ? -1 : 1;
      }
      return (memoryOf(b) ?? -1) - (memoryOf(a) ?? -1);
    });
  }

  /**
   * The memory shown for a kernel: PSS when known, else RSS; `null` when neither is.
   */
  export function memoryOf(kernel: MetricsKernel): number | null {
    return kernel.pssBytes ?? kernel.rssBytes;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * One row, kept across updates.
   */
  export class Row {
    constructor(
      kernel: MetricsKernel,
      actions: KernelActions,
      trans: TranslationBundle
    ) {
      this._trans = trans;
      this._kernel = kernel;
      this.node = Dom.el('tr', 'jp-ResourcePanel-kernel');
      this.node.dataset.kernelId = kernel.id;

      this._name = Dom.el('td', 'jp-ResourcePanel-colNotebook');
      if (actions.openNotebook && kernel.notebooks.length) {
        const open = actions.openNotebook;
        this._label = Dom.el('button', 'jp-ResourcePanel-link');
        this._label.setAttribute('type', 'button');
        this._label.addEventListener('click', () => {
          const path = this._kernel.notebooks[0];
          if (path) {
            open(path);
          }
        });
      } else {
        this._label = Dom.el('span', 'jp-ResourcePanel-name');
      }
      this._flag = Dom.el(
        'span',
        'jp-ResourcePanel-flag',
        trans.__('idle GPU holder')
      );
      this._name.append(this._label);
      this._cpu = Dom.el('td', 'jp-ResourcePanel-colCpu');
      this._memory = Dom.el('td', 'jp-ResourcePanel-colMemory');
      this._gpu = Dom.el('td', 'jp-ResourcePanel-colGpu');
      this._idle = Dom.el('td', 'jp-ResourcePanel-colIdle');
      // Labels for the narrow layout, where the header row is not shown (style/base.css).
      this._cpu.dataset.label = trans.__('CPU');
      this._memory.dataset.label = trans.__('Memory');
      this._gpu.dataset.label = trans.__('GPU mem');
      this._idle.dataset.label = trans.__('Idle');
      const action = Dom.el('td', 'jp-ResourcePanel-colAction');
      this._button = Dom.el(
        'button',
        'jp-Button jp-mod-styled jp-mod-small jp-ResourcePanel-shutdown'
      );
      this._button.setAttribute('type', 'button');
      this._button.addEventListener('click', () => {
        void actions.shutdown(this._kernel);
      });
      action.append(this._button);
      this.node.append(
        this._name,
        this._cpu,
        this._memory,
        this._gpu,
        this._idle,
        action
      );
    }

    readonly node: HTMLTableRowElement;

    update(
      kernel: MetricsKernel,
      payload: MetricsChannelPayload,
      shuttingDown: boolean
    ): void {
      const trans = this._trans;
      this._kernel = kernel;
      const label = kernelLabel(kernel, trans);
      const node = this.node;
      node.dataset.notebook = kernel.notebooks[0] ?? '';
      const memory = KernelTable.memoryOf(kernel);
      node.dataset.memoryBytes = memory === null ? '' : String(memory);
      node.dataset.gpuMemoryBytes =
        kernel.gpuMemoryBytes === null ? '' : String(kernel.gpuMemoryBytes);
      node.classList.toggle('jp-mod-idleGpuHolder', kernel.idleGpuHolder);
      node.classList.toggle('jp-mod-shuttingDown', shuttingDown);

      set(this._label, label);
      this._label.title = [
        ...kernel.notebooks,
        trans.__('kernel %1, pid %2', kernel.name, kernel.pid ?? UNKNOWN)
      ].join('\n');
      if (this._label instanceof HTMLButtonElement) {
        this._label.setAttribute('aria-label', trans.__('Open %1', label));
      }
      // The flag is in the row only for idle GPU holders (a hidden node would still be text).
      if (kernel.idleGpuHolder && !this._flag.isConnected) {
        this._name.append(this._flag);
      } else if (!kernel.idleGpuHolder) {
        this._flag.remove();
      }
      this._flag.title = trans.__(
        'This kernel holds GPU memory and has not run anything for a while: shutting it down frees the GPU for others.'
      );

      set(this._cpu, formatPercentValue(kernel.cpuPercent));
      this._cpu.title =
        kernel.cpuPercent === null
          ? trans.__('Measured from the second sample on')
          : trans.__('Percent of one core, the kernel and its child processes');

      set(this._memory, memory === null ? UNKNOWN : formatBytes(memory));
      this._memory.title =
        kernel.pssBytes !== null
          ? trans.__(
              'PSS %1 (RSS %2): the kernel and its child processes',
              formatBytes(kernel.pssBytes),
              kernel.rssBytes === null ? UNKNOWN : formatBytes(kernel.rssBytes)
            )
          : trans.__('RSS; the PSS is read less often and is not known yet');

      const gpu = payload.gpu;
      if (gpu.status !== 'ok') {
        set(this._gpu, UNKNOWN);
        this._gpu.title = trans.__('No GPU readings');
      } else if (kernel.gpuMemoryBytes === null) {
        set(this._gpu, trans.__('not visible'));
        this._gpu.title = pidsHiddenText(trans);
      } else {
        set(this._gpu, formatBytes(kernel.gpuMemoryBytes));
        this._gpu.title = kernel.gpuDevices.length
          ? trans.__('On GPU %1', kernel.gpuDevices.join(', '))
          : '';
      }

      if (kernel.idleSeconds !== null) {
        set(this._idle, formatDuration(kernel.idleSeconds));
        this._idle.title = '';
      } else if (kernel.executionState === 'busy') {
        set(this._idle, trans.__('busy'));
        this._idle.title = trans.__('The kernel is running code');
      } else {
        set(this._idle, UNKNOWN);
        this._idle.title = trans.__('State: %1', kernel.executionState);
      }

      set(
        this._button,
        shuttingDown ? trans.__('Shutting down…') : trans.__('Shut down')
      );
      this._button.disabled = shuttingDown;
      this._button.classList.toggle('jp-mod-warn', kernel.idleGpuHolder);
      this._button.setAttribute(
        'aria-label',
        trans.__('Shut down the kernel of %1', label)
      );
    }

    private _trans: TranslationBundle;
    private _kernel: MetricsKernel;
    private _name: HTMLElement;
    private _label: HTMLElement;
    private _flag: HTMLElement;
    private _cpu: HTMLElement;
    private _memory: HTMLElement;
    private _gpu: HTMLElement;
    private _idle: HTMLElement;
    private _button: HTMLButtonElement;
  }

  /**
   * Set a node's text only when it changed.
   */
  export function set(node: HTMLElement, text: string): void {
    if (node.textContent !== text) {
      node.textContent = text;
    }
  }
}
