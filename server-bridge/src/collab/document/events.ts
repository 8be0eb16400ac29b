/**
 * The Jupyter server's contents events (saves, renames, deletions... made through Jupyter's
 * contents API), as the server extension streams them to the bridge:
 *
 *     GET {MLINFN_SERVER_URL}mlinfn/bridge/events
 *     X-Mlinfn-Bridge-Auth: <unix seconds>.<hex HMAC>        (as for mlinfn/bridge/kernels)
 *
 * answered with NDJSON, one object per line, as things happen:
 *
 *     {"action": "ready"}                                    first line of every connection
 *     {"action": "save", "path": "dir/a.ipynb"}              also create, upload, delete
 *     {"action": "rename", "path": "old.ipynb", "newPath": "new.ipynb"}     also copy
 *     {"action": "heartbeat"}                                every 15 s when nothing else
 *
 * Paths are Jupyter API paths: relative to the root directory, '/'-separated. Events are not
 * replayed: whatever happened while the stream was down is lost, so `onConnect` (called at every
 * "ready", the first connection included) is where the room server re-checks every open file
 * against the disk. This client reconnects for ever, with backoff, until closed, and treats 45 s
 * without a line as a dead connection. It works with `http://`, `https://` and `http+unix://`
 * server URLs (the last when Jupyter listens on a unix socket).
 */
import http from 'node:http';
import https from 'node:https';
import { bridgeAuthHeader } from '../../jupyter/client';

/** One contents event. */
export interface IContentsEvent {
  action: 'save' | 'create' | 'upload' | 'delete' | 'rename' | 'copy';
  /** The file acted on; for rename and copy, the source. */
  path: string;
  /** For rename and copy: the destination. */
  newPath?: string;
}

/** Options of {@link createContentsEventStream}. */
export interface IContentsEventStreamOptions {
  /** `MLINFN_SERVER_URL`: the server's URL with its base URL. */
  serverUrl: string;
  /** The signing secret shared with the server extension. */
  secret: Buffer;
  onEvent(event: IContentsEvent): void;
  /** Every (re)connection: events may have been missed, re-check what matters. */
  onConnect?(): void;
  /** The stream is down (it reconnects by itself). */
  onDisconnect?(reason: string): void;
  /** Backoff between attempts: from this (default 1 s)... */
  reconnectMinMs?: number;
  /** ...doubling up to this (default 30 s). */
  reconnectMaxMs?: number;
  /** No line for this long (default 45 s: three heartbeats) means the connection is dead. */
  idleTimeoutMs?: number;
}

/** A running stream. */
export interface IContentsEventStream {
  /** Whether the stream is up (its "ready" line arrived). */
  readonly connected: boolean;
  /** Stop for good. */
  close(): void;
}

const ACTIONS = new Set([
  'save',
  'create',
  'upload',
  'delete',
  'rename',
  'copy'
]);
/** A line longer than this is not ours: drop the connection. */
const MAX_LINE = 1 << 20;

/** Where to send the request: URL plus, for `http+unix://`, the socket path. */
export function eventsTarget(serverUrl: string): {
  url: URL;
  socketPath?: string;
} {
  const base = serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`;
  if (base.startsWith('http+unix://')) {
    // http+unix://<socket path with each / as %2F>/base/: jupyter_server's connection_url
    // form (urlencode_unix_socket encodes the slashes only, and decodes them only).
    const rest = base.slice('http+unix://'.length);
    const slash = rest.indexOf('/');
    const socketPath = rest.slice(0, slash).replace(/%2F/gi, '/');
    const url = new URL(
      `http://localhost${rest.slice(slash)}mlinfn/bridge/events`
    );
    return { url, socketPath };
  }
  return { url: new URL('mlinfn/bridge/events', base) };
}

