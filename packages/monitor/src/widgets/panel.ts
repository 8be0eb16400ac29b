import type { MetricsKernel } from '@mlinfn/common';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { launchIcon } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { resourcesIcon } from '../icons';
import { IResourceMonitor } from '../tokens';
import { KernelActions } from './actions';
import { StateBanner } from './banner';
import { ResourceCharts } from './charts';
import { GpuSection } from './gpus';
import { IdleHolders } from './holders';
import { HostSummary } from './host';
import { KernelTable } from './table';
import { GroupView } from './users';
import { Dom } from './view';

/**
 * The "Resources" panel of the right sidebar: the state of the monitor, idle GPU holders,
 * the host figures, live charts of the last hour, the GPUs, the per-notebook table and the
 * group view. It keeps the monitor subscribed while it is visible.
 */
export class ResourcePanel extends Panel {
  /**
   * Create the panel.
   */
  constructor(options: ResourcePanel.IOptions) {
    super();
    this.model = options.model;
    const translator = options.translator ?? nullTranslator;
    this._trans = translator.load('mlinfn');
    const trans = this._trans;
    this.id = ResourcePanel.ID;
    this.addClass('jp-ResourcePanel');
    this.title.icon = resourcesIcon;
    this.title.caption = trans.__('Resources');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Resources'));

    this.actions = new KernelActions({
      shutdown: options.shutdownKernel,
      openNotebook: options.openNotebook
    });
    const viewOptions = { model: this.model, translator };
    this.addWidget(this._header(options.openCharts ?? null));
    this.addWidget(
      new StateBanner({
        ...viewOptions,
        showBridgeStatus: options.showBridgeStatus
      })
    );
    this.addWidget(new IdleHolders({ ...viewOptions, actions: this.actions }));
    this.addWidget(new HostSummary(viewOptions));
    this.addWidget(new ResourceCharts({ ...viewOptions, claim: false }));
    this.addWidget(new GpuSection(viewOptions));
    this.addWidget(new KernelTable({ ...viewOptions, actions: this.actions }));
    this.addWidget(new GroupView(viewOptions));
    this.model.stateChanged.connect(this._onState, this);
    this.model.changed.connect(this._onState, this);
    this._onState();
  }

  /**
   * The model shown.
   */
  readonly model: IResourceMonitor;

  /**
   * The kernel actions of the table and the idle-holder notice.
   */
  readonly actions: KernelActions;

  /**
   * Dispose of the panel (not of its model).
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.stateChanged.disconnect(this._onState, this);
    this.model.changed.disconnect(this._onState, this);
    this._release();
    super.dispose();
  }

  /**
   * Claim the model while shown.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._syncClaim();
  }

  /**
   * Claim the model while attached and visible.
   */
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._syncClaim();
  }

  /**
   * Give the claim back when hidden (the sidebar collapsed or another tab chosen).
   */
  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._syncClaim();
  }

  /**
   * Give the claim back when detached.
   */
  protected onAfterDetach(msg: Message): void {
    super.onAfterDetach(msg);
    this._syncClaim();
  }

  private _header(openCharts: (() => void) | null): Widget {
    const trans = this._trans;
    const header = Dom.el('div', 'jp-ResourcePanel-header');
    header.append(
      Dom.el('h2', 'jp-ResourcePanel-title', trans.__('Resources'))
    );
    if (openCharts) {
      const button = Dom.el(
        'button',
        'jp-ToolbarButtonComponent jp-ResourcePanel-openCharts'
      );
      button.setAttribute('type', 'button');
      button.title = trans.__('Open the charts in a tab');
      button.setAttribute('aria-label', trans.__('Open the charts in a tab'));
      button.append(
        launchIcon.element({
          tag: 'span',
          className: 'jp-ResourcePanel-openChartsIcon'
        })
      );
      button.addEventListener('click', () => openCharts());
      header.append(button);
    }
    return new Widget({ node: header });
  }

  private _onState(): void {
    const m = this.model;
    this.toggleClass(
      'jp-mod-stale',
      m.state === 'disconnected' || m.state === 'stale'
    );
    this.toggleClass('jp-mod-loading', m.latest === null);
    if (m.latest) {
      this.node.dataset.sampleTime = String(m.latest.time);
    }
  }

  private _syncClaim(): void {
    if (this.isVisible && !this._claim) {
      this._claim = this.model.acquire();
    } else if (!this.isVisible) {
      this._release();
    }
  }

  private _release(): void {
    this._claim?.dispose();
    this._claim = null;
  }

  private _trans: TranslationBundle;
  private _claim: IDisposable | null = null;
}

/**
 * The namespace for `ResourcePanel` statics.
 */
export namespace ResourcePanel {
  /**
   * The id of the panel (and of its sidebar tab).
   */
  export const ID = 'mlinfn-resources';

  /**
   * Options to create the panel.
   */
  export interface IOptions {
    /**
     * The model to show.
     */
    model: IResourceMonitor;

    /**
     * Shut a kernel down after asking the user; resolves to whether it was shut down.
     */
    shutdownKernel: (kernel: MetricsKernel) => Promise<boolean>;

    /**
     * Open a notebook by path.
     */
    openNotebook?: (path: string) => void;

    /**
     * Open the charts in a main-area tab.
     */
    openCharts?: () => void;

    /**
     * Open the bridge status.
     */
    showBridgeStatus?: () => void;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}
