import { authenticate, authenticateTicket } from '../src/auth/authenticate';
import { proxyMode, ticket, TOKEN } from './helpers';

const standalone = { kind: 'standalone' as const, token: TOKEN };

describe('authenticate', () => {
  it('proxy mode: a valid ticket header gives the ticket identity', () => {
    const result = authenticate(
      { headers: { 'x-mlinfn-ticket': ticket() } },
      proxyMode()
    );
    expect(result.ok && result.identity.username).toBe('alice');
    expect(result.ok && result.identity.permissions).toEqual({
      contents: ['read', 'write'],
      kernels: ['read']
    });
    expect(result.ok && result.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('proxy mode: no ticket, or only a cookie or a bearer token, is refused', () => {
    expect(authenticate({ headers: {} }, proxyMode()).ok).toBe(false);
    expect(
      authenticate({ headers: { cookie: 'ticket=' + ticket() } }, proxyMode())
        .ok
    ).toBe(false);
    expect(
      authenticate(
        { headers: { authorization: `Bearer ${ticket()}` } },
        proxyMode()
      ).ok
    ).toBe(false);
  });

  it('standalone: the right bearer token gives the owner with every permission', () => {
    const result = authenticate(
      { headers: { authorization: `Bearer ${TOKEN}` } },
      standalone
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.identity.permissions.kernels).toEqual([
      'read',
      'write',
      'execute'
    ]);
  });

  it('standalone: a wrong, missing or cookie-borne token is refused', () => {
    expect(
      authenticate({ headers: { authorization: 'Bearer nope' } }, standalone).ok
    ).toBe(false);
    expect(
      authenticate({ headers: { authorization: TOKEN } }, standalone).ok
    ).toBe(false);
    expect(
      authenticate({ headers: { cookie: `token=${TOKEN}` } }, standalone).ok
    ).toBe(false);
    expect(
      authenticate({ headers: { 'x-mlinfn-ticket': ticket() } }, standalone).ok
    ).toBe(false);
  });

  it('standalone: ?token= counts only where allowed (WebSocket upgrades)', () => {
    const req = { headers: {}, url: `/ws?token=${TOKEN}` };
    expect(authenticate(req, standalone).ok).toBe(false);
    expect(authenticate(req, standalone, true).ok).toBe(true);
    expect(
      authenticate({ headers: {}, url: '/ws?token=bad' }, standalone, true).ok
    ).toBe(false);
  });

  it('tickets mean nothing in standalone mode', () => {
    expect(authenticateTicket(ticket(), standalone).ok).toBe(false);
  });
});
