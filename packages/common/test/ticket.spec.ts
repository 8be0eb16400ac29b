import { BridgeError } from '../src/errors';
import { TicketManager } from '../src/ticket';
import {
  flush,
  makeSettings,
  mockMakeRequest,
  rejection,
  TicketServer
} from './utils';

describe('TicketManager', () => {
  let server: TicketServer;
  let spy: jest.SpyInstance;
  let manager: TicketManager;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_764_000_000_000 });
    server = new TicketServer(300);
    spy = mockMakeRequest(server);
    manager = new TicketManager({ serverSettings: makeSettings() });
  });

  afterEach(() => {
    manager.dispose();
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('gets the ticket from {baseUrl}mlinfn/ticket and caches it', async () => {
    expect(await manager.ticket()).toBe('t1');
    expect(await manager.ticket()).toBe('t1');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0]).toBe(
      'http://localhost:8888/lab-base/mlinfn/ticket'
    );
    expect(manager.expiresAt).toBe(1_764_000_000_000 + 300_000);
  });

  it('shares one request between concurrent refreshes', async () => {
    const all = await Promise.all([
      manager.refresh(),
      manager.refresh(),
      manager.ticket()
    ]);
    expect(all).toEqual(['t1', 't1', 't1']);
    expect(server.count).toBe(1);
  });

  it('refreshes at 80% of the life and signals it', async () => {
    const refreshed: string[] = [];
    manager.refreshed.connect((_, t) => refreshed.push(t));
    await manager.ticket();
    expect(refreshed).toEqual(['t1']);

    await jest.advanceTimersByTimeAsync(239_000);
    expect(server.count).toBe(1);

    await jest.advanceTimersByTimeAsync(2_000);
    expect(server.count).toBe(2);
    expect(refreshed).toEqual(['t1', 't2']);
    expect(await manager.ticket()).toBe('t2');
  });

  it('fetches a new ticket on demand once the refresh point has passed', async () => {
    await manager.ticket();
    // A throttled background tab: the clock moves on without the timer firing first.
    jest.setSystemTime(Date.now() + 250_000);
    expect(await manager.ticket()).toBe('t2');
  });

  it('says "log in again" when Jupyter refuses the ticket', async () => {
    server.status = 403;
    const error = await rejection(manager.ticket());
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe(BridgeError.Code.loginExpired);
    expect(error.reason).toMatch(/log in again/);
  });

  it('stops refreshing once disposed', async () => {
    await manager.ticket();
    manager.dispose();
    await jest.advanceTimersByTimeAsync(600_000);
    await flush();
    expect(server.count).toBe(1);
  });
});
