/**
 * 1000 malformed, oversized or unauthenticated requests and frames, all answered with a 4xx
 * (or, for frames, an error message or the protocol's close code); afterwards the bridge
 * still works. A seeded generator makes every run send the same bytes.
 */
import net from 'node:net';
import {
  IRunning,
  proxyMode,
  request,
  startBridge,
  TestSocket,
  ticket
} from './helpers';

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_BODY = 4096;

/** Send raw bytes, read until the server closes; resolve to the status code (0: none). */
function rawExchange(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no answer to ${JSON.stringify(bytes.subarray(0, 80).toString('latin1'))}`
        )
      );
    }, 5000);
    const done = () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(
        Buffer.concat(chunks).toString('latin1')
      );
      resolve(m ? Number(m[1]) : 0);
    };
    socket.on('data', c => chunks.push(c));
    socket.on('close', done);
    // The server may answer 413 and hang up while the body is still going out.
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

function httpRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0)
): Buffer {
  const all = { host: 'bridge', connection: 'close', ...headers };
  if (body.length || method === 'POST') {
    (all as Record<string, string>)['content-length'] = String(body.length);
  }
  const head =
    `${method} ${path} HTTP/1.1\r\n` +
    Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

describe('robustness', () => {
  let b: IRunning;
  let port: number;
  beforeAll(async () => {
    b = await startBridge(proxyMode(), {
      limits: { maxBodyBytes: MAX_BODY, maxFrameBytes: 2048 }
    });
    port = Number(new URL(b.base).port);
  });
  afterAll(() => b.close());

  it('answers 900 hostile HTTP requests with a 4xx and 100 hostile frames without dying', async () => {
    const rand = prng(20251125);
    const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];
    const bytes = (n: number) =>
      Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
    const good = ticket();
    const tickets = [
      '',
      'v1',
      'v1..',
      'v1.a.b',
      good.slice(0, -3) + 'AAA',
      good.replace('v1.', 'v2.'),
      good + '.x',
      'x'.repeat(9000),
      Buffer.from('v1.\u00ff\u00fe.sig', 'latin1').toString('latin1')
    ];
    const paths = [
      '/api/log',
      '/api/whoami',
      '/ws',
      '/%zz',
      '/..%2f..%2fetc%2fpasswd',
      '//api//log',
      '/api/log?x=' + 'y'.repeat(3000),
      '/' + 'a'.repeat(5000),
      '/\u00ff\u00fe',
      '*',
      'http://evil/api/log'
    ];
    const methods = [
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'TRACE',
      'FOO',
      'G@T'
    ];
    const types = [
      'application/json',
      'text/plain',
      'application/xml',
      'multipart/form-data',
      'application/json; charset=latin1',
      '',
      'application/jsonx'
    ];
    const bodies = () =>
      pick([
        Buffer.from('{"level":'),
        Buffer.from('{"level":"error","message":42}'),
        Buffer.from('[]'),
        Buffer.from('null'),
        Buffer.from('{"__proto__":{"x":1},"level":"info","message":"m"}'),
        Buffer.from(
          '{"level":"info","message":"' + 'x'.repeat(MAX_BODY * 2) + '"}'
        ),
        Buffer.concat([
          Buffer.from('{"level":"info","message":"'),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from('"}')
        ]),
        bytes(64)
      ]);

    const cases: Buffer[] = [];
    for (let i = 0; i < 900; i++) {
      const kind = i % 6;
      if (kind === 0) {
        // Random bytes that cannot start a request line.
        cases.push(
          Buffer.concat([
            Buffer.from([0x01]),
            bytes(1 + Math.floor(rand() * 200))
          ])
        );
      } else if (kind === 1) {
        // Malformed HTTP: bad versions, huge headers, broken header lines.
        cases.push(
          pick([
            Buffer.from('GET /healthz HTTP/9.9\r\n\r\n'),
            Buffer.from(
              'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' +
                'a'.repeat(20000) +
                '\r\n\r\n'
            ),
            Buffer.from('GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n'),
            Buffer.from(
              'POST /api/log HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'
            ),
            Buffer.from(
              'POST /api/log HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
            ),
            Buffer.from('GET /\x00 HTTP/1.1\r\n\r\n', 'latin1')
          ])
        );
      } else {
        // Well-formed HTTP with hostile content, never with valid credentials.
        const headers: Record<string, string> = {};
        if (rand() < 0.6) {
          headers['x-mlinfn-ticket'] = pick(tickets);
        }
        if (rand() < 0.3) {
          headers.cookie = `session=${good}`;
        }
        if (rand() < 0.2) {
          headers.authorization = pick([
            'Bearer ',
            'Bearer x',
            'Basic abc',
            good
          ]);
        }
        const type = pick(types);
        if (type) {
          headers['content-type'] = type;
        }
        const method = pick(methods);
        cases.push(
          httpRequest(
            method,
            pick(paths),
            headers,
            method === 'GET' ? undefined : bodies()
          )
        );
      }
    }

    const statuses: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const bytes = cases[next++];
        const status = await rawExchange(port, bytes);
        if (!(status >= 400 && status < 500)) {
          throw new Error(
            `status ${status} for ${JSON.stringify(bytes.subarray(0, 120).toString('latin1'))}`
          );
        }
        statuses.push(status);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(statuses).toHaveLength(900);
    // Every family of refusal was exercised.
    for (const status of [400, 401, 431]) {
      expect(statuses).toContain(status);
    }

    // 100 hostile frames over authenticated sockets.
    let socket = new TestSocket(b.wsUrl);
    await socket.opened;
    socket.send({ type: 'auth', ticket: good });
    await socket.nextOfType('ready');
    for (let i = 0; i < 100; i++) {
      const kind = i % 5;
      if (kind === 4 && i % 20 === 4) {
        // Oversized: closes with 1009; carry on with a fresh socket.
        socket.send('"' + 'x'.repeat(3000) + '"');
        expect((await socket.closed).code).toBe(1009);
        socket = new TestSocket(b.wsUrl);
        await socket.opened;
        socket.send({ type: 'auth', ticket: good });
        await socket.nextOfType('ready');
        continue;
      }
      if (kind === 0) {
        socket.ws.send(bytes(50), { binary: true });
      } else if (kind === 1) {
        socket.send(
          pick([
            '{',
            '""',
            '1e999',
            '{"type":1}',
            '{"type":"subscribe","channel":7}',
            '{"type":"auth"}'
          ])
        );
      } else if (kind === 2) {
        socket.send({
          type: pick(['subscribe', 'unsubscribe', 'ticket']),
          channel: 'x'.repeat(200),
          ticket: 5
        });
      } else {
        const short = tickets.filter(t => t && t.length < 1000);
        socket.send({ type: 'ticket', ticket: pick(short) });
      }
      expect((await socket.next()).type).toBe('error');
    }
    // Invalid UTF-8 in a text frame breaks the WebSocket protocol itself: close 1007.
    socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await socket.closed).code).toBe(1007);

    // Still alive and well.
    expect((await request(b.base, 'GET', '/healthz')).status).toBe(200);
    const after = new TestSocket(b.wsUrl);
    await after.opened;
    after.send({ type: 'auth', ticket: ticket() });
    await after.nextOfType('ready');
    after.send({ type: 'subscribe', channel: 'system' });
    expect(await after.next()).toEqual({
      type: 'subscribed',
      channel: 'system'
    });
    expect((await after.next()).type).toBe('data');
    after.close();
    // Nothing reached the 500 path.
    expect(b.lines.filter(l => JSON.parse(l).level >= 50)).toEqual([]);
  });
});
