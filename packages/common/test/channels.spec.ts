import { ChannelConnection } from '../src/channels';
import { TicketManager } from '../src/ticket';
import {
  FakeWebSocket,
  flush,
  makeSettings,
  mockMakeRequest,
  READY,
  TicketServer
} from './utils';

describe('ChannelConnection', () => {
  let server: TicketServer;
  let tickets: TicketManager;
  let connection: ChannelConnection;

  function create(
    options: Partial<ChannelConnection.IOptions> = {},
    settings = makeSettings()
  ): ChannelConnection {
    tickets = new TicketManager({ serverSettings: settings });
    connection = new ChannelConnection({
      serverSettings: settings,
      tickets,
      random: () => 0,
      ...options
    });
    return connection;
  }

  /** Connect, open and say `ready`; returns the socket. */
  async function ready(): Promise<FakeWebSocket> {
    connection.connect();
    await flush();
    const socket = FakeWebSocket.last;
    socket.open();
    await flush();
    socket.receive(READY);
    return socket;
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_764_000_000_000 });
    FakeWebSocket.instances = [];
    server = new TicketServer();
    mockMakeRequest(server);
  });

  afterEach(() => {
    connection?.dispose();
    tickets?.dispose();
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('opens {wsUrl}mlinfn-bridge/ws and authenticates first', async () => {
    create();
    expect(connection.connectionState).toBe('disconnected');
    connection.subscribe('system', () => undefined);
    await flush();
    expect(connection.connectionState).toBe('connecting');
    expect(FakeWebSocket.instances).toHaveLength(1);
    const socket = FakeWebSocket.last;
    expect(socket.url).toBe('ws://localhost:8888/lab-base/mlinfn-bridge/ws');

    socket.open();
    await flush();
    expect(socket.sent).toEqual([{ type: 'auth', ticket: 't1' }]);

    socket.receive(READY);
    expect(connection.connectionState).toBe('connected');
    expect(connection.identity?.username).toBe('alice');
    expect(socket.sent[1]).toEqual({ type: 'subscribe', channel: 'system' });
  });

  it('appends ?token= only when the settings have a token to append', () => {
    create({}, makeSettings({ token: 's3cr et', appendToken: true }));
    expect(connection.url).toBe(
      'ws://localhost:8888/lab-base/mlinfn-bridge/ws?token=s3cr%20et'
    );
    connection.dispose();
    create({}, makeSettings({ token: '', appendToken: true }));
    expect(connection.url).toBe(
      'ws://localhost:8888/lab-base/mlinfn-bridge/ws'
    );
    connection.dispose();
    create({}, makeSettings({ token: 'abc', appendToken: false }));
    expect(connection.url).toBe(
      'ws://localhost:8888/lab-base/mlinfn-bridge/ws'
    );
  });

  it('reference-counts subscriptions per channel', async () => {
    create();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const subA = connection.subscribe('system', p => a.push(p));
    const subB = connection.subscribe('system', p => b.push(p));
    const socket = await ready();
    expect(
      socket.sent.filter(m => m.type === 'subscribe' && m.channel === 'system')
    ).toHaveLength(1);

    // A third handler after `ready` sends nothing more.
    const subC = connection.subscribe('system', () => undefined);
    expect(socket.sent.filter(m => m.type === 'subscribe')).toHaveLength(1);

    socket.receive({ type: 'data', channel: 'system', payload: { n: 1 } });
    socket.receive({ type: 'data', channel: 'other', payload: { n: 2 } });
    expect(a).toEqual([{ n: 1 }]);
    expect(b).toEqual([{ n: 1 }]);

    subA.dispose();
    subC.dispose();
    expect(socket.sent.filter(m => m.type === 'unsubscribe')).toHaveLength(0);
    socket.receive({ type: 'data', channel: 'system', payload: { n: 3 } });
    expect(a).toEqual([{ n: 1 }]);
    expect(b).toEqual([{ n: 1 }, { n: 3 }]);

    subB.dispose();
    subB.dispose();
    expect(socket.sent.filter(m => m.type === 'unsubscribe')).toEqual([
      { type: 'unsubscribe', channel: 'system' }
    ]);
    expect(connection.channels).toEqual([]);
  });

  it('keeps delivering when one handler throws', async () => {
    create();
    const got: unknown[] = [];
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    connection.subscribe('system', () => {
      throw new Error('boom');
    });
    connection.subscribe('system', p => got.push(p));
    const socket = await ready();
    socket.receive({ type: 'data', channel: 'system', payload: 1 });
    expect(got).toEqual([1]);
  });

  it('refuses an invalid channel name', () => {
    create();
    expect(() => connection.subscribe('Bad Name', () => undefined)).toThrow(
      /Invalid channel/
    );
  });

  it('reconnects with backoff, then authenticates and subscribes again', async () => {
    create({ minDelay: 1000, maxDelay: 8000 });
    const states: string[] = [];
    connection.stateChanged.connect((_, s) => states.push(s));
    connection.subscribe('system', () => undefined);
    connection.subscribe('metrics/gpu', () => undefined);
    const first = await ready();

    first.serverClose(1006);
    expect(connection.connectionState).toBe('disconnected');
    // random() = 0: the first delay is half of minDelay.
    await jest.advanceTimersByTimeAsync(499);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    const second = FakeWebSocket.last;
    second.open();
    await flush();
    expect(second.sent[0]).toEqual({ type: 'auth', ticket: 't1' });
    second.receive(READY);
    expect(second.sent.slice(1)).toEqual([
      { type: 'subscribe', channel: 'system' },
      { type: 'subscribe', channel: 'metrics/gpu' }
    ]);
    expect(states).toEqual([
      'connecting',
      'connected',
      'disconnected',
      'connecting',
      'connected'
    ]);
  });

  it('backs off exponentially up to the cap, and resets after ready', async () => {
    create({ minDelay: 1000, maxDelay: 4000, random: () => 1 });
    connection.connect();
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = FakeWebSocket.instances.length;
      FakeWebSocket.last.serverClose(1006);
      let waited = 0;
      while (FakeWebSocket.instances.length === before && waited < 60_000) {
        await jest.advanceTimersByTimeAsync(250);
        waited += 250;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);

    const socket = FakeWebSocket.last;
    socket.open();
    await flush();
    socket.receive(READY);
    socket.serverClose(1006);
    const before = FakeWebSocket.instances.length;
    await jest.advanceTimersByTimeAsync(1000);
    expect(FakeWebSocket.instances.length).toBe(before + 1);
  });

  it('forwards a refreshed ticket on the open socket', async () => {
    create();
    connection.subscribe('system', () => undefined);
    const socket = await ready();
    await tickets.refresh();
    expect(socket.sent[socket.sent.length - 1]).toEqual({
      type: 'ticket',
      ticket: 't2'
    });
  });

  it('gets a fresh ticket before reconnecting after a 4401 close', async () => {
    create();
    connection.subscribe('system', () => undefined);
    const first = await ready();
    first.serverClose(4401);
    await jest.advanceTimersByTimeAsync(1000);
    const second = FakeWebSocket.last;
    expect(second).not.toBe(first);
    second.open();
    await flush();
    expect(second.sent[0]).toEqual({ type: 'auth', ticket: 't2' });
  });

  it('closes for good when disposed', async () => {
    create();
    connection.subscribe('system', () => undefined);
    const socket = await ready();
    connection.dispose();
    expect(socket.closedWith).toBe(1000);
    expect(connection.connectionState).toBe('disconnected');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});
