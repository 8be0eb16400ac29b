import {
  ITicketPolicy,
  ticketSignature,
  verifyTicket
} from '../src/auth/tickets';
import { payload, SECRET, SERVER_ID, signTicket } from './helpers';

const policy: ITicketPolicy = {
  secret: SECRET,
  serverId: SERVER_ID,
  maxAgeSeconds: 600
};
const now = Math.floor(Date.now() / 1000);

function refused(ticket: unknown, reason: RegExp, at = now): void {
  const result = verifyTicket(ticket, policy, at);
  expect(result.ok).toBe(false);
  expect(result.ok ? '' : result.reason).toMatch(reason);
}

describe('verifyTicket', () => {
  it('accepts a ticket signed with the secret and returns its payload', () => {
    const p = payload();
    const result = verifyTicket(signTicket(p), policy, now);
    expect(result).toEqual({ ok: true, payload: p });
  });

  it('refuses a forged signature (another secret)', () => {
    refused(signTicket(payload(), Buffer.alloc(32, 7)), /signature/);
  });

  it('refuses a payload changed after signing', () => {
    const [v, , sig] = signTicket(payload()).split('.');
    const evil = Buffer.from(JSON.stringify(payload({ sub: 'root' }))).toString(
      'base64url'
    );
    refused(`${v}.${evil}.${sig}`, /signature/);
  });

  it('refuses a ticket for another server', () => {
    refused(signTicket(payload({ aud: 'other-server' })), /another server/);
  });

  it('refuses an expired ticket, but allows 5 s of skew', () => {
    const t = signTicket(payload({ iat: now - 400, exp: now - 10 }));
    refused(t, /expired/);
    const justPast = signTicket(payload({ iat: now - 300, exp: now - 4 }));
    expect(verifyTicket(justPast, policy, now).ok).toBe(true);
  });

  it('refuses a ticket issued in the future', () => {
    refused(signTicket(payload({ iat: now + 60, exp: now + 120 })), /future/);
  });

  it('refuses a lifetime longer than ticketMaxAgeSeconds', () => {
    refused(signTicket(payload({ iat: now, exp: now + 601 })), /longer/);
  });

  it('refuses exp before iat', () => {
    refused(signTicket(payload({ iat: now, exp: now - 1 })), /before/);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['no dots', 'garbage'],
    ['wrong version', 'v2.abc.def'],
    ['four parts', 'v1.a.b.c'],
    ['non-base64url', 'v1.a+b/c.d=='],
    ['too long', 'v1.' + 'a'.repeat(9000) + '.b']
  ])('refuses a malformed ticket (%s)', (_name, value) => {
    refused(value, /no ticket|malformed|too long/);
  });

  it('refuses a correctly signed payload that is not JSON', () => {
    const body = Buffer.from('not json').toString('base64url');
    const sig = ticketSignature(SECRET, `v1.${body}`).toString('base64url');
    refused(`v1.${body}.${sig}`, /not JSON/);
  });

  it.each([
    [
      'missing sub',
      (() => {
        const p: any = payload();
        delete p.sub;
        return p;
      })()
    ],
    ['unknown key', { ...payload(), admin: true }],
    ['bad permission action', payload({ perms: { kernels: ['sudo' as any] } })],
    ['string exp', { ...payload(), exp: 'tomorrow' }]
  ])('refuses a signed payload that fails the schema (%s)', (_name, p) => {
    refused(signTicket(p), /payload is invalid/);
  });
});
