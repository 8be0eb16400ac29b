import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { ConnectionState, IBridgeClient } from '../tokens';
import { BridgeStatusPanel } from './status';

/**
 * The status-bar item: a small dot coloured by the bridge connection state, with a tooltip;
 * a click runs `onClick` (the status command).
 */
export class BridgeStatusItem extends Widget {
  /**
   * Create the item.
   */
  constructor(options: BridgeStatusItem.IOptions) {
    super({ node: document.createElement('button') });
    this._client = options.client;
    this._onClick = options.onClick;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this.addClass('jp-BridgeStatusItem');
    const dot = document.createElement('span');
    dot.className = 'jp-BridgeStatus-dot';
    this._dot = dot;
    this.node.append(dot);
    this.node.addEventListener('click', this);
    this._client.stateChanged.connect(this.update, this);
    this._render();
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
    this._client.stateChanged.disconnect(this.update, this);
    super.dispose();
  }

  /**
   * Render on update requests.
   */
  protected onUpdateRequest(): void {
    this._render();
  }

  private _render(): void {
    const state: ConnectionState = this._client.state;
    this._dot.className = `jp-BridgeStatus-dot jp-mod-${state}`;
    const label = this._trans.__(
      'mlinfn bridge: %1',
      BridgeStatusPanel.stateLabel(state, this._trans)
    );
    this.node.title = label;
    this.node.setAttribute('aria-label', label);
  }

  private _client: IBridgeClient;
  private _onClick: () => void;
  private _dot: HTMLSpanElement;
  private _trans: ReturnType<ITranslator['load']>;
}

/**
 * The namespace for `BridgeStatusItem` statics.
 */
export namespace BridgeStatusItem {
  /**
   * Options to create the item.
   */
  export interface IOptions {
    /**
     * The bridge client whose state is shown.
     */
    client: IBridgeClient;

    /**
     * What a click does.
     */
    onClick: () => void;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}
