import type { DataPresignResponse } from '@mlinfn/common';
import { formatDuration } from '@mlinfn/common';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/**
 * Why a link's expiry is shorter than the one asked for (the bridge's `cappedBy`):
 *
 * - `sigv4-7-days`: SigV4 pre-signed URLs live at most 7 days;
 * - `credentials`: the link is signed with temporary (STS) keys, and dies with them;
 * - `config`: the endpoint's configured longest link;
 * - `null`: not capped.
 */
export type ExpiryCap = NonNullable<DataPresignResponse['cappedBy']> | null;

/**
 * The expiry of a pre-signed link as the bridge granted it.
 */
export interface ILinkExpiry {
  /**
   * The lifetime asked for, in seconds.
   */
  requestedSeconds: number;

  /**
   * When the link stops working, in ms since the epoch.
   */
  expiresAt: number;

  /**
   * Why it is shorter than asked, if it is.
   */
  cappedBy: ExpiryCap;
}

/**
 * What the link dialog says about an expiry.
 */
export interface IExpiryText {
  /**
   * "Valid for 1 h (until 25 Nov 2026, 14:30)"; "Expired" once past.
   */
  summary: string;

  /**
   * Why it is shorter than asked ("…the temporary keys that sign it expire then"); `null`
   * when it is not capped.
   */
  capNote: string | null;

  /**
   * Whether the link has already expired.
   */
  expired: boolean;
}

/**
 * The longest lifetime of a SigV4 pre-signed URL: 7 days.
 */
export const SIGV4_MAX_SECONDS = 7 * 86400;

/**
 * The expiry of a link from the bridge's answer and the lifetime asked for.
 */
export function linkExpiry(
  answer: DataPresignResponse,
  requestedSeconds: number
): ILinkExpiry {
  // The bridge's schema takes at most 7 days, so a longer wish is clipped before it is sent:
  // the cap is SigV4's even though the answer does not say so.
  const clipped =
    requestedSeconds > SIGV4_MAX_SECONDS &&
    answer.expiresSeconds <= SIGV4_MAX_SECONDS;
  return {
    requestedSeconds,
    expiresAt: answer.expiresAt,
    cappedBy: answer.cappedBy ?? (clipped ? 'sigv4-7-days' : null)
  };
}

/**
 * Describe the real expiry of a link, and why it was capped.
 *
 * @param expiry - The expiry the bridge granted.
 * @param now - The time, in ms since the epoch.
 * @param trans - The translation bundle (domain `mlinfn`).
 * @param formatDate - How to print the end time (the user's locale by default).
 */
export function describeExpiry(
  expiry: ILinkExpiry,
  now: number,
  trans: TranslationBundle = nullTranslator.load('mlinfn'),
  formatDate: (ms: number) => string = Private.formatDate
): IExpiryText {
  const left = (expiry.expiresAt - now) / 1000;
  const expired = left <= 0;
  const at = formatDate(expiry.expiresAt);
  const summary = expired
    ? trans.__('Expired at %1', at)
    : trans.__('Valid for %1 (until %2)', formatDuration(left), at);
  let capNote: string | null = null;
  const asked = formatDuration(expiry.requestedSeconds);
  if (expiry.cappedBy === 'sigv4-7-days') {
    capNote = trans.__(
      'Shorter than the %1 asked for: pre-signed links live at most 7 days.',
      asked
    );
  } else if (expiry.cappedBy === 'credentials') {
    capNote = trans.__(
      'Shorter than the %1 asked for: the link is signed with temporary keys from your login, and stops working when they expire.',
      asked
    );
  } else if (expiry.cappedBy === 'config') {
    capNote = trans.__(
      'Shorter than the %1 asked for: this storage endpoint is configured for shorter links.',
      asked
    );
  }
  return { summary, capNote, expired };
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The end time in the user's locale, with the date.
   */
  export function formatDate(ms: number): string {
    return new Date(ms).toLocaleString(undefined, {
      dateStyle: 'medium',
      timeStyle: 'short'
    });
  }
}
