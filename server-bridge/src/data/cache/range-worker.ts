/**
 * The staging's worker thread: ranged GETs written straight into the cache file and hashed as
 * they stream, and hashing of bytes already in the file. It runs in `worker_threads` (see
 * worker-pool.ts), so neither the socket reads, the MD5/SHA-256 nor the writes ever hold the
 * bridge's event loop; sync file calls here only hold this thread.
 *
 * Why its own HTTP/1.1 client on a raw socket: a 1 GiB staging through the SDK's body stream
 * costs a fresh 64 KiB buffer per socket read (allocation, page faults, GC: about as much CPU as
 * the MD5 itself on a two-core machine shared with the storage). Here a plain-HTTP socket reads
 * into one reused 1 MiB buffer (`onread`), each piece is hashed and written with `writeSync`
 * before the next read, and no byte is copied in JavaScript. TLS sockets use `data` events.
 *
 * The function is run from its source text (`new Worker(src, { eval: true })`), so it must not
 * use anything from outside its own body: only `require` of Node's built-in modules.
 */
import type {
  IWorkerFailure,
  WorkerReply,
  WorkerRequest
} from './worker-protocol';

/* eslint-disable @typescript-eslint/no-require-imports */
export function rangeWorkerMain(): void {
  const { parentPort } = require('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const net = require('node:net') as typeof import('node:net');
  const tls = require('node:tls') as typeof import('node:tls');
  const crypto = require('node:crypto') as typeof import('node:crypto');

  /** Read and write pieces (and the plain socket's read buffer). */
  const PIECE = 1024 * 1024;
  /** Progress is reported every this many bytes of a task. */
  const REPORT = 4 * 1024 * 1024;
  /** Most bytes of response head, and of an error body, that are read. */
  const MAX_HEAD = 64 * 1024;
  /** A socket that stays silent this long fails the range (it is retried). */
  const IDLE_MS = 60000;
  /** Idle keep-alive sockets per origin. */
  const MAX_IDLE = 8;

  const post = (reply: WorkerReply) => parentPort.postMessage(reply);

  class Failure extends Error {
    constructor(readonly info: Omit<IWorkerFailure, 'received'>) {
      super(info.message);
    }
  }

  /** MD5 of each part of `partSize` bytes, fed in order from a part boundary. */
  class PartHasher {
    constructor(private readonly partSize: number) {}
    update(bytes: Buffer): void {
      let offset = 0;
      while (offset < bytes.length) {
        const take = Math.min(
          this.partSize - this.inPart,
          bytes.length - offset
        );
        this.hash.update(bytes.subarray(offset, offset + take));
        this.inPart += take;
        offset += take;
        if (this.inPart === this.partSize) {
          this.close();
        }
      }
    }
    finish(): string[] {
      if (this.inPart > 0) {
        this.close();
      }
      return this.digests;
    }
    private close(): void {
      this.digests.push(this.hash.digest('hex'));
      this.hash = crypto.createHash('md5');
      this.inPart = 0;
    }
    private hash = crypto.createHash('md5');
    private inPart = 0;
    private readonly digests: string[] = [];
  }

  /** A connection, with where its bytes go now. */
  interface IConn {
    socket: import('node:net').Socket;
    key: string;
    onData: (piece: Buffer) => void;
    onEnd: (err: Failure) => void;
    broken: boolean;
  }

  const idle = new Map<string, IConn[]>();
  const cancels = new Map<number, () => void>();
  const sessions = new Map<
    number,
    { plain?: import('node:crypto').Hash; parts: PartHasher[] }
  >();

  function connect(url: URL): Promise<IConn> {
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port) || (secure ? 443 : 80);
    return new Promise((resolve, reject) => {
      const conn = {
        key: `${url.protocol}//${url.host}`,
        onData: () => undefined,
        onEnd: () => undefined,
        broken: false
      } as unknown as IConn;
      let connected = false;
      const ready = () => {
        connected = true;
        socket.removeListener('error', early);
        socket.setNoDelay(true);
        resolve(conn);
      };
      // Before the connection is made: refused, unreachable, or no answer in time.
      const early = (err: NodeJS.ErrnoException) =>
        reject(
          new Failure({
            transient: true,
            code: err.code ?? 'ECONNREFUSED',
            message: 'the storage could not be reached'
          })
        );
      let socket: import('node:net').Socket;
      if (secure) {
        socket = tls.connect(
          {
            host,
            port,
            servername: net.isIP(host) ? undefined : host,
            ALPNProtocols: ['http/1.1']
          },
          ready
        );
        socket.on('data', (piece: Buffer) => conn.onData(piece));
      } else {
        const buffer = Buffer.allocUnsafe(PIECE);
        socket = net.connect(
          {
            host,
            port,
            onread: {
              buffer,
              callback: (n: number, buf: Uint8Array) => {
                conn.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
                return true;
              }
            }
          } as import('node:net').NetConnectOpts,
          ready
        );
      }
      conn.socket = socket;
      // Counts from the start: a connection attempt nobody answers fails too.
      socket.setTimeout(IDLE_MS);
      socket.once('error', early);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        conn.broken = true;
        conn.onEnd(
          new Failure({
            transient: true,
            code: err.code ?? 'ECONNRESET',
            message: 'the connection to the storage broke'
          })
        );
      });
      socket.on('timeout', () => {
        conn.broken = true;
        if (!connected) {
          early(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
        }
        socket.destroy();
        conn.onEnd(
          new Failure({
            transient: true,
            code: 'ETIMEDOUT',
            message: 'the storage did not answer in time'
          })
        );
      });
      socket.on('close', () => {
        conn.broken = true;
        if (!connected) {
          early(Object.assign(new Error('closed'), { code: 'ECONNRESET' }));
        }
        const list = idle.get(conn.key);
        const at = list?.indexOf(conn) ?? -1;
        if (at >= 0) {
          list!.splice(at, 1);
        }
        conn.onEnd(
          new Failure({
            transient: true,
            code: 'ECONNRESET',
            message: 'the storage closed the connection early'
          })
        );
      });
    });
  }

  function release(conn: IConn, reusable: boolean): void {
    conn.onData = () => {
      // Bytes nobody asked for: the connection is out of step.
      conn.broken = true;
      conn.socket.destroy();
    };
    conn.onEnd = () => undefined;
    const list = idle.get(conn.key) ?? [];
    if (!reusable || conn.broken || list.length >= MAX_IDLE) {
      conn.socket.destroy();
      return;
    }
    list.push(conn);
    idle.set(conn.key, list);
  }

  /** The S3 error code in an XML error body, if any. */
  function errorCode(body: string): string | undefined {
    return /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(body)?.[1];
  }

  /**
   * One GET on one connection: resolves when `expected` body bytes went to `sink`, or rejects
   * with the status and S3 code of an error answer.
   */
  function exchange(
    conn: IConn,
    head: string,
    start: number,
    expected: number,
    sink: (piece: Buffer) => void,
    onCancel: (cancel: () => void) => void
  ): Promise<{ reusable: boolean; received: number }> {
    return new Promise((resolve, reject) => {
      let header: Buffer | undefined = Buffer.alloc(0);
      let status = 0;
      let received = 0;
      let reusable = true;
      let errorBody: Buffer[] | undefined;
      let errorBytes = 0;
      let errorLength = -1;
      let chunked = false;
      let settled = false;
      const finish = (err?: Failure) => {
        if (settled) {
          return;
        }
        settled = true;
        if (err) {
          conn.broken = true;
          conn.socket.destroy();
          reject(Object.assign(err, { received }));
        } else {
          resolve({ reusable, received });
        }
      };
      onCancel(() =>
        finish(
          new Failure({
            transient: false,
            cancelled: true,
            message: 'the staging was cancelled'
          })
        )
      );
      const failStatus = () => {
        const text = Buffer.concat(errorBody ?? []).toString('utf8');
        const code = errorCode(text);
        finish(
          new Failure({
            status,
            code,
            transient: status >= 500 || code === 'SlowDown',
            message: `the storage answered ${status}${code ? ` (${code})` : ''}`
          })
        );
      };
      const body = (piece: Buffer) => {
        if (errorBody) {
          errorBody.push(Buffer.from(piece));
          errorBytes += piece.length;
          if (
            errorBytes >= MAX_HEAD ||
            (errorLength >= 0 && errorBytes >= errorLength) ||
            (chunked &&
              Buffer.concat(errorBody).subarray(-7).includes('0\r\n\r\n'))
          ) {
            failStatus();
          }
          return;
        }
        if (received + piece.length > expected) {
          finish(
            new Failure({
              transient: true,
              message: 'the storage sent more bytes than asked for'
            })
          );
          return;
        }
        received += piece.length;
        sink(piece);
        if (received === expected) {
          finish();
        }
      };
      conn.onEnd = err => {
        if (errorBody) {
          failStatus();
        } else {
          finish(err);
        }
      };
      conn.onData = piece => {
        if (settled) {
          return;
        }
        if (!header) {
          body(piece);
          return;
        }
        // The head is small: gathered (copied: the read buffer is reused) until its end; the
        // body bytes after it in the same read are not copied.
        const seen = header.length;
        const tail = header.subarray(Math.max(0, seen - 3));
        const straddle = Buffer.concat([tail, piece.subarray(0, 3)]).indexOf(
          '\r\n\r\n'
        );
        const inPiece = straddle >= 0 ? -1 : piece.indexOf('\r\n\r\n');
        // Where the blank line starts, counted from the first byte of the head.
        const end =
          straddle >= 0
            ? seen - tail.length + straddle
            : inPiece >= 0
              ? seen + inPiece
              : -1;
        if (end < 0) {
          header = Buffer.concat([header, piece]);
          if (header.length > MAX_HEAD) {
            finish(
              new Failure({
                transient: false,
                message: 'the storage sent an oversized answer head'
              })
            );
          }
          return;
        }
        const all = Buffer.concat([header, piece.subarray(0, end - seen + 4)]);
        const lines = all.subarray(0, end).toString('latin1').split('\r\n');
        const rest = piece.subarray(end - seen + 4);
        header = undefined;
        status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
        const fields = new Map<string, string>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          if (colon > 0) {
            fields.set(
              line.slice(0, colon).trim().toLowerCase(),
              line.slice(colon + 1).trim()
            );
          }
        }
        if (/close/i.test(fields.get('connection') ?? '')) {
          reusable = false;
        }
        const length = Number(fields.get('content-length') ?? -1);
        const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(
          fields.get('content-range') ?? ''
        );
        const whole = status === 200 && start === 0;
        if (status === 206 || whole) {
          if (
            length !== expected ||
            (status === 206 && (!range || Number(range[1]) !== start))
          ) {
            finish(
              new Failure({
                transient: false,
                status: 502,
                message: 'the storage did not send the range asked for'
              })
            );
            return;
          }
        } else {
          errorBody = [];
          chunked = /chunked/i.test(fields.get('transfer-encoding') ?? '');
          errorLength = status === 304 ? 0 : length;
          reusable = false;
          if (status < 200) {
            finish(
              new Failure({
                transient: true,
                message: `the storage answered ${status}`
              })
            );
            return;
          }
        }
        if (rest.length > 0 || (errorBody && errorLength === 0)) {
          // (An empty piece still ends an error answer without a body.)
          body(rest);
        }
        if (!errorBody && expected === 0) {
          finish();
        }
      };
      conn.socket.write(head);
    });
  }

  function writeAll(fd: number, piece: Buffer, position: number): void {
    for (let off = 0; off < piece.length;) {
      off += fs.writeSync(fd, piece, off, piece.length - off, position + off);
    }
  }

  async function get(request: Extract<WorkerRequest, { type: 'get' }>) {
    const url = new URL(request.url);
    const expected = request.end - request.start;
    const head =
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      Object.entries(request.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      'User-Agent: mlinfn-bridge\r\nAccept-Encoding: identity\r\n\r\n';
    const unsafe = (text: string) => /[\r\n]/.test(text);
    if (
      /\s/.test(url.pathname + url.search) ||
      Object.entries(request.headers).some(([k, v]) => unsafe(k) || unsafe(v))
    ) {
      throw new Failure({ transient: false, message: 'bad request line' });
    }
    const fd = fs.openSync(request.file, 'r+');
    let cancelled = false;
    let cancelNow: (() => void) | undefined;
    cancels.set(request.id, () => {
      cancelled = true;
      cancelNow?.();
    });
    try {
      // A kept-alive socket the server has just closed fails before any byte: one fresh try.
      for (let fresh = false; ; fresh = true) {
        const list = idle.get(`${url.protocol}//${url.host}`);
        const reused = !fresh ? list?.pop() : undefined;
        const conn = reused ?? (await connect(url));
        if (cancelled) {
          release(conn, false);
          throw new Failure({
            transient: false,
            cancelled: true,
            message: 'the staging was cancelled'
          });
        }
        const hasher = request.partSize
          ? new PartHasher(request.partSize)
          : undefined;
        let position = request.start;
        let unreported = 0;
        try {
          const { reusable } = await exchange(
            conn,
            head,
            request.start,
            expected,
            piece => {
              hasher?.update(piece);
              writeAll(fd, piece, position);
              position += piece.length;
              unreported += piece.length;
              if (unreported >= REPORT) {
                post({ type: 'progress', id: request.id, bytes: unreported });
                unreported = 0;
              }
            },
            cancel => (cancelNow = cancel)
          );
          if (unreported > 0) {
            post({ type: 'progress', id: request.id, bytes: unreported });
          }
          release(conn, reusable);
          return { parts: hasher?.finish() };
        } catch (err) {
          if (unreported > 0) {
            post({ type: 'progress', id: request.id, bytes: unreported });
          }
          const received = (err as { received?: number }).received ?? 0;
          if (
            reused &&
            received === 0 &&
            !cancelled &&
            !(err as Failure).info?.status
          ) {
            continue;
          }
          throw err;
        }
      }
    } finally {
      cancels.delete(request.id);
      fs.closeSync(fd);
    }
  }

  /** Feed bytes [start, end) of a file to `update`, read in pieces. */
  function readInto(
    file: string,
    start: number,
    end: number,
    update: (piece: Buffer) => void
  ): void {
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(
        Math.min(PIECE * 4, Math.max(1, end - start))
      );
      for (let pos = start; pos < end;) {
        const n = fs.readSync(
          fd,
          buffer,
          0,
          Math.min(buffer.length, end - pos),
          pos
        );
        if (n <= 0) {
          throw new Failure({
            transient: false,
            status: 500,
            message: 'the staged file is shorter than expected'
          });
        }
        update(buffer.subarray(0, n));
        pos += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  async function handle(
    request: WorkerRequest
  ): Promise<Record<string, unknown>> {
    switch (request.type) {
      case 'get':
        return get(request);
      case 'hash-file': {
        const hasher = new PartHasher(request.partSize);
        readInto(request.file, request.start, request.end, p =>
          hasher.update(p)
        );
        return { parts: hasher.finish() };
      }
      case 'open':
        sessions.set(request.session, {
          plain: request.plain ? crypto.createHash(request.plain) : undefined,
          parts: request.partSizes.map(p => new PartHasher(p))
        });
        return {};
      case 'feed': {
        const s = sessions.get(request.session);
        if (!s) {
          throw new Failure({
            transient: false,
            message: 'no such hash session'
          });
        }
        readInto(request.file, request.start, request.end, piece => {
          s.plain?.update(piece);
          for (const p of s.parts) {
            p.update(piece);
          }
        });
        return {};
      }
      case 'close': {
        const s = sessions.get(request.session);
        sessions.delete(request.session);
        if (!s || request.discard) {
          return {};
        }
        return {
          plain: s.plain?.digest('hex'),
          layouts: s.parts.map(p => p.finish())
        };
      }
      case 'cancel':
        cancels.get(request.target)?.();
        return {};
    }
  }

  parentPort.on('message', (request: WorkerRequest) => {
    handle(request).then(
      result => {
        if (request.type !== 'cancel') {
          post({ type: 'done', id: request.id, result });
        }
      },
      (err: unknown) => {
        const info: IWorkerFailure =
          err instanceof Failure
            ? {
                ...err.info,
                received: (err as { received?: number }).received ?? 0
              }
            : {
                transient: false,
                code: (err as NodeJS.ErrnoException)?.code,
                message: 'the staging worker failed',
                received: 0
              };
        if (request.type !== 'cancel') {
          post({ type: 'failed', id: request.id, failure: info });
        }
      }
    );
  });
}
/* eslint-enable @typescript-eslint/no-require-imports */
