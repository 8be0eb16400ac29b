import { createElement } from '@mlinfn/common';
import { TranslationBundle } from '@jupyterlab/translation';
import { IDataError } from '../errors';

/**
 * Small DOM helpers of the Data panel's views.
 */
export namespace Dom {
  /**
   * An element with a class and, optionally, text (the suite's one helper for it).
   */
  export const el = createElement;

  /**
   * A small styled button.
   */
  export function button(
    label: string,
    onClick: () => void,
    options: { className?: string; title?: string; accept?: boolean } = {}
  ): HTMLButtonElement {
    const node = el(
      'button',
      `jp-Button jp-mod-styled jp-mod-small ${options.accept ? 'jp-mod-accept' : 'jp-mod-reject'} jp-DataPanel-button ${options.className ?? ''}`.trim(),
      label
    );
    node.type = 'button';
    if (options.title) {
      node.title = options.title;
    }
    node.addEventListener('click', event => {
      event.stopPropagation();
      onClick();
    });
    return node;
  }

  /**
   * A sentence that says what would appear and how to get it.
   */
  export function empty(text: string): HTMLElement {
    return el('p', 'jp-DataPanel-empty', text);
  }

  /**
   * A loading line (shown at once: never a blank panel while waiting).
   */
  export function loading(text: string): HTMLElement {
    const node = el('div', 'jp-DataPanel-loading');
    node.setAttribute('role', 'status');
    node.setAttribute('aria-busy', 'true');
    node.append(el('span', 'jp-DataPanel-spinner'), el('span', '', text));
    return node;
  }

  /**
   * An error: one sentence, the details behind a disclosure, and "Log in again" or "Retry".
   */
  export function error(
    error: IDataError,
    trans: TranslationBundle,
    actions: { retry?: () => void; logIn?: () => void } = {}
  ): HTMLElement {
    const box = el('div', 'jp-DataPanel-error');
    box.setAttribute('role', 'alert');
    box.append(el('p', 'jp-DataPanel-errorMessage', error.message));
    if (error.details) {
      const details = el('details', 'jp-DataPanel-errorDetails');
      details.append(el('summary', '', trans.__('Details')));
      details.append(el('pre', '', error.details));
      box.append(details);
    }
    const row = el('div', 'jp-DataPanel-actions');
    if (error.loginExpired && actions.logIn) {
      row.append(
        button(trans.__('Log in again'), actions.logIn, { accept: true })
      );
    }
    if (actions.retry) {
      row.append(button(trans.__('Retry'), actions.retry));
    }
    if (row.childElementCount) {
      box.append(row);
    }
    return box;
  }

  /**
   * The last segment of a key or path ("a/b/c.csv" → "c.csv").
   */
  export function basename(key: string): string {
    const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
    return trimmed.slice(trimmed.lastIndexOf('/') + 1) || key;
  }

  /**
   * How long ago, for people: "just now", "5 min ago", "2 h ago".
   */
  export function age(
    ms: number,
    now: number,
    trans: TranslationBundle
  ): string {
    const s = Math.max(0, (now - ms) / 1000);
    if (s < 60) {
      return trans.__('just now');
    }
    if (s < 3600) {
      return trans.__('%1 min ago', Math.floor(s / 60));
    }
    if (s < 86400) {
      return trans.__('%1 h ago', Math.floor(s / 3600));
    }
    return trans.__('%1 d ago', Math.floor(s / 86400));
  }
}
