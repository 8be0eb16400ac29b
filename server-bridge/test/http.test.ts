import {
  IRunning,
  proxyMode,
  request,
  startBridge,
  ticket,
  payload,
  signTicket,
  SECRET,
  TOKEN
} from './helpers';

describe('HTTP API, proxy mode', () => {
  let b: IRunning;
  beforeAll(async () => {
    b = await startBridge(proxyMode(), { limits: { maxBodyBytes: 4096 } });
  });
  afterAll(() => b.close());

  const withTicket = (t: string = ticket()) => ({ 'x-mlinfn-ticket': t });

  it('serves /healthz and /metrics without a ticket (Jupyter auth already applied)', async () => {
    const health = await request(b.base, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({
      status: 'ok',
      version: expect.any(String),
      uptimeSeconds: expect.any(Number)
    });
    const metrics = await request(b.base, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(
      'mlinfn_bridge_process_cpu_user_seconds_total'
    );
    expect(metrics.text).toContain(
      'mlinfn_bridge_http_requests_total{route="/healthz",method="GET",status="200"}'
    );
    expect(metrics.text).toContain('mlinfn_bridge_ws_connections');
  });

  it('answers whoami with the verified ticket identity', async () => {
    const res = await request(b.base, 'GET', '/api/whoami', withTicket());
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      user: {
        username: 'alice',
        name: 'Alice Liddell',
        initials: 'AL',
        color: 'var(--jp-collaborator-color1)',
        permissions: { contents: ['read', 'write'], kernels: ['read'] }
      },
      mode: 'proxy',
      version: expect.any(String)
    });
  });

  const now = Math.floor(Date.now() / 1000);
  it.each([
    ['no ticket', {}],
    ['a forged ticket', withTicket(signTicket(payload(), Buffer.alloc(32, 1)))],
    [
      'an expired ticket',
      withTicket(ticket({ iat: now - 400, exp: now - 100 }))
    ],
    [
      'a ticket for another server',
      withTicket(ticket({ aud: 'another-server' }))
    ],
    ['a bearer token', { authorization: `Bearer ${TOKEN}` }]
  ])('refuses whoami with %s (401, JSON error)', async (_name, headers) => {
    const res = await request(
      b.base,
      'GET',
      '/api/whoami',
      headers as Record<string, string>
    );
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      error: 'unauthorized',
      reason: expect.any(String)
    });
  });

  it('refuses a cross-site POST carrying only a cookie', async () => {
    const res = await request(
      b.base,
      'POST',
      '/api/log',
      {
        cookie: `_xsrf=abc; username-localhost-8888=${ticket()}; ticket=${ticket()}`,
        origin: 'https://evil.example',
        'content-type': 'application/json'
      },
      JSON.stringify({ level: 'error', message: 'forged' })
    );
    expect(res.status).toBe(401);
    expect(b.lines.join('\n')).not.toContain('forged');
  });

  it('writes a client log report with the verified user name', async () => {
    const res = await request(
      b.base,
      'POST',
      '/api/log',
      { ...withTicket(), 'content-type': 'application/json; charset=utf-8' },
      JSON.stringify({
        level: 'warn',
        message: 'plugin exploded',
        source: 'monitor',
        details: { token: 'SECRET-IN-DETAILS', count: 3 }
      })
    );
    expect(res.status).toBe(204);
    const line = b.lines
      .map(l => JSON.parse(l))
      .find(l => l.msg === 'plugin exploded');
    expect(line).toMatchObject({
      level: 40,
      user: 'alice',
      source: 'monitor',
      client: true
    });
    expect(line.details).toEqual({ token: '[redacted]', count: 3 });
    expect(b.lines.join('\n')).not.toContain(SECRET.toString('hex'));
  });

  it.each([
    [
      'invalid JSON',
      'application/json',
      '{"level": "error",',
      400,
      /not valid JSON/
    ],
    [
      'a body failing the schema',
      'application/json',
      '{"level":"loud","message":"x"}',
      400,
      /\/level must be equal to one of/
    ],
    [
      'an unknown key',
      'application/json',
      '{"level":"info","message":"x","extra":1}',
      400,
      /unknown key "extra"/
    ],
    [
      'a non-JSON content type',
      'text/plain',
      'hello',
      415,
      /application\/json/
    ],
    [
      'a form post',
      'application/x-www-form-urlencoded',
      'a=b',
      415,
      /application\/json/
    ],
    [
      'a body over maxBodyBytes',
      'application/json',
      JSON.stringify({ level: 'info', message: 'x'.repeat(5000) }),
      413,
      /larger than 4096/
    ]
  ])(
    'answers POST /api/log with %s: %s',
    async (_name, type, body, status, reason) => {
      const res = await request(
        b.base,
        'POST',
        '/api/log',
        { ...withTicket(), 'content-type': type },
        body
      );
      expect(res.status).toBe(status);
      const json = res.json();
      expect(Object.keys(json).sort()).toEqual(['error', 'reason']);
      expect(json.reason).toMatch(reason);
    }
  );

  it('answers 404 for an unknown path and 405 for a wrong method', async () => {
    const missing = await request(b.base, 'GET', '/nope', withTicket());
    expect(missing.status).toBe(404);
    expect(missing.json().error).toBe('not_found');
    const wrong = await request(b.base, 'PUT', '/api/whoami', withTicket());
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    expect(wrong.json().error).toBe('method_not_allowed');
  });
});

describe('HTTP API, standalone mode', () => {
  let b: IRunning;
  beforeAll(async () => {
    b = await startBridge({ kind: 'standalone', token: TOKEN });
  });
  afterAll(() => b.close());

  it('refuses every request without the bearer token, /healthz included', async () => {
    for (const path of ['/healthz', '/metrics', '/api/whoami', '/nope']) {
      const res = await request(b.base, 'GET', path);
      expect(res.status).toBe(401);
      expect(res.json().error).toBe('unauthorized');
    }
    const wrong = await request(b.base, 'GET', '/healthz', {
      authorization: 'Bearer wrong'
    });
    expect(wrong.status).toBe(401);
    const query = await request(b.base, 'GET', `/healthz?token=${TOKEN}`);
    expect(query.status).toBe(401);
  });

  it('answers with the token, as the owner', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await request(b.base, 'GET', '/healthz', auth)).status).toBe(200);
    const who = await request(b.base, 'GET', '/api/whoami', auth);
    expect(who.json().mode).toBe('standalone');
    expect(who.json().user.permissions.terminals).toEqual([
      'read',
      'write',
      'execute'
    ]);
    expect(b.lines.join('\n')).not.toContain(TOKEN);
  });
});
