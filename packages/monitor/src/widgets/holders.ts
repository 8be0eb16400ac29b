import type { MetricsKernel } from '@mlinfn/common';
import { formatBytes, formatDuration } from '@mlinfn/common';
import { TranslationBundle } from '@jupyterlab/translation';
import { kernelLabel } from '../describe';
import { UNKNOWN } from '../format';
import { KernelActions } from './actions';
import { Dom, MonitorView } from './view';

/**
 * The notice of idle GPU holders: kernels that hold GPU memory and have not run anything for
 * a while (the bridge's `idleGpuMinutes`), each with a one-click shutdown. Hidden when there
 * are none.
 */
export class IdleHolders extends MonitorView {
  /**
   * Create the notice.
   */
  constructor(options: IdleHolders.IOptions) {
    super(options);
    this.actions = options.actions;
    this.addClass('jp-ResourcePanel-holders');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this.trans.__('Idle GPU holders'));
    const trans = this.trans;
    this.node.append(
      Dom.el('h3', 'jp-ResourcePanel-heading', trans.__('Idle GPU holders')),
      Dom.el(
        'p',
        'jp-ResourcePanel-sentence',
        trans.__(
          'These kernels hold GPU memory without running anything. Shutting them down frees the GPU for others; their notebooks stay.'
        )
      )
    );
    this._list = Dom.el('ul', 'jp-ResourcePanel-holderList');
    this.node.append(this._list);
    this.actions.changed.connect(this.update, this);
    this.render();
  }

  /**
   * What the entries can do.
   */
  readonly actions: KernelActions;

  /**
   * Dispose of the notice.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.actions.changed.disconnect(this.update, this);
    super.dispose();
  }

  /**
   * Update the entries in place.
   */
  render(): void {
    const holders = (this.model.latest?.kernels ?? []).filter(
      k => k.idleGpuHolder
    );
    this.node.hidden = holders.length === 0;
    const seen = new Set<string>();
    for (const kernel of holders) {
      seen.add(kernel.id);
      let entry = this._entries.get(kernel.id);
      if (!entry) {
        entry = new Private.Entry(this.actions, this.trans);
        this._entries.set(kernel.id, entry);
        this._list.append(entry.node);
      }
      entry.update(kernel, this.actions.isShuttingDown(kernel.id));
    }
    for (const [id, entry] of this._entries) {
      if (!seen.has(id)) {
        entry.node.remove();
        this._entries.delete(id);
      }
    }
  }

  private _list: HTMLUListElement;
  private _entries = new Map<string, Private.Entry>();
}

/**
 * The namespace for `IdleHolders` statics.
 */
export namespace IdleHolders {
  /**
   * Options to create the notice.
   */
  export interface IOptions extends MonitorView.IOptions {
    /**
     * What the entries can do.
     */
    actions: KernelActions;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * One idle GPU holder, kept across updates.
   */
  export class Entry {
    constructor(actions: KernelActions, trans: TranslationBundle) {
      this._trans = trans;
      this.node = Dom.el('li', 'jp-ResourcePanel-holder');
      this._text = Dom.el('span', 'jp-ResourcePanel-holderText');
      this._button = Dom.el(
        'button',
        'jp-Button jp-mod-styled jp-mod-small jp-mod-warn jp-ResourcePanel-shutdown'
      );
      this._button.setAttribute('type', 'button');
      this._button.addEventListener('click', () => {
        if (this._kernel) {
          void actions.shutdown(this._kernel);
        }
      });
      this.node.append(this._text, this._button);
    }

    readonly node: HTMLLIElement;

    update(kernel: MetricsKernel, shuttingDown: boolean): void {
      const trans = this._trans;
      this._kernel = kernel;
      this.node.dataset.kernelId = kernel.id;
      const label = kernelLabel(kernel, trans);
      const text = trans.__(
        '%1 holds %2 of GPU memory and has been idle for %3.',
        label,
        kernel.gpuMemoryBytes === null
          ? UNKNOWN
          : formatBytes(kernel.gpuMemoryBytes),
        kernel.idleSeconds === null
          ? UNKNOWN
          : formatDuration(kernel.idleSeconds)
      );
      if (this._text.textContent !== text) {
        this._text.textContent = text;
      }
      const button = shuttingDown
        ? trans.__('Shutting down…')
        : trans.__('Shut down');
      if (this._button.textContent !== button) {
        this._button.textContent = button;
      }
      this._button.disabled = shuttingDown;
      this._button.setAttribute(
        'aria-label',
        trans.__('Shut down the kernel of %1', label)
      );
    }

    private _trans: TranslationBundle;
    private _kernel: MetricsKernel | null = null;
    private _text: HTMLElement;
    private _button: HTMLButtonElement;
  }
}
