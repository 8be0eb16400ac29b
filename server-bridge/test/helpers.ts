/**
 * Test helpers: ticket signing (the server extension's job, never the bridge's), an
 * in-process bridge on 127.0.0.1:0 with captured logs, and small HTTP and WebSocket clients.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import WebSocket from 'ws';
import type { AuthMode } from '../src/auth/authenticate';
import { ticketSignature } from '../src/auth/tickets';
import { resolveConfig } from '../src/config';
import { REDACT_PATHS } from '../src/logging';
import type { BridgeConfig, TicketPayload } from '../src/schema-types';
import { createBridge, IBridge } from '../src/server';

export const SECRET = randomBytes(32);
export const SERVER_ID = 'test-server-0123456789abcdef';
export const TOKEN = 'standalone-token-' + randomBytes(8).toString('hex');

/** Sign a payload exactly as docs/protocol.md says the server extension does. */
export function signTicket(payload: unknown, secret: Buffer = SECRET): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signed = `v1.${body}`;
  return `${signed}.${ticketSignature(secret, signed).toString('base64url')}`;
}

/** A valid payload for alice, good for five minutes from now. */
export function payload(overrides: Partial<TicketPayload> = {}): TicketPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'alice',
    name: 'Alice Liddell',
    initials: 'AL',
    color: 'var(--jp-collaborator-color1)',
    perms: { contents: ['read', 'write'], kernels: ['read'] },
    aud: SERVER_ID,
    iat: now,
    exp: now + 300,
    ...overrides
  };
}

/** A valid ticket for alice. */
export function ticket(overrides: Partial<TicketPayload> = {}): string {
  return signTicket(payload(overrides));
}

/** The proxy mode every proxy test uses; skew 0 keeps expiry tests short. */
export function proxyMode(skewSeconds = 5): AuthMode {
  return {
    kind: 'proxy',
    policy: {
      secret: SECRET,
      serverId: SERVER_ID,
      maxAgeSeconds: 600,
      skewSeconds
    }
  };
}

/** A logger writing into an array (same redaction as the real one). */
export function captureLogger(level = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    }
  });
  const logger = pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    stream
  );
  return { logger, lines };
}

export interface IRunning {
  bridge: IBridge;
  base: string;
  wsUrl: string;
  lines: string[];
  close(): Promise<void>;
}

/** Start a bridge in-process on 127.0.0.1:0. */
export async function startBridge(
  mode: AuthMode,
  config: BridgeConfig = {},
  extra: { authTimeoutMs?: number; pingIntervalMs?: number } = {}
): Promise<IRunning> {
  const { logger, lines } = captureLogger();
  const bridge = createBridge({
    mode,
    config: resolveConfig(config, {}),
    listen: { host: '127.0.0.1', port: 0 },
    logger,
    ...extra
  });
  const address = await bridge.start();
  return {
    bridge,
    base: `http://${address}`,
    wsUrl: `ws://${address}/ws`,
    lines,
    close: () => bridge.close()
  };
}

export interface IResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): any;
}

/** One HTTP request with full control over method, headers and body bytes. */
export function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer
): Promise<IResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
        agent: false
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text)
          });
        });
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket client that queues what it receives. */
export class TestSocket {
  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', data => {
      const message = JSON.parse(String(data));
      const waiter = this._waiters.shift();
      if (waiter) {
        waiter.resolve(message);
      } else {
        this._queue.push(message);
      }
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`))
      );
      this.ws.once('error', reject);
    });
    // Tests that never await `opened` still see a failure through `closed` or `next()`.
    this.opened.catch(() => undefined);
    this.closed = new Promise(resolve => {
      this.ws.once('close', (code, reason) => {
        resolve({ code, reason: String(reason) });
        // Nothing more will come: fail whoever waits instead of hanging the test.
        for (const waiter of this._waiters.splice(0)) {
          waiter.reject(new Error(`socket closed (${code} ${reason})`));
        }
      });
    });
    // Errors after open show up as a close; keep them from being unhandled.
    this.ws.on('error', () => undefined);
  }

  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  /** The next message received (already received ones first). */
  next(): Promise<any> {
    const queued = this._queue.shift();
    if (queued !== undefined) {
      return Promise.resolve(queued);
    }
    if (this.ws.readyState === WebSocket.CLOSED) {
      return Promise.reject(new Error('socket closed'));
    }
    return new Promise((resolve, reject) =>
      this._waiters.push({ resolve, reject })
    );
  }

  /** The next message of a given type, skipping others. */
  async nextOfType(type: string): Promise<any> {
    for (;;) {
      const message = await this.next();
      if (message.type === type) {
        return message;
      }
    }
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): void {
    this.ws.close();
  }

  private _queue: any[] = [];
  private _waiters: {
    resolve(message: any): void;
    reject(err: Error): void;
  }[] = [];
}