/** Parse one line; undefined for anything that is not an event or control line. */
export function parseEventLine(
  line: string
): IContentsEvent | { action: 'ready' | 'heartbeat' } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const { action, path, newPath } = value as Record<string, unknown>;
  if (action === 'ready' || action === 'heartbeat') {
    return { action };
  }
  if (
    typeof action !== 'string' ||
    !ACTIONS.has(action) ||
    typeof path !== 'string'
  ) {
    return undefined;
  }
  if (newPath !== undefined && typeof newPath !== 'string') {
    return undefined;
  }
  const event: IContentsEvent = {
    action: action as IContentsEvent['action'],
    path
  };
  if (typeof newPath === 'string') {
    event.newPath = newPath;
  }
  return event;
}

/** Connect to the contents events stream and keep it connected until `close()`. */
export function createContentsEventStream(
  options: IContentsEventStreamOptions
): IContentsEventStream {
  const minDelay = options.reconnectMinMs ?? 1000;
  const maxDelay = options.reconnectMaxMs ?? 30000;
  const idleTimeout = options.idleTimeoutMs ?? 45000;
  const { url, socketPath } = eventsTarget(options.serverUrl);
  const transport = url.protocol === 'https:' ? https : http;

  let closed = false;
  let connected = false;
  let delay = minDelay;
  let request: http.ClientRequest | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  const call = (fn: (() => void) | undefined) => {
    try {
      fn?.();
    } catch {
      // A consumer's exception must not kill the stream.
    }
  };

  const down = (reason: string) => {
    if (idleTimer) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
    }
    const req = request;
    request = undefined;
    req?.destroy();
    connected = false;
    if (!closed) {
      call(() => options.onDisconnect?.(reason));
    }
    if (!closed && !retryTimer) {
      const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
      delay = Math.min(delay * 2, maxDelay);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        connect();
      }, wait);
    }
  };

  const connect = () => {
    if (closed) {
      return;
    }
    const req = transport.request(url, {
      method: 'GET',
      socketPath,
      headers: {
        'X-Mlinfn-Bridge-Auth': bridgeAuthHeader(
          options.secret,
          Date.now() / 1000
        ),
        Accept: 'application/x-ndjson'
      }
    });
    request = req;
    const armIdle = () => {
      if (idleTimer) {
        clearTimeout(idleTimer);
      }
      idleTimer = setTimeout(() => {
        if (request === req) {
          down(`no line from Jupyter for ${idleTimeout} ms`);
        }
      }, idleTimeout);
    };
    armIdle();
    req.on('response', response => {
      if (request !== req) {
        response.resume();
        return;
      }
      if (response.statusCode !== 200) {
        response.resume();
        down(`Jupyter answered ${response.statusCode} for ${url.pathname}`);
        return;
      }
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk: string) => {
        if (request !== req) {
          return;
        }
        armIdle();
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) {
            continue;
          }
          const parsed = parseEventLine(line);
          if (!parsed || parsed.action === 'heartbeat') {
            continue;
          }
          if (parsed.action === 'ready') {
            connected = true;
            delay = minDelay;
            call(() => options.onConnect?.());
          } else {
            const event = parsed as IContentsEvent;
            call(() => options.onEvent(event));
          }
          if (request !== req) {
            return; // closed by a callback
          }
        }
        if (buffer.length > MAX_LINE) {
          down('a line from Jupyter is too long');
        }
      });
      response.on('end', () => {
        if (request === req) {
          down('Jupyter ended the stream');
        }
      });
      response.on('error', err => {
        if (request === req) {
          down(`the stream failed: ${err.message}`);
        }
      });
    });
    req.on('error', err => {
      if (request === req) {
        down(`cannot reach Jupyter: ${err.message}`);
      }
    });
    req.end();
  };

  connect();
  return {
    get connected() {
      return connected;
    },
    close() {
      if (closed) {
        return;
      }
      closed = true;
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      if (idleTimer) {
        clearTimeout(idleTimer);
        idleTimer = undefined;
      }
      const req = request;
      request = undefined;
      connected = false;
      req?.destroy();
    }
  };
}
