/**
 * Who is calling: the one place that turns a request's credentials into a verified identity.
 *
 * Proxy mode trusts only a ticket in the `X-Mlinfn-Ticket` header; standalone mode only the
 * bearer token. Cookies are never looked at: jupyter-server-proxy does not check XSRF, so a
 * cookie alone must authorise nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BridgeIdentity } from '../schema-types';
import { identityFromTicket, ownerIdentity } from './identity';
import { ITicketPolicy, verifyTicket } from './tickets';

/** How the bridge was started, and so how callers prove who they are. */
export type AuthMode =
  | { kind: 'proxy'; policy: ITicketPolicy }
  | { kind: 'standalone'; token: string };

/** A verified caller, or why the credentials were refused. */
export type AuthResult =
  | {
      ok: true;
      identity: BridgeIdentity;
      /** When the credentials stop being valid (seconds since the epoch); none for a token. */
      expiresAt?: number;
    }
  | { ok: false; reason: string };

/** The parts of a request that carry credentials. */
export interface IAuthRequest {
  headers: IncomingHttpHeaders;
  url?: string;
}

/** The header a ticket travels in (lower case, as Node gives headers). */
export const TICKET_HEADER = 'x-mlinfn-ticket';

/**
 * Verify a ticket (proxy mode); in standalone mode there are no tickets.
 */
export function authenticateTicket(
  ticket: unknown,
  mode: AuthMode
): AuthResult {
  if (mode.kind !== 'proxy') {
    return {
      ok: false,
      reason: 'this bridge takes a bearer token, not tickets'
    };
  }
  const result = verifyTicket(ticket, mode.policy);
  if (!result.ok) {
    return result;
  }
  return {
    ok: true,
    identity: identityFromTicket(result.payload),
    expiresAt: result.payload.exp
  };
}

/**
 * Verify a request's credentials.
 *
 * @param req - headers (and URL, for a WebSocket upgrade's `?token=`).
 * @param mode - proxy (ticket header) or standalone (bearer token).
 * @param allowQueryToken - accept `?token=` (standalone WebSocket upgrades only: browsers
 *   cannot set headers there).
 */
export function authenticate(
  req: IAuthRequest,
  mode: AuthMode,
  allowQueryToken = false
): AuthResult {
  if (mode.kind === 'proxy') {
    const ticket = req.headers[TICKET_HEADER];
    if (typeof ticket !== 'string' || !ticket) {
      return {
        ok: false,
        reason: 'send a ticket in the X-Mlinfn-Ticket header'
      };
    }
    return authenticateTicket(ticket, mode);
  }
  const token =
    bearerToken(req.headers.authorization) ??
    (allowQueryToken ? queryToken(req.url) : undefined);
  if (token === undefined) {
    return {
      ok: false,
      reason: 'send the token as "Authorization: Bearer <token>"'
    };
  }
  if (!tokensEqual(token, mode.token)) {
    return { ok: false, reason: 'the token is wrong' };
  }
  return { ok: true, identity: ownerIdentity() };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match ? match[1] : undefined;
}

function queryToken(url: string | undefined): string | undefined {
  if (!url) {
    return undefined;
  }
  try {
    return new URL(url, 'http://bridge').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time: hashing first gives equal lengths, so the length leaks nothing either. */
function tokensEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
