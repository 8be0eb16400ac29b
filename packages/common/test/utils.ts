// Shared fakes for the unit tests: a fake `Response`, a `makeRequest` router and a fake
// WebSocket that records what is sent and lets a test play the bridge's side.
import { ServerConnection } from '@jupyterlab/services';

/**
 * A minimal `Response` with a status and a text body.
 */
export function fakeResponse(
  status: number,
  body: unknown = '',
  contentType = 'application/json'
): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: new Headers({ 'Content-Type': contentType }),
    text: async () => text,
    json: async () => JSON.parse(text)
  } as unknown as Response;
}

/**
 * The base URL of the fake server.
 */
export const BASE_URL = 'http://localhost:8888/lab-base/';

/**
 * Settings for the fake server.
 */
export function makeSettings(
  options: Partial<ServerConnection.ISettings> = {}
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: BASE_URL,
    wsUrl: 'ws://localhost:8888/lab-base/',
    token: '',
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    ...options
  });
}

/**
 * Answers to the ticket endpoint: "t1", "t2", … each living `lifeSeconds` from now.
 */
export class TicketServer {
  constructor(public lifeSeconds = 300) {}
  count = 0;
  status = 200;
  answer(): Response {
    if (this.status !== 200) {
      return fakeResponse(this.status, { message: 'nope' });
    }
    this.count++;
    return fakeResponse(200, {
      ticket: `t${this.count}`,
      expiresAt: Math.floor(Date.now() / 1000) + this.lifeSeconds
    });
  }
}

/**
 * Replace `ServerConnection.makeRequest` with a router: the ticket endpoint is answered by
 * `tickets`, everything else by `bridge`.
 */
export function mockMakeRequest(
  tickets: TicketServer,
  bridge: (
    url: string,
    init: RequestInit
  ) => Response | Promise<Response> = () =>
    fakeResponse(404, 'not found', 'text/html')
): jest.SpyInstance {
  return jest
    .spyOn(ServerConnection, 'makeRequest')
    .mockImplementation(async (url: string, init: RequestInit) => {
      if (url === `${BASE_URL}mlinfn/ticket`) {
        return tickets.answer();
      }
      return bridge(url, init);
    });
}

/**
 * Let pending promise callbacks run.
 */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await Promise.resolve();
  }
}

/**
 * A fake WebSocket: records sent messages; `open()`, `receive()` and `serverClose()` play
 * the bridge.
 */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  constructor(public url: string) {
    FakeWebSocket.instances.push(this);
  }

  readyState = 0;
  sent: any[] = [];
  closedWith: number | null = null;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000): void {
    this.readyState = 3;
    this.closedWith = code;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
}

/**
 * A `ready` message for alice.
 */
export const READY = {
  type: 'ready',
  serverTime: 1764000000000,
  user: {
    username: 'alice',
    name: 'Alice Liddell',
    initials: 'AL',
    color: null,
    permissions: { contents: ['read', 'write'] }
  }
};

/**
 * The error a promise rejects with (fails the test if it resolves).
 */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
