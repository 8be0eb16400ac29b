import { BridgeClient } from '../src/client';
import { BridgeStatusModel } from '../src/models/status';
import { TICKET_HEADER } from '../src/request';
import { BridgeStatusPanel } from '../src/widgets/status';
import {
  fakeResponse,
  FakeWebSocket,
  flush,
  makeSettings,
  mockMakeRequest,
  READY,
  TicketServer
} from './utils';

const WHOAMI = {
  user: READY.user,
  mode: 'proxy',
  version: '0.1.0'
};

describe('BridgeClient', () => {
  let client: BridgeClient;
  let calls: { url: string; init: RequestInit }[];
  let answers: Record<string, () => Response>;

  beforeEach(() => {
    FakeWebSocket.instances = [];
    calls = [];
    answers = {
      'api/whoami': () => fakeResponse(200, WHOAMI),
      healthz: () =>
        fakeResponse(200, {
          status: 'ok',
          version: '0.1.0',
          uptimeSeconds: 75
        }),
      'api/log': () => fakeResponse(204, '')
    };
    mockMakeRequest(new TicketServer(), (url, init) => {
      calls.push({ url, init });
      const endpoint = url.split('/mlinfn-bridge/')[1];
      return answers[endpoint]?.() ?? fakeResponse(404, 'x', 'text/html');
    });
    client = new BridgeClient({ serverSettings: makeSettings() });
  });

  afterEach(() => {
    client.dispose();
    jest.restoreAllMocks();
  });

  it('asks whoami with a ticket and healthz without one', async () => {
    expect((await client.whoami()).user.username).toBe('alice');
    expect((await client.health()).version).toBe('0.1.0');
    const headers = calls.map(c =>
      new Headers(c.init.headers).get(TICKET_HEADER)
    );
    expect(headers).toEqual(['t1', null]);
  });

  it('reports an error to api/log in the schema shape, and never rejects', async () => {
    await client.reportError(new Error('it broke'), '@mlinfn/monitor:plugin');
    const body = JSON.parse(calls[0].init.body as string);
    expect(calls[0].init.method).toBe('POST');
    expect(body.level).toBe('error');
    expect(body.message).toBe('it broke');
    expect(body.source).toBe('@mlinfn/monitor:plugin');
    expect(body.details.name).toBe('Error');

    answers['api/log'] = () =>
      fakeResponse(400, { error: 'invalid', reason: 'Bad body.' });
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    await expect(client.reportError('x'.repeat(5000))).resolves.toBeUndefined();
    expect(JSON.parse(calls[1].init.body as string).message).toHaveLength(2000);
    expect(warn).toHaveBeenCalled();
  });

  it('follows the channel state and identity', async () => {
    const states: string[] = [];
    client.stateChanged.connect((_, s) => states.push(s));
    client.subscribe('system', () => undefined);
    await flush();
    FakeWebSocket.last.open();
    await flush();
    FakeWebSocket.last.receive(READY);
    expect(client.state).toBe('connected');
    expect(client.identity?.name).toBe('Alice Liddell');
    expect(states).toEqual(['connecting', 'connected']);
  });
});

describe('BridgeStatusPanel', () => {
  afterEach(() => jest.restoreAllMocks());

  it('shows who is signed in, the version, the mode and the permissions', async () => {
    mockMakeRequest(new TicketServer(), url =>
      url.endsWith('healthz')
        ? fakeResponse(200, {
            status: 'ok',
            version: '0.1.0',
            uptimeSeconds: 75
          })
        : fakeResponse(200, WHOAMI)
    );
    const client = new BridgeClient({ serverSettings: makeSettings() });
    const model = new BridgeStatusModel(client);
    const panel = new BridgeStatusPanel({ model });
    await model.load();
    (panel as any).onUpdateRequest();
    const text = panel.node.textContent ?? '';
    expect(text).toContain('Signed in as Alice Liddell (alice)');
    expect(text).toContain('0.1.0');
    expect(text).toContain('behind Jupyter (proxy)');
    expect(text).toContain('1 min 15 s');
    expect(text).toContain('contents: read, write');
    panel.dispose();
    client.dispose();
  });

  it('shows the reason and a Retry button that loads again', async () => {
    let fail = true;
    mockMakeRequest(new TicketServer(), url =>
      fail
        ? fakeResponse(502, '<html></html>', 'text/html')
        : url.endsWith('healthz')
          ? fakeResponse(200, {
              status: 'ok',
              version: '0.1.0',
              uptimeSeconds: 5
            })
          : fakeResponse(200, WHOAMI)
    );
    const client = new BridgeClient({ serverSettings: makeSettings() });
    const model = new BridgeStatusModel(client);
    const panel = new BridgeStatusPanel({ model });
    await model.load();
    (panel as any).onUpdateRequest();
    expect(panel.node.querySelector('[role="alert"]')?.textContent).toMatch(
      /not answering/
    );
    fail = false;
    const retry = panel.node.querySelector(
      '.jp-BridgeStatus-retry'
    ) as HTMLButtonElement;
    expect(retry.textContent).toBe('Retry');
    retry.click();
    await flush(20);
    (panel as any).onUpdateRequest();
    expect(panel.node.textContent).toContain('Signed in as Alice Liddell');
    panel.dispose();
    client.dispose();
  });
});
