/**
 * Helpers for the room-server tests: real y-websocket clients, a room server on
 * 127.0.0.1:0 (with the document layer's real adapters and file agent, or small fakes for
 * the unit tests), seeded randomness, polling.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import diff from 'fast-diff';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { AuthMode } from '../../src/auth/authenticate';
import {
  createCollabModule,
  ICollabModule,
  IDocumentAdapter,
  IFileAgent
} from '../../src/collab/index';
import type {
  CollabConfig,
  CollabEpochMessage,
  CollabRoomStatus
} from '../../src/schema-types';
import { captureLogger } from '../helpers';
import { Registry } from 'prom-client';

export const sha = (data: Uint8Array | string) =>
  createHash('sha256').update(data).digest('hex');

// Many providers each add a process 'exit' listener.
process.setMaxListeners(200);

/** Poll until `check` returns something truthy. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 8000,
  everyMs = 10
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value as NonNullable<T>;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) =>
  new Promise<void>(resolve => setTimeout(resolve, ms));

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p
  };
}

// ---- fakes for unit tests (the integration tests use the real document layer) ----------

/**
 * A text adapter in YFile's layout (`getText('source')`), enough to test the room server:
 * three-way merge of disk changes by character diff; content holding "<<CONFLICT>>" cannot
 * be merged; content that is not UTF-8 is read-only.
 */
export function fakeTextAdapter(): IDocumentAdapter {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes: Uint8Array) => decoder.decode(bytes);
  return {
    kind: 'file',
    seed(doc, content) {
      let text: string;
      try {
        text = decode(content);
      } catch {
        throw Object.assign(new Error('not UTF-8: read-only'), {
          name: 'DocumentError',
          readOnly: true
        });
      }
      serverEdit(doc, () => doc.getText('source').insert(0, text));
    },
    serialize(doc) {
      return new TextEncoder().encode(doc.getText('source').toString());
    },
    applyDiskChange(doc, base, disk) {
      const diskText = new TextDecoder().decode(disk);
      if (diskText.includes('<<CONFLICT>>')) {
        return { conflict: disk };
      }
      const baseText = decode(base);
      const ytext = doc.getText('source');
      const current = ytext.toString();
      // Map base offsets to current offsets through diff(base, current).
      const toCurrent = offsetMap(baseText, current);
      const edits: { at: number; del: number; ins: string }[] = [];
      let pos = 0;
      for (const [op, text] of diff(baseText, diskText)) {
        if (op === diff.EQUAL) {
          pos += text.length;
        } else if (op === diff.DELETE) {
          const from = toCurrent(pos);
          const to = toCurrent(pos + text.length);
          edits.push({ at: from, del: Math.max(0, to - from), ins: '' });
          pos += text.length;
        } else {
          edits.push({ at: toCurrent(pos), del: 0, ins: text });
        }
      }
      serverEdit(doc, () => {
        for (const edit of edits.reverse()) {
          if (edit.del) {
            ytext.delete(edit.at, edit.del);
          }
          if (edit.ins) {
            ytext.insert(edit.at, edit.ins);
          }
        }
      });
      return 'merged';
    }
  };
}

function offsetMap(from: string, to: string): (offset: number) => number {
  const ops = diff(from, to);
  return (offset: number) => {
    let a = 0;
    let b = 0;
    for (const [op, text] of ops) {
      if (op === diff.EQUAL) {
        if (offset <= a + text.length) {
          return b + (offset - a);
        }
        a += text.length;
        b += text.length;
      } else if (op === diff.DELETE) {
        if (offset <= a + text.length) {
          return b;
        }
        a += text.length;
      } else {
        b += text.length;
      }
    }
    return b;
  };
}

/** An edit under a fresh client id, as the document layer makes server edits. */
function serverEdit(doc: Y.Doc, edit: () => void): void {
  const own = doc.clientID;
  doc.clientID = Math.floor(Math.random() * 2 ** 31);
  try {
    doc.transact(edit, 'server-edit');
  } finally {
    doc.clientID = own;
  }
}

