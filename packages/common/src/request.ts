import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { BridgeError } from './errors';
import type { ErrorResponse } from './schema';
import { TicketManager } from './ticket';

/**
 * The name of the header that carries the ticket on every bridge request.
 */
export const TICKET_HEADER = 'X-Mlinfn-Ticket';

/**
 * The path under the Jupyter base URL where jupyter-server-proxy mounts the bridge.
 */
export const BRIDGE_PATH = 'mlinfn-bridge';

/**
 * Call the bridge's REST API: the one function every mlinfn package uses for REST.
 *
 * It sends `{baseUrl}mlinfn-bridge/<endpoint>` through `ServerConnection.makeRequest` (so
 * Jupyter's token and XSRF handling apply), adds the `X-Mlinfn-Ticket` header, retries once
 * with a fresh ticket when the bridge answers 401, and parses the JSON answer.
 *
 * @param endPoint - The path below the bridge root, e.g. `api/whoami`.
 * @param init - The request options; a string body is sent as JSON.
 * @param settings - The Jupyter server settings.
 * @param options - The ticket source (`null` for no ticket) and the translator.
 * @returns The parsed JSON answer (`undefined` for an empty answer).
 * @throws {BridgeError} on a non-2xx answer, with the bridge's `error` and `reason`, and when
 *   the bridge cannot be reached.
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  options: requestAPI.IOptions = {}
): Promise<T> {
  const trans = (options.translator ?? nullTranslator).load('mlinfn');
  const tickets =
    options.tickets === undefined
      ? Private.sharedTickets(settings)
      : options.tickets;
  const url = URLExt.join(settings.baseUrl, BRIDGE_PATH, endPoint);

  let response = await Private.send(url, init, settings, tickets, false, trans);
  if (response.status === 401 && tickets) {
    // The ticket may have expired in a throttled background tab: one retry with a fresh one.
    response = await Private.send(url, init, settings, tickets, true, trans);
  }

  const text = await response.text();
  if (!response.ok) {
    throw Private.toError(response, text, trans);
  }
  if (!text) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BridgeError(
      response.status,
      BridgeError.Code.invalidResponse,
      trans.__(
        'The mlinfn bridge sent an answer that is not JSON: it may be an older version; reload the page.'
      )
    );
  }
}

/**
 * The namespace for `requestAPI` options.
 */
export namespace requestAPI {
  /**
   * Options of a bridge request.
   */
  export interface IOptions {
    /**
     * Where the ticket comes from: by default one `TicketManager` shared per server base URL;
     * `null` sends no ticket (for `healthz` and `metrics`).
     */
    tickets?: TicketManager | null;

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
  const shared = new Map<string, TicketManager>();

  /**
   * The ticket manager shared by every request to one server.
   */
  export function sharedTickets(
    settings: ServerConnection.ISettings
  ): TicketManager {
    let tickets = shared.get(settings.baseUrl);
    if (!tickets || tickets.isDisposed) {
      tickets = new TicketManager({ serverSettings: settings });
      shared.set(settings.baseUrl, tickets);
    }
    return tickets;
  }

  /**
   * Send one request, with a ticket when there is a ticket source.
   */
  export async function send(
    url: string,
    init: RequestInit,
    settings: ServerConnection.ISettings,
    tickets: TicketManager | null,
    fresh: boolean,
    trans: ReturnType<ITranslator['load']>
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (tickets) {
      const ticket = await (fresh ? tickets.refresh() : tickets.ticket());
      headers.set(TICKET_HEADER, ticket);
    }
    if (typeof init.body === 'string' && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
    try {
      return await ServerConnection.makeRequest(
        url,
        { ...init, headers },
        settings
      );
    } catch (error) {
      throw new BridgeError(
        0,
        BridgeError.Code.unreachable,
        trans.__(
          'The mlinfn bridge cannot be reached: check your network connection and that the Jupyter server is running, then retry.'
        )
      );
    }
  }

  /**
   * Turn a non-2xx answer into a `BridgeError`.
   */
  export function toError(
    response: Response,
    text: string,
    trans: ReturnType<ITranslator['load']>
  ): BridgeError {
    const body = parseError(text);
    if (body) {
      return new BridgeError(response.status, body.error, body.reason);
    }
    // Not the bridge's JSON: the proxy answered (it is still starting the bridge, the bridge
    // crashed, or jupyter-server-proxy is missing).
    if (response.status === 404) {
      return new BridgeError(
        404,
        BridgeError.Code.unreachable,
        trans.__(
          'The mlinfn bridge is not available on this server: jupyter-server-proxy or the mlinfn_lab package may be missing.'
        )
      );
    }
    return new BridgeError(
      response.status,
      BridgeError.Code.unreachable,
      trans.__(
        'The mlinfn bridge is not answering (status %1); it may still be starting: retry in a few seconds.',
        response.status
      )
    );
  }

  /**
   * Parse the bridge's `{"error", "reason"}` body; `null` if it is not one.
   */
  export function parseError(text: string): ErrorResponse | null {
    try {
      const body = JSON.parse(text) as Partial<ErrorResponse> | null;
      if (
        body &&
        typeof body.error === 'string' &&
        typeof body.reason === 'string'
      ) {
        return { error: body.error, reason: body.reason };
      }
    } catch {
      // not JSON
    }
    return null;
  }
}
