import { describeExpiry, linkExpiry } from '../src/expiry';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const fmt = (ms: number) => new Date(ms).toISOString();

describe('describeExpiry', () => {
  it('shows the real lifetime and end time of an uncapped link', () => {
    const text = describeExpiry(
      { requestedSeconds: 3600, expiresAt: NOW + 3600_000, cappedBy: null },
      NOW,
      undefined,
      fmt
    );
    expect(text.summary).toBe('Valid for 1 h (until 2026-11-25T13:00:00.000Z)');
    expect(text.capNote).toBeNull();
    expect(text.expired).toBe(false);
  });

  it('says a link signed with temporary keys dies with them', () => {
    const text = describeExpiry(
      {
        requestedSeconds: 7 * 86400,
        expiresAt: NOW + 50 * 60_000,
        cappedBy: 'credentials'
      },
      NOW,
      undefined,
      fmt
    );
    expect(text.summary).toBe(
      'Valid for 50 min (until 2026-11-25T12:50:00.000Z)'
    );
    expect(text.capNote).toBe(
      'Shorter than the 7 d asked for: the link is signed with temporary keys from your login, and stops working when they expire.'
    );
  });

  it('says SigV4 caps links at 7 days', () => {
    const text = describeExpiry(
      {
        requestedSeconds: 30 * 86400,
        expiresAt: NOW + 7 * 86400_000,
        cappedBy: 'sigv4-7-days'
      },
      NOW,
      undefined,
      fmt
    );
    expect(text.summary).toMatch(/^Valid for 7 d /);
    expect(text.capNote).toBe(
      'Shorter than the 30 d asked for: pre-signed links live at most 7 days.'
    );
  });

  it('says the endpoint caps links, and reads the bridge answer', () => {
    const text = describeExpiry(
      linkExpiry(
        {
          url: 'u',
          method: 'GET',
          expiresAt: NOW + 3600_000,
          expiresSeconds: 3600,
          cappedBy: 'config',
          signedWith: 'session'
        },
        86400
      ),
      NOW,
      undefined,
      fmt
    );
    expect(text.summary).toMatch(/^Valid for 1 h /);
    expect(text.capNote).toBe(
      'Shorter than the 1 d asked for: this storage endpoint is configured for shorter links.'
    );
  });

  it('says SigV4 capped a wish longer than 7 days, clipped before it was sent', () => {
    const answer = {
      url: 'u',
      method: 'GET' as const,
      expiresAt: NOW + 7 * 86400_000,
      expiresSeconds: 7 * 86400,
      signedWith: 'session' as const
    };
    expect(linkExpiry(answer, 30 * 86400).cappedBy).toBe('sigv4-7-days');
    expect(linkExpiry(answer, 7 * 86400).cappedBy).toBeNull();
  });

  it('says when a link has expired', () => {
    const text = describeExpiry(
      { requestedSeconds: 60, expiresAt: NOW - 1000, cappedBy: null },
      NOW,
      undefined,
      fmt
    );
    expect(text.expired).toBe(true);
    expect(text.summary).toBe('Expired at 2026-11-25T11:59:59.000Z');
  });
});
