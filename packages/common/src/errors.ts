import type { ErrorResponse } from './schema';

/**
 * An error from the mlinfn bridge, or from the way to it.
 *
 * The bridge answers every failure with `{"error": "<code>", "reason": "<sentence>"}`
 * (`schema/error.schema.json`); `code` and `reason` carry those. Failures that never reached
 * the bridge (no network, the proxy still starting it) use the codes in
 * {@link BridgeError.Code} and a reason written for the user.
 */
export class BridgeError extends Error {
  /**
   * Create a bridge error.
   *
   * @param status - The HTTP status, or 0 when no answer came back.
   * @param code - A stable machine-readable code.
   * @param reason - One readable sentence: what happened and what to do.
   */
  constructor(status: number, code: string, reason: string) {
    super(reason);
    this.name = 'BridgeError';
    this.status = status;
    this.code = code;
    this.reason = reason;
  }

  /**
   * The HTTP status, or 0 when no answer came back.
   */
  readonly status: number;

  /**
   * A stable machine-readable code (`ErrorResponse.error`).
   */
  readonly code: string;

  /**
   * One readable sentence for the user (`ErrorResponse.reason`).
   */
  readonly reason: string;

  /**
   * The error as the bridge would have written it.
   */
  toJSON(): ErrorResponse {
    return { error: this.code, reason: this.reason };
  }
}

/**
 * Codes of the errors made on the browser side.
 */
export namespace BridgeError {
  /**
   * Codes used when the failure did not come from the bridge itself.
   */
  export const Code = {
    /** The network failed, or the proxy answered with something other than the bridge. */
    unreachable: 'unreachable',
    /** The Jupyter server would not hand out a ticket. */
    ticket: 'ticket-unavailable',
    /** The Jupyter login has expired. */
    loginExpired: 'login-expired',
    /** The bridge answered 2xx with something that is not JSON. */
    invalidResponse: 'invalid-response'
  } as const;

  /**
   * Whether an error is a {@link BridgeError}.
   */
  export function isBridgeError(error: unknown): error is BridgeError {
    return error instanceof BridgeError;
  }
}
