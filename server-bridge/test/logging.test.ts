import { Writable } from 'node:stream';
import { createLogger, safeUrl } from '../src/logging';

function capture() {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    }
  });
  return { logger: createLogger('trace', stream), output: () => out };
}

describe('logging', () => {
  it('redacts credentials in headers and secret-named fields', () => {
    const { logger, output } = capture();
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer SECRET-BEARER',
            'x-mlinfn-ticket': 'SECRET-TICKET',
            cookie: 'session=SECRET-COOKIE'
          }
        },
        s3: { secretAccessKey: 'SECRET-S3', sessionToken: 'SECRET-SESSION' },
        details: { token: 'SECRET-TOKEN', password: 'SECRET-PW' },
        auth: { ticket: 'SECRET-T2', secret: 'SECRET-HMAC' }
      },
      'hello'
    );
    const text = output();
    expect(text).toContain('hello');
    expect(text).toContain('[redacted]');
    expect(text).not.toMatch(/SECRET-/);
  });

  it('strips token and ticket values from URLs', () => {
    expect(safeUrl('/ws?token=abc&x=1')).toBe('/ws?token=[redacted]&x=1');
    expect(safeUrl('/ws?a=1&TOKEN=abc')).toBe('/ws?a=1&TOKEN=[redacted]');
    expect(safeUrl('/ws?ticket=v1.a.b')).toBe('/ws?ticket=[redacted]');
    expect(safeUrl('/healthz')).toBe('/healthz');
  });
});