/** A file agent on the in-process fs (unit tests only; the real one is a child process). */
export function fsFileAgent(
  root: string,
  options: { readDelayMs?: number; failWrites?: () => boolean } = {}
): IFileAgent & { reads: number; writes: number } {
  const full = (rel: string) => path.join(root, rel);
  const agent = {
    reads: 0,
    writes: 0,
    async read(rel: string) {
      agent.reads++;
      if (options.readDelayMs) {
        await sleep(options.readDelayMs);
      }
      try {
        const content = new Uint8Array(await readFile(full(rel)));
        const { mtimeMs } = await stat(full(rel));
        return { content, hash: sha(content), mtimeMs };
      } catch {
        return null;
      }
    },
    async stat(rel: string) {
      try {
        const s = await stat(full(rel));
        return { mtimeMs: s.mtimeMs, size: s.size };
      } catch {
        return null;
      }
    },
    async writeAtomic(rel: string, content: Uint8Array) {
      if (options.failWrites?.()) {
        throw new Error('disk full');
      }
      agent.writes++;
      const tmp = `${full(rel)}.tmp`;
      await mkdir(path.dirname(full(rel)), { recursive: true });
      await writeFile(tmp, content);
      await rename(tmp, full(rel));
      const { mtimeMs } = await stat(full(rel));
      return { content, hash: sha(content), mtimeMs };
    },
    async writeConflictCopy(rel: string, content: Uint8Array) {
      const copy = rel.replace(/(\.[^./]*)?$/, '.conflict$1');
      await writeFile(full(copy), content);
      return copy;
    },
    async close() {
      // nothing to stop
    }
  };
  return agent;
}

// ---- a room server without the rest of the bridge ---------------------------------------

export interface IRooms {
  module: ICollabModule;
  /** ws://127.0.0.1:PORT/collab */
  url: string;
  lines: string[];
  registry: Registry;
  close(): Promise<void>;
}

/** The collab module alone on an HTTP server at 127.0.0.1:0 (fakes unless given). */
export async function startRooms(options: {
  stateDir: string;
  rootDir: string;
  config?: CollabConfig;
  mode?: AuthMode;
  adapterFor?: (kind: 'notebook' | 'file') => IDocumentAdapter;
  fileAgent?: IFileAgent;
  /** Listen on this port (a restart keeps the clients' URL); 0 picks one. */
  port?: number;
}): Promise<IRooms> {
  const { logger, lines } = captureLogger('debug');
  const registry = new Registry();
  const module = createCollabModule({
    config: options.config,
    stateDir: options.stateDir,
    rootDir: options.rootDir,
    logger,
    registry,
    adapterFor: options.adapterFor ?? (() => fakeTextAdapter()),
    fileAgent: options.fileAgent ?? fsFileAgent(options.rootDir),
    auth: options.mode ?? { kind: 'standalone', token: TEST_TOKEN }
  });
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (module.handles(req.url)) {
      module.handleUpgrade(req, socket, head);
    } else {
      socket.destroy();
    }
  });
  await new Promise<void>(resolve =>
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  );
  const { port } = server.address() as AddressInfo;
  return {
    module,
    url: `ws://127.0.0.1:${port}/collab`,
    lines,
    registry,
    async close() {
      await module.close();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  };
}

export const TEST_TOKEN = 'collab-test-token';

/** The port of a `ws://host:port/...` URL. */
export const portOf = (url: string) => Number(new URL(url).port);

/** A bare WebSocket to a room: what the room sends, how it closes, or the refusal. */
export function rawSocket(
  url: string,
  room: string,
  query = `token=${TEST_TOKEN}`
) {
  const ws = new WebSocket(`${url}/${encodeURIComponent(room)}?${query}`);
  const messages: Uint8Array[] = [];
  ws.binaryType = 'nodebuffer';
  ws.on('message', data => messages.push(new Uint8Array(data as Buffer)));
  const opened = new Promise<number>(resolve => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      let body = '';
      res.on('data', d => (body += d));
      res.on('end', () => (refusal.body = body));
    });
    ws.once('error', () => resolve(0));
  });
  const refusal = { body: '' };
  const closed = new Promise<{ code: number; reason: string }>(resolve =>
    ws.once('close', (code, reason) =>
      resolve({ code, reason: String(reason) })
    )
  );
  ws.on('error', () => undefined);
  return { ws, messages, opened, closed, refusal };
}

// ---- y-websocket clients ----------------------------------------------------------------

