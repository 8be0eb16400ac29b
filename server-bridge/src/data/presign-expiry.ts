/**
 * How long a pre-signed URL can live: the least of what was asked, SigV4's 7 days, the
 * endpoint's configured cap, and the time its signing keys have left (a URL signed with STS
 * keys stops working when they expire).
 */
import type { DataPresignResponse } from '../schema-types';
import { DataError } from './errors';

/** SigV4's longest pre-signed expiry. */
export const SIGV4_MAX_SECONDS = 7 * 24 * 3600;

/** A margin so a link never outlives its keys by clock skew. */
const CREDENTIALS_MARGIN_SECONDS = 30;

export interface IExpiryLimits {
  /** Now, ms since the epoch. */
  nowMs: number;
  /** The endpoint's linkMaxSeconds. */
  configMaxSeconds: number;
  /** When the signing keys expire (ms since the epoch); undefined for long-lived keys. */
  credentialsExpireAt?: number;
}

/** The lifetime a link gets and why it got less than asked. */
export interface ICappedExpiry {
  seconds: number;
  cappedBy?: DataPresignResponse['cappedBy'];
}

/** The longest expiry a link can get now (GET /api/data/endpoints shows it). */
export function maxLinkSeconds(limits: IExpiryLimits): number {
  return capExpiry(SIGV4_MAX_SECONDS, limits, false).seconds;
}

/**
 * Cap a requested expiry.
 *
 * @throws DataError 403 when the keys expire before a link could be useful.
 */
export function capExpiry(
  requestedSeconds: number,
  limits: IExpiryLimits,
  strict = true
): ICappedExpiry {
  let seconds = Math.floor(requestedSeconds);
  let cappedBy: ICappedExpiry['cappedBy'];
  if (seconds > SIGV4_MAX_SECONDS) {
    seconds = SIGV4_MAX_SECONDS;
    cappedBy = 'sigv4-7-days';
  }
  if (seconds > limits.configMaxSeconds) {
    seconds = limits.configMaxSeconds;
    cappedBy = 'config';
  }
  if (limits.credentialsExpireAt !== undefined) {
    const left =
      Math.floor((limits.credentialsExpireAt - limits.nowMs) / 1000) -
      CREDENTIALS_MARGIN_SECONDS;
    if (left < seconds) {
      if (left < 1) {
        if (strict) {
          throw new DataError(
            403,
            'the storage keys are about to expire; retry in a moment, when they have been renewed'
          );
        }
        return { seconds: 0, cappedBy: 'credentials' };
      }
      seconds = left;
      cappedBy = 'credentials';
    }
  }
  return { seconds, cappedBy };
}
