/**
 * The one error shape of the bridge, `{"error", "reason"}` (schema/error.schema.json).
 */
import type { Duplex } from 'node:stream';
import type { ErrorResponse } from '../schema-types';

/** The machine-readable code for each status the bridge answers with. */
export const ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  412: 'precondition_failed',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  426: 'upgrade_required',
  429: 'too_many_requests',
  431: 'headers_too_large',
  500: 'internal',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout'
};

/** The body of an error answer. */
export function errorBody(status: number, reason: string): ErrorResponse {
  return { error: ERROR_CODES[status] ?? 'error', reason };
}

/**
 * A complete raw HTTP/1.1 error answer, for places that hold a bare socket (client errors,
 * refused WebSocket upgrades).
 */
export function rawHttpError(status: number, reason: string): string {
  const body = JSON.stringify(errorBody(status, reason));
  return (
    `HTTP/1.1 ${status} ${ERROR_CODES[status] ?? 'error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Answer a bare socket with an error and hang up: once the answer is written, or after a
 * second for a peer that does not read.
 */
export function endWithError(
  socket: Duplex,
  status: number,
  reason: string
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
  socket.end(rawHttpError(status, reason));
}