/** A real y-websocket client that records the room's own messages. */
export class TestClient {
  constructor(
    serverUrl: string,
    readonly room: string,
    options: {
      doc?: Y.Doc;
      params?: Record<string, string>;
      awareness?: WebsocketProvider['awareness'];
      connect?: boolean;
    } = {}
  ) {
    this.doc = options.doc ?? new Y.Doc();
    this.provider = new WebsocketProvider(
      serverUrl,
      encodeURIComponent(room),
      this.doc,
      {
        params: { token: TEST_TOKEN, ...(options.params ?? {}) },
        WebSocketPolyfill: WebSocket as any,
        disableBc: true,
        maxBackoffTime: 200,
        awareness: options.awareness,
        connect: options.connect ?? true
      }
    );
    const handlers = this.provider.messageHandlers;
    handlers[4] = (_e, decoder) => {
      const seq = decoding.readVarUint(decoder);
      const clocks = Y.decodeStateVector(decoding.readVarUint8Array(decoder));
      this.durable.push({ seq, clocks });
      for (const [client, clock] of clocks) {
        this.durableClocks.set(
          client,
          Math.max(clock, this.durableClocks.get(client) ?? 0)
        );
      }
    };
    handlers[5] = (_e, decoder) => {
      this.statuses.push(JSON.parse(decoding.readVarString(decoder)));
    };
    handlers[6] = (_e, decoder) => {
      const message: CollabEpochMessage = JSON.parse(
        decoding.readVarString(decoder)
      );
      this.epochs.push(message);
      if (!message.reload) {
        // As the front end does: later connections say which history this doc holds.
        this.provider.params.epoch = message.epoch;
      }
    };
    this.provider.on('closed', event => {
      this.closed = event;
    });
    this.provider.on('connection-close', event => {
      if (event) {
        this.closes.push({ code: event.code, reason: event.reason });
      }
    });
  }

  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly statuses: CollabRoomStatus[] = [];
  readonly epochs: CollabEpochMessage[] = [];
  readonly durable: { seq: number; clocks: Map<number, number> }[] = [];
  readonly durableClocks = new Map<number, number>();
  readonly closes: { code: number; reason: string }[] = [];
  closed?: { code: number; reason: string };

  get text(): string {
    return this.doc.getText('source').toString();
  }

  /** Resolves once the provider has synced (again). */
  synced(what = 'sync'): Promise<boolean> {
    return waitFor(() => this.provider.synced, `${this.room} ${what}`);
  }

  /** Whether every local edit of this client is durable on the server. */
  get allDurable(): boolean {
    const own = Y.getState(this.doc.store, this.doc.clientID);
    return own === 0 || (this.durableClocks.get(this.doc.clientID) ?? 0) >= own;
  }

  destroy(): void {
    this.provider.destroy();
    // y-websocket leaves the awareness (and its 3 s timer) to its owner.
    this.provider.awareness.destroy();
  }
}

// ---- @jupyter/ydoc under jest ------------------------------------------------------------

/**
 * @jupyter/ydoc ships ES modules only, which jest (CommonJS here) cannot load untransformed:
 * bundle it once into CommonJS with esbuild, leaving yjs, y-protocols and lumino external so
 * that the clients share the one yjs instance with the server and y-websocket.
 */
export function loadYdoc(): typeof import('@jupyter/ydoc') {
  // @jupyter/ydoc's cell constructors read their shared types before they are inserted,
  // which yjs 13.6 reports on console.warn ("Invalid access..."): harmless, and noise here.
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (String(args[0]).startsWith('Invalid access: Add Yjs type')) {
      return;
    }
    warn(...args);
  };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = require.resolve('@jupyter/ydoc/lib/index.js');
  const version = JSON.parse(
    require('node:fs').readFileSync(
      path.join(path.dirname(entry), '..', 'package.json'),
      'utf8'
    )
  ).version;
  const dir = path.join(
    __dirname,
    '..',
    '..',
    'node_modules',
    '.cache',
    'collab-tests'
  );
  const out = path.join(dir, `jupyter-ydoc-${version}.cjs`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const result = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      external: [
        'yjs',
        'y-protocols',
        'y-protocols/*',
        '@lumino/*',
        'lib0',
        'lib0/*'
      ],
      logLevel: 'warning'
    });
    const tmp = `${out}.${process.pid}`;
    writeFileSync(tmp, result.outputFiles[0].contents);
    renameSync(tmp, out);
  }
  return require(out);
}

/**
 * A notebook of `cells` code cells, each with a text output of `outputBytes`, as nbformat writes
 * it (big ones need more than one sync message).
 */
export function bigNotebook(cells: number, outputBytes: number): Uint8Array {
  const nb = {
    cells: Array.from({ length: cells }, (_, i) => ({
      cell_type: 'code',
      execution_count: i + 1,
      id: `c${i}`,
      metadata: {},
      outputs: [
        {
          name: 'stdout',
          output_type: 'stream',
          text: `${i}:`.padEnd(outputBytes, 'x')
        }
      ],
      source: `print(${i})`
    })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  };
  return new TextEncoder().encode(JSON.stringify(nb, null, 1) + '\n');
}
