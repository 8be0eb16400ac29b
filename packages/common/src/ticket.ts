import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { BridgeError } from './errors';
import type { TicketResponse } from './schema';

/**
 * Gets, caches and refreshes the short-lived ticket that tells the bridge who is calling.
 *
 * The ticket comes from the Jupyter server (`GET {baseUrl}mlinfn/ticket`, guarded by Jupyter's
 * own auth). It is refreshed when `refreshRatio` (80 %) of its life has passed, on a timer and
 * on demand; concurrent refreshes share one request. See docs/protocol.md, "Tickets".
 */
export class TicketManager implements IDisposable {
  /**
   * Create a ticket manager.
   */
  constructor(options: TicketManager.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._refreshRatio = options.refreshRatio ?? 0.8;
    this._retryDelay = options.retryDelay ?? 5000;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
  }

  /**
   * The server settings used to ask for tickets.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * Emitted with the new ticket whenever one has been fetched.
   */
  get refreshed(): ISignal<this, string> {
    return this._refreshed;
  }

  /**
   * When the cached ticket expires, in milliseconds since the epoch; `null` if none is cached.
   */
  get expiresAt(): number | null {
    return this._current?.expiresAt ?? null;
  }

  /**
   * Whether the manager has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * A valid ticket: the cached one while it is young enough, otherwise a fresh one.
   */
  ticket(): Promise<string> {
    const current = this._current;
    if (current && Date.now() < current.refreshAt) {
      return Promise.resolve(current.ticket);
    }
    return this.refresh();
  }

  /**
   * Fetch a fresh ticket now (for instance after the bridge refused one with 401).
   * Calls made while a refresh is in flight share it.
   */
  refresh(): Promise<string> {
    if (this._isDisposed) {
      return Promise.reject(new Error('TicketManager is disposed'));
    }
    if (!this._pending) {
      this._pending = this._fetch().finally(() => {
        this._pending = null;
      });
    }
    return this._pending;
  }

  /**
   * Stop refreshing and forget the ticket.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearTimer();
    this._current = null;
    Signal.clearData(this);
  }

  private async _fetch(): Promise<string> {
    const trans = this._trans;
    const settings = this.serverSettings;
    const url = URLExt.join(settings.baseUrl, 'mlinfn/ticket');
    const requestedAt = Date.now();
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { method: 'GET' },
        settings
      );
    } catch (error) {
      throw new BridgeError(
        0,
        BridgeError.Code.unreachable,
        trans.__(
          'The Jupyter server cannot be reached: check your network connection, then retry.'
        )
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new BridgeError(
        response.status,
        BridgeError.Code.loginExpired,
        trans.__('Your Jupyter login has expired: log in again.')
      );
    }
    let body: TicketResponse | null = null;
    if (response.ok) {
      try {
        body = (await response.json()) as TicketResponse;
      } catch {
        body = null;
      }
    }
    if (!body || typeof body.ticket !== 'string' || !body.expiresAt) {
      throw new BridgeError(
        response.status,
        BridgeError.Code.ticket,
        response.status === 404
          ? trans.__(
              'The mlinfn_lab server extension is not enabled on this Jupyter server: ask its administrator to enable it.'
            )
          : trans.__(
              'The Jupyter server did not hand out a ticket for the mlinfn bridge (status %1): retry in a moment.',
              response.status
            )
      );
    }
    if (this._isDisposed) {
      return body.ticket;
    }
    const expiresAt = body.expiresAt * 1000;
    // The life is measured from our own clock so that clock skew does not matter.
    const life = Math.max(0, expiresAt - requestedAt);
    const refreshAt = requestedAt + life * this._refreshRatio;
    this._current = { ticket: body.ticket, expiresAt, refreshAt };
    this._schedule(refreshAt - Date.now());
    this._refreshed.emit(body.ticket);
    return body.ticket;
  }

  private _schedule(delay: number): void {
    this._clearTimer();
    this._timer = setTimeout(
      () => {
        this._timer = null;
        this.refresh().catch(() => {
          // Try again soon while the current ticket still lives; ticket() refreshes on demand.
          if (!this._isDisposed) {
            this._schedule(this._retryDelay);
          }
        });
      },
      Math.max(0, delay)
    );
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _current: Private.ICachedTicket | null = null;
  private _pending: Promise<string> | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _isDisposed = false;
  private _refreshRatio: number;
  private _retryDelay: number;
  private _trans: ReturnType<ITranslator['load']>;
  private _refreshed = new Signal<this, string>(this);
}

/**
 * The namespace for `TicketManager` statics.
 */
export namespace TicketManager {
  /**
   * Options to create a ticket manager.
   */
  export interface IOptions {
    /**
     * The Jupyter server settings; by default `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * The fraction of a ticket's life after which it is refreshed (default 0.8).
     */
    refreshRatio?: number;

    /**
     * How long to wait before trying again when a timed refresh fails, in ms (default 5000).
     */
    retryDelay?: number;

    /**
     * The translator for the error messages.
     */
    translator?: ITranslator;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A ticket in the cache, its times in milliseconds since the epoch.
   */
  export interface ICachedTicket {
    ticket: string;
    expiresAt: number;
    refreshAt: number;
  }
}
