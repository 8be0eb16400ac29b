/**
 * The contents-events client against a local server that speaks the server extension's
 * protocol (tests/test_contents_events.py checks the Python side of the same format).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createContentsEventStream,
  IContentsEvent,
  IContentsEventStream
} from '../../../src/collab/document';
import {
  eventsTarget,
  parseEventLine
} from '../../../src/collab/document/events';

const SECRET = randomBytes(32);

function validAuth(header: string | undefined): boolean {
  const [seconds, mac] = (header ?? '').split('.');
  const expected = createHmac('sha256', SECRET)
    .update(`bridge:${seconds}`)
    .digest('hex');
  return mac === expected && Math.abs(Date.now() / 1000 - Number(seconds)) < 60;
}

interface IFakeJupyter {
  url: string;
  requests: http.IncomingMessage[];
  streams: http.ServerResponse[];
  /** What the next requests get: 'stream' (default) or a status code. */
  answer: 'stream' | number;
  close(): Promise<void>;
}

async function fakeJupyter(
  listen: { socket?: string } = {}
): Promise<IFakeJupyter> {
  const fake: Partial<IFakeJupyter> = {
    requests: [],
    streams: [],
    answer: 'stream'
  };
  const server = http.createServer((req, res) => {
    fake.requests!.push(req);
    if (
      req.url !== '/base/mlinfn/bridge/events' ||
      !validAuth(req.headers['x-mlinfn-bridge-auth'] as string)
    ) {
      res
        .writeHead(403, { 'Content-Type': 'application/json' })
        .end('{"error":"forbidden"}');
      return;
    }
    if (typeof fake.answer === 'number') {
      res.writeHead(fake.answer).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    res.write('{"action": "ready"}\n');
    fake.streams!.push(res);
  });
  await new Promise<void>(resolve =>
    listen.socket
      ? server.listen(listen.socket, resolve)
      : server.listen(0, '127.0.0.1', resolve)
  );
  fake.url = listen.socket
    ? `http+unix://${listen.socket.replace(/\//g, '%2F')}/base/`
    : `http://127.0.0.1:${(server.address() as AddressInfo).port}/base/`;
  fake.close = () =>
    new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake as IFakeJupyter;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('timed out waiting');
    }
    await new Promise(r => setTimeout(r, 10));
  }
}

describe('contents events client', () => {
  let jupyter: IFakeJupyter;
  let stream: IContentsEventStream | undefined;
  const events: IContentsEvent[] = [];
  let connects = 0;
  const reasons: string[] = [];

  const start = (url = jupyter.url, extra: { idleTimeoutMs?: number } = {}) => {
    stream = createContentsEventStream({
      serverUrl: url,
      secret: SECRET,
      onEvent: e => events.push(e),
      onConnect: () => connects++,
      onDisconnect: r => reasons.push(r),
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      ...extra
    });
    return stream;
  };

  beforeEach(async () => {
    events.length = 0;
    reasons.length = 0;
    connects = 0;
    jupyter = await fakeJupyter();
  });

  afterEach(async () => {
    stream?.close();
    stream = undefined;
    await jupyter.close();
  });

  it('authenticates, reports connection, delivers events and skips heartbeats and junk', async () => {
    start();
    await until(() => connects === 1);
    expect(stream!.connected).toBe(true);
    const [res] = jupyter.streams;
    res.write('{"action": "save", "path": "a.ipynb"}\n{"action": "heart');
    res.write('beat"}\nnot json\n{"action": "get", "path": "x"}\n\n');
    res.write(
      '{"action": "rename", "path": "a.ipynb", "newPath": "dir/b.ipynb"}\n'
    );
    res.write('{"action": "delete", "path": "dir/Grüße.txt"}\n');
    await until(() => events.length === 3);
    expect(events).toEqual([
      { action: 'save', path: 'a.ipynb' },
      { action: 'rename', path: 'a.ipynb', newPath: 'dir/b.ipynb' },
      { action: 'delete', path: 'dir/Grüße.txt' }
    ]);
    expect(jupyter.requests[0].headers.accept).toBe('application/x-ndjson');
  });

  it('reconnects when the stream ends, and says so again (files must be re-checked)', async () => {
    start();
    await until(() => connects === 1);
    jupyter.streams[0].end();
    await until(() => connects === 2);
    expect(reasons[0]).toMatch(/ended/);
    jupyter.streams[1].write('{"action": "save", "path": "after.txt"}\n');
    await until(() => events.length === 1);
  });

  it('retries with backoff while Jupyter refuses or is away, then connects', async () => {
    jupyter.answer = 503;
    start();
    await until(() => jupyter.requests.length >= 3);
    expect(connects).toBe(0);
    expect(reasons[0]).toMatch(/503/);
    jupyter.answer = 'stream';
    await until(() => connects === 1);
  });

  it('drops a connection that stays silent, and reconnects', async () => {
    start(jupyter.url, { idleTimeoutMs: 150 });
    await until(() => connects === 1);
    await until(() => connects === 2, 3000);
    expect(reasons[0]).toMatch(/no line/);
  });

  it('stops for good on close()', async () => {
    start();
    await until(() => connects === 1);
    stream!.close();
    expect(stream!.connected).toBe(false);
    await new Promise(r => setTimeout(r, 150));
    expect(jupyter.requests).toHaveLength(1);
    expect(connects).toBe(1);
  });

  it('reaches a Jupyter server on a unix socket (http+unix:// URLs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlinfn-sock-'));
    const onSocket = await fakeJupyter({ socket: join(dir, 'jupyter.sock') });
    try {
      start(onSocket.url);
      await until(() => connects === 1);
      onSocket.streams[0].write('{"action": "upload", "path": "u.csv"}\n');
      await until(() => events.length === 1);
      expect(events[0]).toEqual({ action: 'upload', path: 'u.csv' });
    } finally {
      stream?.close();
      await onSocket.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('contents events parsing', () => {
  it('builds the request target from MLINFN_SERVER_URL', () => {
    expect(eventsTarget('http://127.0.0.1:8888/user/alice/').url.href).toBe(
      'http://127.0.0.1:8888/user/alice/mlinfn/bridge/events'
    );
    expect(eventsTarget('https://[::1]:8888').url.href).toBe(
      'https://[::1]:8888/mlinfn/bridge/events'
    );
    const unix = eventsTarget('http+unix://%2Ftmp%2Fj.sock/base/');
    expect(unix.socketPath).toBe('/tmp/j.sock');
    expect(unix.url.pathname).toBe('/base/mlinfn/bridge/events');
  });

  it('accepts only the protocol objects', () => {
    expect(
      parseEventLine('{"action":"copy","path":"a","newPath":"b"}')
    ).toEqual({
      action: 'copy',
      path: 'a',
      newPath: 'b'
    });
    expect(parseEventLine('{"action":"ready"}')).toEqual({ action: 'ready' });
    expect(parseEventLine('{"action":"save"}')).toBeUndefined();
    expect(parseEventLine('{"action":"save","path":1}')).toBeUndefined();
    expect(
      parseEventLine('{"action":"save","path":"a","newPath":2}')
    ).toBeUndefined();
    expect(parseEventLine('{"action":"get","path":"a"}')).toBeUndefined();
    expect(parseEventLine('null')).toBeUndefined();
  });
});
