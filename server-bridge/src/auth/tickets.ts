/**
 * Ticket verification, exactly as docs/protocol.md defines tickets:
 *
 *     "v1." + b64url(payload_json) + "." + b64url(HMAC_SHA256(secret, "v1." + b64url(payload_json)))
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describeAjvError, validators } from '../schemas';
import type { TicketPayload } from '../schema-types';

/** What checking a ticket needs to know. */
export interface ITicketPolicy {
  /** The signing secret shared with the Jupyter server extension. */
  secret: Buffer;
  /** This server's id: every ticket must carry it as `aud`. */
  serverId: string;
  /** Longest `exp - iat` accepted. */
  maxAgeSeconds: number;
  /** Clock skew allowed on `exp` and `iat`, in seconds (5 unless a test says otherwise). */
  skewSeconds?: number;
}

/** The outcome of a ticket check: the payload, or why it was refused. */
export type TicketResult =
  { ok: true; payload: TicketPayload } | { ok: false; reason: string };

/** The longest ticket string looked at; the WebSocket schema allows no more. */
const MAX_TICKET_LENGTH = 8192;
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The HMAC of a ticket's signed part, `"v1." + b64url(payload_json)`.
 */
export function ticketSignature(secret: Buffer, signedPart: string): Buffer {
  return createHmac('sha256', secret).update(signedPart).digest();
}

/**
 * Verify a ticket: signature (constant time), payload schema, audience, lifetime.
 *
 * @param ticket - the ticket as the client sent it (any value: it is not trusted).
 * @param policy - the secret, server id and limits.
 * @param nowSeconds - the current time, seconds since the epoch.
 */
export function verifyTicket(
  ticket: unknown,
  policy: ITicketPolicy,
  nowSeconds: number = Date.now() / 1000
): TicketResult {
  if (typeof ticket !== 'string' || ticket.length === 0) {
    return { ok: false, reason: 'no ticket' };
  }
  if (ticket.length > MAX_TICKET_LENGTH) {
    return { ok: false, reason: 'the ticket is too long' };
  }
  const parts = ticket.split('.');
  if (
    parts.length !== 3 ||
    parts[0] !== 'v1' ||
    !B64URL.test(parts[1]) ||
    !B64URL.test(parts[2])
  ) {
    return { ok: false, reason: 'the ticket is malformed' };
  }
  const expected = ticketSignature(policy.secret, `v1.${parts[1]}`);
  const given = Buffer.from(parts[2], 'base64url');
  // timingSafeEqual needs equal lengths; a length mismatch reveals nothing secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'the ticket signature does not verify' };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the ticket payload is not JSON' };
  }
  if (!validators.ticket(payload)) {
    return {
      ok: false,
      reason: `the ticket payload is invalid: ${describeAjvError(validators.ticket.errors, 'payload')}`
    };
  }
  const skew = policy.skewSeconds ?? 5;
  if (payload.aud !== policy.serverId) {
    return { ok: false, reason: 'the ticket is for another server' };
  }
  if (payload.exp + skew < nowSeconds) {
    return { ok: false, reason: 'the ticket has expired' };
  }
  if (payload.iat - skew > nowSeconds) {
    return { ok: false, reason: 'the ticket was issued in the future' };
  }
  if (payload.exp < payload.iat) {
    return { ok: false, reason: 'the ticket expires before it was issued' };
  }
  if (payload.exp - payload.iat > policy.maxAgeSeconds) {
    return {
      ok: false,
      reason: 'the ticket lives longer than this bridge allows'
    };
  }
  return { ok: true, payload };
}
