import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { formatDuration } from '../format';
import { BridgeStatusModel } from '../models/status';
import type { Permissions } from '../schema';
import { ConnectionState } from '../tokens';

/**
 * The body of the "mlinfn Bridge Status" dialog: connection, user, version, mode and
 * permissions, or the reason it failed and a "Retry" button.
 */
export class BridgeStatusPanel extends Widget {
  /**
   * Create the panel for a model.
   */
  constructor(options: BridgeStatusPanel.IOptions) {
    super();
    this.model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this.addClass('jp-BridgeStatus');
    this.model.changed.connect(this.update, this);
    this._render();
  }

  /**
   * The model shown.
   */
  readonly model: BridgeStatusModel;

  /**
   * Dispose of the panel and its model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  /**
   * Render on update requests.
   */
  protected onUpdateRequest(): void {
    this._render();
  }

  private _render(): void {
    const trans = this._trans;
    const m = this.model;
    const node = this.node;
    node.textContent = '';

    node.append(
      Private.row(
        trans.__('Connection'),
        Private.stateNode(
          m.client.state,
          BridgeStatusPanel.stateLabel(m.client.state, this._trans)
        )
      )
    );

    if (m.loading && !m.whoami) {
      const loading = document.createElement('p');
      loading.className = 'jp-BridgeStatus-loading';
      loading.textContent = trans.__('Asking the bridge…');
      node.append(loading);
      return;
    }

    if (m.error) {
      const box = document.createElement('div');
      box.className = 'jp-BridgeStatus-error';
      box.setAttribute('role', 'alert');
      const reason = document.createElement('p');
      reason.textContent = m.error;
      const retry = document.createElement('button');
      retry.className =
        'jp-Button jp-mod-styled jp-mod-accept jp-BridgeStatus-retry';
      retry.textContent = trans.__('Retry');
      retry.disabled = m.loading;
      retry.addEventListener('click', () => void m.load());
      box.append(reason, retry);
      node.append(box);
      return;
    }

    const whoami = m.whoami;
    const health = m.health;
    if (whoami) {
      const user = whoami.user;
      const signedIn = document.createElement('p');
      signedIn.className = 'jp-BridgeStatus-user';
      signedIn.textContent = trans.__(
        'Signed in as %1 (%2)',
        user.name || user.username,
        user.username
      );
      node.append(signedIn);
      node.append(
        Private.row(trans.__('Bridge version'), whoami.version),
        Private.row(
          trans.__('Mode'),
          whoami.mode === 'proxy'
            ? trans.__('behind Jupyter (proxy)')
            : trans.__('standalone')
        )
      );
      if (health) {
        node.append(
          Private.row(trans.__('Up for'), formatDuration(health.uptimeSeconds))
        );
      }
      node.append(
        Private.row(
          trans.__('Permissions'),
          Private.permissions(user.permissions, trans.__('none'))
        )
      );
    }
  }

  private _trans: ReturnType<ITranslator['load']>;
}

/**
 * The namespace for `BridgeStatusPanel` statics.
 */
export namespace BridgeStatusPanel {
  /**
   * Options to create the panel.
   */
  export interface IOptions {
    /**
     * The model to show.
     */
    model: BridgeStatusModel;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }

  /**
   * A readable label of a connection state.
   */
  export function stateLabel(
    state: ConnectionState,
    trans: ReturnType<ITranslator['load']>
  ): string {
    switch (state) {
      case 'connected':
        return trans.__('Connected');
      case 'connecting':
        return trans.__('Connecting…');
      default:
        return trans.__('Disconnected — reconnecting');
    }
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A label/value row.
   */
  export function row(label: string, value: string | Node): HTMLElement {
    const div = document.createElement('div');
    div.className = 'jp-BridgeStatus-row';
    const key = document.createElement('span');
    key.className = 'jp-BridgeStatus-key';
    key.textContent = label;
    const val = document.createElement('span');
    val.className = 'jp-BridgeStatus-value';
    val.append(value);
    div.append(key, val);
    return div;
  }

  /**
   * A coloured dot and the state's label.
   */
  export function stateNode(state: ConnectionState, label: string): Node {
    const span = document.createElement('span');
    span.className = 'jp-BridgeStatus-state';
    const dot = document.createElement('span');
    dot.className = `jp-BridgeStatus-dot jp-mod-${state}`;
    span.append(dot, document.createTextNode(label));
    return span;
  }

  /**
   * "contents: read, write · kernels: read, write, execute".
   */
  export function permissions(perms: Permissions, none: string): string {
    const parts = Object.entries(perms)
      .filter(([, actions]) => actions && actions.length > 0)
      .map(
        ([resource, actions]) => `${resource}: ${(actions ?? []).join(', ')}`
      );
    return parts.length ? parts.join(' · ') : none;
  }
}
