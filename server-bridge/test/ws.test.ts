import {
  IRunning,
  proxyMode,
  startBridge,
  TestSocket,
  ticket,
  TOKEN
} from './helpers';

describe('WebSocket, proxy mode', () => {
  let b: IRunning;
  const open: TestSocket[] = [];
  const connect = async () => {
    const s = new TestSocket(b.wsUrl);
    open.push(s);
    await s.opened;
    return s;
  };
  const authed = async (t: string = ticket()) => {
    const s = await connect();
    s.send({ type: 'auth', ticket: t });
    expect(await s.next()).toMatchObject({
      type: 'ready',
      user: { username: 'alice' }
    });
    return s;
  };

  beforeAll(async () => {
    // Skew 0 so that a ticket expiring in a second closes the socket in a second.
    b = await startBridge(
      proxyMode(0),
      {
        systemIntervalSeconds: 0.1,
        limits: { maxFrameBytes: 2048, maxSocketsPerUser: 3 }
      },
      { authTimeoutMs: 300 }
    );
  });
  afterEach(() => {
    open.splice(0).forEach(s => s.close());
  });
  afterAll(() => b.close());

  it('authenticates with the first message, then streams the system channel', async () => {
    const s = await authed();
    s.send({ type: 'subscribe', channel: 'system' });
    expect(await s.next()).toEqual({ type: 'subscribed', channel: 'system' });
    const snapshot = await s.next();
    expect(snapshot).toMatchObject({ type: 'data', channel: 'system' });
    const pushed = await s.next();
    expect(pushed.type).toBe('data');
    expect(pushed.payload).toEqual({
      time: expect.any(Number),
      uptimeSeconds: expect.any(Number),
      connections: expect.any(Number)
    });
    expect(pushed.payload.connections).toBeGreaterThanOrEqual(1);
    expect(pushed.payload.time).toBeGreaterThanOrEqual(snapshot.payload.time);
  });

  it('stops pushing after unsubscribe', async () => {
    const s = await authed();
    s.send({ type: 'subscribe', channel: 'system' });
    await s.nextOfType('subscribed');
    s.send({ type: 'unsubscribe', channel: 'system' });
    // A bad message is answered in order: everything before it has been handled.
    s.send('{');
    await s.nextOfType('error');
    const got: any[] = [];
    s.ws.on('message', d => got.push(JSON.parse(String(d))));
    await new Promise(r => setTimeout(r, 300));
    expect(got.filter(m => m.type === 'data')).toEqual([]);
  });

  it('answers malformed messages with an error and stays usable', async () => {
    const s = await authed();
    const bad: [unknown, RegExp][] = [
      ['not json', /not valid JSON/],
      ['[1,2]', /unknown message type/],
      ['null', /unknown message type/],
      [{ type: 'launch' }, /unknown message type/],
      [{ type: 'subscribe' }, /must have required property 'channel'/],
      [
        { type: 'subscribe', channel: 'BAD CHANNEL' },
        /\/channel must match pattern/
      ],
      [
        { type: 'subscribe', channel: 'system', extra: 1 },
        /unknown key "extra"/
      ],
      [{ type: 'subscribe', channel: 'nosuch' }, /unknown channel/],
      [{ type: 'subscribe', channel: 'system/sub' }, /unknown channel/],
      [{ type: 'auth', ticket: ticket() }, /already authenticated/],
      [{ type: 'ticket', ticket: 'v1.x.y' }, /ticket refused/]
    ];
    for (const [message, reason] of bad) {
      s.send(message);
      const answer = await s.next();
      expect(answer.type).toBe('error');
      expect(answer.reason).toMatch(reason);
    }
    s.ws.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    expect((await s.next()).reason).toMatch(/text frames/);
    s.send({ type: 'subscribe', channel: 'system' });
    expect(await s.next()).toEqual({ type: 'subscribed', channel: 'system' });
  });

  it('refuses subscriptions before auth, but keeps waiting for auth', async () => {
    const s = await connect();
    s.send({ type: 'subscribe', channel: 'system' });
    expect((await s.next()).reason).toMatch(/auth message first/);
    s.send({ type: 'auth', ticket: ticket() });
    expect((await s.next()).type).toBe('ready');
  });

  it('closes with 1009 on a frame over maxFrameBytes', async () => {
    const s = await authed();
    s.send(JSON.stringify({ type: 'subscribe', channel: 'x'.repeat(4000) }));
    expect((await s.closed).code).toBe(1009);
  });

  it('closes with 4401 when no auth arrives in time', async () => {
    const s = await connect();
    const started = Date.now();
    expect((await s.closed).code).toBe(4401);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('closes with 4401 on a bad auth ticket', async () => {
    const s = await connect();
    s.send({ type: 'auth', ticket: ticket({ aud: 'elsewhere' }) });
    expect(await s.closed).toEqual({
      code: 4401,
      reason: 'the ticket is for another server'
    });
  });

  it('closes with 4401 when the ticket expires without a refresh', async () => {
    const now = Math.floor(Date.now() / 1000);
    const s = await authed(ticket({ iat: now, exp: now + 1 }));
    const closed = await s.closed;
    expect(closed).toEqual({ code: 4401, reason: 'the ticket expired' });
  });

  it('keeps a socket open past the first expiry when the ticket is refreshed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const s = await authed(ticket({ iat: now, exp: now + 1 }));
    s.send({ type: 'ticket', ticket: ticket() });
    s.send({ type: 'subscribe', channel: 'system' });
    await s.nextOfType('subscribed');
    let closed = false;
    s.closed.then(() => (closed = true));
    await new Promise(r => setTimeout(r, (now + 2) * 1000 - Date.now() + 100));
    expect(closed).toBe(false);
  });

  it('closes with 4401 when a refreshed ticket names another user', async () => {
    const s = await authed();
    s.send({ type: 'ticket', ticket: ticket({ sub: 'mallory' }) });
    expect((await s.closed).code).toBe(4401);
  });

  it('caps sockets per user with 1008', async () => {
    const sockets = [await authed(), await authed(), await authed()];
    const extra = await connect();
    extra.send({ type: 'auth', ticket: ticket() });
    expect((await extra.closed).code).toBe(1008);
    // Another user is not affected.
    const bob = await connect();
    bob.send({ type: 'auth', ticket: ticket({ sub: 'bob' }) });
    expect((await bob.next()).type).toBe('ready');
    const before = b.bridge.hub.connections;
    sockets[0].close();
    await sockets[0].closed;
    // The server sees the close a moment after the client does.
    for (let i = 0; i < 100 && b.bridge.hub.connections >= before; i++) {
      await new Promise(r => setTimeout(r, 10));
    }
    await authed();
  });

  it('refuses an upgrade on another path with 404', async () => {
    const s = new TestSocket(b.wsUrl.replace('/ws', '/other'));
    await expect(s.opened).rejects.toThrow(/404/);
  });
});

describe('WebSocket, standalone mode', () => {
  let b: IRunning;
  beforeAll(async () => {
    b = await startBridge({ kind: 'standalone', token: TOKEN });
  });
  afterAll(() => b.close());

  it('refuses an upgrade without the token (401)', async () => {
    await expect(new TestSocket(b.wsUrl).opened).rejects.toThrow(/401/);
    await expect(
      new TestSocket(`${b.wsUrl}?token=wrong`).opened
    ).rejects.toThrow(/401/);
  });

  it('sends ready at once with ?token= or a bearer header', async () => {
    const q = new TestSocket(`${b.wsUrl}?token=${TOKEN}`);
    expect((await q.next()).type).toBe('ready');
    const h = new TestSocket(b.wsUrl, {
      headers: { authorization: `Bearer ${TOKEN}` }
    });
    expect((await h.next()).type).toBe('ready');
    h.send({ type: 'subscribe', channel: 'system' });
    expect(await h.next()).toEqual({ type: 'subscribed', channel: 'system' });
    q.close();
    h.close();
    expect(b.lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('Hub channel registry', () => {
  let b: IRunning;
  beforeAll(async () => {
    b = await startBridge({ kind: 'standalone', token: TOKEN });
  });
  afterAll(() => b.close());

  it('runs first/last hooks, snapshots, sub-channels, authorize and publish', async () => {
    const events: string[] = [];
    b.bridge.hub.registerChannel('jobs', {
      sub: true,
      authorize: (_user, channel) => channel !== 'jobs/secret',
      onFirstSubscriber: c => events.push(`first ${c}`),
      onLastUnsubscribe: c => events.push(`last ${c}`),
      snapshot: c => ({ snapshot: c })
    });
    expect(() => b.bridge.hub.registerChannel('jobs', {})).toThrow(/already/);
    const s = new TestSocket(`${b.wsUrl}?token=${TOKEN}`);
    await s.nextOfType('ready');
    s.send({ type: 'subscribe', channel: 'jobs/42' });
    expect(await s.next()).toEqual({ type: 'subscribed', channel: 'jobs/42' });
    expect(await s.next()).toEqual({
      type: 'data',
      channel: 'jobs/42',
      payload: { snapshot: 'jobs/42' }
    });
    b.bridge.hub.publish('jobs/42', { state: 'running' });
    b.bridge.hub.publish('jobs/43', { state: 'nobody listens' });
    expect(await s.next()).toEqual({
      type: 'data',
      channel: 'jobs/42',
      payload: { state: 'running' }
    });
    s.send({ type: 'subscribe', channel: 'jobs/secret' });
    expect(await s.next()).toEqual({
      type: 'error',
      reason: 'not permitted',
      channel: 'jobs/secret'
    });
    s.close();
    await s.closed;
    // The close is handled on the server's side of the socket a moment later.
    for (let i = 0; i < 50 && events.length < 2; i++) {
      await new Promise(r => setTimeout(r, 10));
    }
    expect(events).toEqual(['first jobs/42', 'last jobs/42']);
  });
});

describe('WebSocket keep-alive', () => {
  let b: IRunning;
  beforeAll(async () => {
    b = await startBridge(
      { kind: 'standalone', token: TOKEN },
      {},
      { pingIntervalMs: 100 }
    );
  });
  afterAll(() => b.close());

  it('pings, keeps answering peers and drops a peer that never pongs', async () => {
    const url = `${b.wsUrl}?token=${TOKEN}`;
    const lively = new TestSocket(url);
    const silent = new TestSocket(url, { autoPong: false });
    await Promise.all([lively.nextOfType('ready'), silent.nextOfType('ready')]);
    let pinged = 0;
    lively.ws.on('ping', () => pinged++);
    // Terminated without a close frame: 1006 on the client side.
    expect((await silent.closed).code).toBe(1006);
    expect(pinged).toBeGreaterThanOrEqual(1);
    expect(lively.ws.readyState).toBe(lively.ws.OPEN);
    lively.close();
  });
});
