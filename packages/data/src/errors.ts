import { BridgeError } from '@mlinfn/common';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/**
 * An error as the Data panel shows it: one sentence, the details behind a disclosure, and
 * whether the fix is to log in again.
 */
export interface IDataError {
  /**
   * What happened and what to do next.
   */
  message: string;

  /**
   * The technical details (status and code), if any.
   */
  details: string | null;

  /**
   * Whether the login (the OIDC token behind the storage keys, or Jupyter's) has expired.
   */
  loginExpired: boolean;
}

/**
 * Turn whatever a data call threw into an `IDataError`.
 *
 * The bridge's reasons are already one sentence for people; other errors (a part PUT to
 * storage, the network) carry sentences written in this package.
 *
 * @param error - What was thrown.
 * @param trans - The translation bundle.
 */
export function describeError(
  error: unknown,
  trans: TranslationBundle = nullTranslator.load('mlinfn')
): IDataError {
  if (error instanceof BridgeError) {
    const loginExpired =
      error.code === BridgeError.Code.loginExpired ||
      Private.LOGIN_CODES.has(error.code) ||
      /log in again/i.test(error.reason);
    return {
      message: error.reason,
      details:
        error.status > 0
          ? trans.__('HTTP %1 · %2', error.status, error.code)
          : error.code,
      loginExpired
    };
  }
  if (error instanceof Error) {
    return {
      message: error.message || trans.__('Something went wrong.'),
      details: error.name !== 'Error' ? error.name : null,
      loginExpired: /log in again/i.test(error.message)
    };
  }
  return {
    message: trans.__('Something went wrong: retry, or reload the page.'),
    details: error === undefined || error === null ? null : String(error),
    loginExpired: false
  };
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Error codes that mean the login behind the storage keys has expired.
   */
  export const LOGIN_CODES = new Set([
    'login-expired',
    'token-expired',
    'credentials-expired',
    'expired-token'
  ]);
}
