import { ServerConnection } from '@jupyterlab/services';
import { BridgeError } from '../src/errors';
import { requestAPI, TICKET_HEADER } from '../src/request';
import { TicketManager } from '../src/ticket';
import {
  fakeResponse,
  makeSettings,
  mockMakeRequest,
  rejection,
  TicketServer
} from './utils';

describe('requestAPI', () => {
  let server: TicketServer;
  let settings: ServerConnection.ISettings;
  let tickets: TicketManager;
  const calls: { url: string; ticket: string | null; init: RequestInit }[] = [];

  function bridge(...answers: Response[]) {
    return (url: string, init: RequestInit) => {
      calls.push({
        url,
        init,
        ticket: new Headers(init.headers).get(TICKET_HEADER)
      });
      return (
        answers.shift() ?? fakeResponse(500, 'no more answers', 'text/plain')
      );
    };
  }

  beforeEach(() => {
    calls.length = 0;
    server = new TicketServer();
    settings = makeSettings();
    tickets = new TicketManager({ serverSettings: settings });
  });

  afterEach(() => {
    tickets.dispose();
    jest.restoreAllMocks();
  });

  it('calls {baseUrl}mlinfn-bridge/<endpoint> with the ticket header and parses JSON', async () => {
    mockMakeRequest(server, bridge(fakeResponse(200, { version: '1.2.3' })));
    const body = await requestAPI<{ version: string }>(
      'api/whoami',
      {},
      settings,
      { tickets }
    );
    expect(body).toEqual({ version: '1.2.3' });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe(
      'http://localhost:8888/lab-base/mlinfn-bridge/api/whoami'
    );
    expect(calls[0].ticket).toBe('t1');
  });

  it('sends a JSON body with a JSON content type', async () => {
    mockMakeRequest(server, bridge(fakeResponse(204, '')));
    const body = await requestAPI(
      'api/log',
      { method: 'POST', body: JSON.stringify({ level: 'info', message: 'x' }) },
      settings,
      { tickets }
    );
    expect(body).toBeUndefined();
    expect(new Headers(calls[0].init.headers).get('Content-Type')).toBe(
      'application/json'
    );
  });

  it('sends no ticket when told not to', async () => {
    mockMakeRequest(server, bridge(fakeResponse(200, { status: 'ok' })));
    await requestAPI('healthz', {}, settings, { tickets: null });
    expect(calls[0].ticket).toBeNull();
    expect(server.count).toBe(0);
  });

  it('retries once with a fresh ticket on 401', async () => {
    mockMakeRequest(
      server,
      bridge(
        fakeResponse(401, { error: 'bad-ticket', reason: 'Expired.' }),
        fakeResponse(200, { ok: true })
      )
    );
    const body = await requestAPI('api/whoami', {}, settings, { tickets });
    expect(body).toEqual({ ok: true });
    expect(calls.map(c => c.ticket)).toEqual(['t1', 't2']);
  });

  it('retries only once: a second 401 is an error', async () => {
    mockMakeRequest(
      server,
      bridge(
        fakeResponse(401, { error: 'bad-ticket', reason: 'Expired.' }),
        fakeResponse(401, { error: 'bad-ticket', reason: 'Still expired.' }),
        fakeResponse(200, { ok: true })
      )
    );
    const error = await rejection(
      requestAPI('api/whoami', {}, settings, {
        tickets
      })
    );
    expect(calls).toHaveLength(2);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.status).toBe(401);
    expect(error.reason).toBe('Still expired.');
  });

  it('throws a BridgeError with the bridge\'s {"error","reason"}', async () => {
    mockMakeRequest(
      server,
      bridge(
        fakeResponse(403, {
          error: 'forbidden',
          reason: 'You may not read this.'
        })
      )
    );
    const error = await rejection(
      requestAPI('api/thing', {}, settings, {
        tickets
      })
    );
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.status).toBe(403);
    expect(error.code).toBe('forbidden');
    expect(error.reason).toBe('You may not read this.');
    expect(error.message).toBe('You may not read this.');
  });

  it('says the bridge is still starting when the proxy answers 5xx HTML', async () => {
    mockMakeRequest(
      server,
      bridge(fakeResponse(502, '<html>Bad Gateway</html>', 'text/html'))
    );
    const error = await rejection(
      requestAPI('api/whoami', {}, settings, {
        tickets
      })
    );
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe(BridgeError.Code.unreachable);
    expect(error.status).toBe(502);
    expect(error.reason).toMatch(/not answering.*starting/);
  });

  it('says the bridge cannot be reached when the network fails', async () => {
    mockMakeRequest(server, () => {
      throw new ServerConnection.NetworkError(new TypeError('Failed to fetch'));
    });
    const error = await rejection(
      requestAPI('api/whoami', {}, settings, {
        tickets
      })
    );
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.status).toBe(0);
    expect(error.code).toBe(BridgeError.Code.unreachable);
    expect(error.reason).toMatch(/cannot be reached/);
  });

  it('refuses a 2xx answer that is not JSON', async () => {
    mockMakeRequest(
      server,
      bridge(fakeResponse(200, '<html>login</html>', 'text/html'))
    );
    const error = await rejection(
      requestAPI('api/whoami', {}, settings, {
        tickets
      })
    );
    expect(error.code).toBe(BridgeError.Code.invalidResponse);
  });
});
