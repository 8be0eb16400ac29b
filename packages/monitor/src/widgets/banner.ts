import { Dom, MonitorView } from './view';

/**
 * The state of the monitor when it is not simply live: a skeleton while the first figures
 * are on their way, or one sentence on what went wrong (details behind a disclosure) with a
 * way to look further.
 */
export class StateBanner extends MonitorView {
  /**
   * Create the banner.
   */
  constructor(options: StateBanner.IOptions) {
    super(options);
    this._showBridgeStatus = options.showBridgeStatus ?? null;
    this.addClass('jp-ResourcePanel-banner');
    this.render();
  }

  /**
   * Render the banner for the current state.
   */
  render(): void {
    const node = this.node;
    node.textContent = '';
    const m = this.model;
    const trans = this.trans;
    const error =
      m.state === 'disconnected' || m.state === 'stale' ? m.error : null;
    if (error) {
      node.hidden = false;
      node.setAttribute('role', 'alert');
      const box = Dom.withDetails(
        'jp-ResourcePanel-error',
        error.message,
        error.details,
        trans.__('Details')
      );
      if (this._showBridgeStatus) {
        const open = this._showBridgeStatus;
        const button = Dom.el(
          'button',
          'jp-Button jp-mod-styled jp-mod-small jp-ResourcePanel-bridgeStatus',
          trans.__('Bridge status')
        );
        button.setAttribute('type', 'button');
        button.addEventListener('click', () => open());
        box.append(button);
      }
      node.append(box);
      return;
    }
    node.removeAttribute('role');
    if (!m.latest) {
      node.hidden = false;
      node.append(
        StateBanner.skeleton(
          trans.__('Waiting for the first figures from the bridge…')
        )
      );
      return;
    }
    node.hidden = true;
  }

  private _showBridgeStatus: (() => void) | null;
}

/**
 * The namespace for `StateBanner` statics.
 */
export namespace StateBanner {
  /**
   * Options to create the banner.
   */
  export interface IOptions extends MonitorView.IOptions {
    /**
     * Open the bridge status (a button shown with errors).
     */
    showBridgeStatus?: () => void;
  }

  /**
   * The loading skeleton: grey blocks where the figures will be, and a sentence.
   */
  export function skeleton(text: string): HTMLElement {
    const box = Dom.el('div', 'jp-ResourcePanel-skeleton');
    box.setAttribute('aria-busy', 'true');
    box.setAttribute('role', 'status');
    box.append(Dom.el('p', 'jp-ResourcePanel-sentence', text));
    for (const cls of [
      'jp-mod-line',
      'jp-mod-line',
      'jp-mod-chart',
      'jp-mod-chart',
      'jp-mod-line'
    ]) {
      box.append(Dom.el('div', `jp-ResourcePanel-skeletonBlock ${cls}`));
    }
    return box;
  }
}
