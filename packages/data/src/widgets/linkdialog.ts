import type { DataPresignResponse } from '@mlinfn/common';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { describeError } from '../errors';
import { describeExpiry, linkExpiry } from '../expiry';
import { Dom } from './dom';

/**
 * The body of the "Share link" dialog: GET or PUT, the lifetime asked for, then the link with
 * its real expiry (and why it is shorter, when it is), and a copy button.
 */
export class LinkDialogBody extends Widget {
  /**
   * Create the body.
   */
  constructor(options: LinkDialogBody.IOptions) {
    super();
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._sign = options.sign;
    this._copy = options.copy;
    this._now = options.now ?? Date.now;
    const trans = this._trans;
    this.addClass('jp-DataLinkDialog');

    this._method = Dom.el('select', 'jp-mod-styled jp-DataLinkDialog-method');
    for (const [value, label] of [
      ['GET', trans.__('Download (GET)')],
      ['PUT', trans.__('Upload (PUT)')]
    ]) {
      const option = Dom.el('option', '', label);
      option.value = value;
      this._method.append(option);
    }
    this._amount = Dom.el('input', 'jp-mod-styled jp-DataLinkDialog-amount');
    this._amount.type = 'number';
    this._amount.min = '1';
    this._unit = Dom.el('select', 'jp-mod-styled jp-DataLinkDialog-unit');
    for (const [value, label] of [
      ['60', trans.__('minutes')],
      ['3600', trans.__('hours')],
      ['86400', trans.__('days')]
    ]) {
      const option = Dom.el('option', '', label);
      option.value = value;
      this._unit.append(option);
    }
    const hours = options.defaultHours;
    if (hours >= 24 && Number.isInteger(hours / 24)) {
      this._amount.value = String(hours / 24);
      this._unit.value = '86400';
    } else if (Number.isInteger(hours)) {
      this._amount.value = String(hours);
      this._unit.value = '3600';
    } else {
      this._amount.value = String(Math.max(1, Math.round(hours * 60)));
      this._unit.value = '60';
    }
    const form = Dom.el('div', 'jp-DataLinkDialog-form');
    const label = (text: string, control: HTMLElement) => {
      const l = Dom.el('label', 'jp-DataLinkDialog-label');
      l.append(Dom.el('span', '', text), control);
      return l;
    };
    const expiry = Dom.el('span', 'jp-DataLinkDialog-expiryInputs');
    expiry.append(this._amount, this._unit);
    form.append(
      label(trans.__('Link for'), this._method),
      label(trans.__('Expires after'), expiry),
      Dom.button(trans.__('Create link'), () => void this.create(), {
        className: 'jp-DataLinkDialog-create',
        accept: true
      })
    );
    this._result = Dom.el('div', 'jp-DataLinkDialog-result');
    this._result.setAttribute('aria-live', 'polite');
    this.node.append(
      Dom.el('p', 'jp-DataLinkDialog-key', options.key),
      form,
      this._result
    );
  }

  /**
   * The lifetime asked for, in seconds.
   */
  get requestedSeconds(): number {
    const amount = Math.max(0, Number(this._amount.value) || 0);
    return Math.round(amount * Number(this._unit.value));
  }

  /**
   * The last link made, if any.
   */
  get link(): DataPresignResponse | null {
    return this._link;
  }

  /**
   * Sign a link with the chosen method and lifetime, and show it.
   */
  async create(): Promise<void> {
    const trans = this._trans;
    const seconds = this.requestedSeconds;
    this._result.replaceChildren(Dom.loading(trans.__('Signing…')));
    if (seconds < 1) {
      this._result.replaceChildren(
        Dom.error(
          {
            message: trans.__('Choose an expiry of at least one minute.'),
            details: null,
            loginExpired: false
          },
          trans
        )
      );
      return;
    }
    try {
      const link = await this._sign(
        this._method.value as 'GET' | 'PUT',
        seconds
      );
      this._link = link;
      this._show(link, seconds);
    } catch (error) {
      this._result.replaceChildren(
        Dom.error(describeError(error, trans), trans)
      );
    }
  }

  private _show(link: DataPresignResponse, requested: number): void {
    const trans = this._trans;
    const url = Dom.el('input', 'jp-mod-styled jp-DataLinkDialog-url');
    url.readOnly = true;
    url.value = link.url;
    url.setAttribute('aria-label', trans.__('Pre-signed URL'));
    url.addEventListener('focus', () => url.select());
    const text = describeExpiry(
      linkExpiry(link, requested),
      this._now(),
      trans
    );
    const row = Dom.el('div', 'jp-DataLinkDialog-urlRow');
    row.append(
      url,
      Dom.button(trans.__('Copy'), () => void this._copy(link.url), {
        className: 'jp-DataLinkDialog-copy',
        accept: true
      })
    );
    const expiry = Dom.el('p', 'jp-DataLinkDialog-expiry', text.summary);
    this._result.replaceChildren(row, expiry);
    if (text.capNote) {
      this._result.append(
        Dom.el('p', 'jp-DataLinkDialog-capped', text.capNote)
      );
    }
    if (link.method === 'PUT') {
      this._result.append(
        Dom.el(
          'p',
          'jp-DataLinkDialog-hint',
          trans.__(
            'Anyone with this link can upload to this key until it expires, e.g. curl -T FILE "URL".'
          )
        )
      );
    }
  }

  private _trans: TranslationBundle;
  private _method: HTMLSelectElement;
  private _amount: HTMLInputElement;
  private _unit: HTMLSelectElement;
  private _result: HTMLElement;
  private _link: DataPresignResponse | null = null;
  private _sign: LinkDialogBody.IOptions['sign'];
  private _copy: (url: string) => Promise<void> | void;
  private _now: () => number;
}

/**
 * The namespace for `LinkDialogBody` statics.
 */
export namespace LinkDialogBody {
  /**
   * Options to create the body.
   */
  export interface IOptions {
    /** The object key shown. */
    key: string;
    /** The lifetime first proposed, in hours. */
    defaultHours: number;
    /** Ask the bridge for a link. */
    sign: (
      method: 'GET' | 'PUT',
      seconds: number
    ) => Promise<DataPresignResponse>;
    /** Copy a link (and say so). */
    copy: (url: string) => Promise<void> | void;
    /** The translator. */
    translator?: ITranslator;
    /** The clock (for tests). */
    now?: () => number;
  }
}
