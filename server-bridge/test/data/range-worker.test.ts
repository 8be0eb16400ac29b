/**
 * The staging's worker threads on their own, against a scripted local HTTP server (a unit test
 * of the small HTTP client: the real storage is exercised by stage.rgw.test.ts): ranges land
 * at their place in the file with each part's MD5, heads split anywhere across reads, kept-alive
 * connections are reused, error answers give their status and S3 code (412 included) without
 * waiting for a timeout, a connection cut mid-body is a transient failure, a stalled GET is
 * cancelled, and bytes already in a file hash to the same digests in and out of order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WorkerFailure, WorkerPool } from '../../src/data/cache/worker-pool';

const KiB = 1024;
const object = randomBytes(300 * KiB);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-range-worker-'));

type Script = (
  socket: net.Socket,
  range: { start: number; end: number }
) => void;

let server: net.Server;
let base: string;
let script: Script;
let connections = 0;
const pool = new WorkerPool(2);

/** A 206 answer for the range, its head written in pieces of `headPiece` bytes. */
function partial(headPiece = 0): Script {
  return (socket, { start, end }) => {
    const body = object.subarray(start, end + 1);
    const head = Buffer.from(
      'HTTP/1.1 206 Partial Content\r\n' +
        `Content-Range: bytes ${start}-${end}/${object.length}\r\n` +
        `Content-Length: ${body.length}\r\nETag: "x"\r\n\r\n`
    );
    if (headPiece > 0) {
      for (let i = 0; i < head.length; i += headPiece) {
        socket.write(head.subarray(i, i + headPiece));
      }
      socket.write(body);
    } else {
      socket.write(Buffer.concat([head, body]));
    }
  };
}

beforeAll(async () => {
  server = net.createServer(socket => {
    connections++;
    let pending = '';
    socket.on('data', d => {
      pending += d.toString('latin1');
      let at;
      while ((at = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, at);
        pending = pending.slice(at + 4);
        const m = /range: bytes=(\d+)-(\d+)/i.exec(head)!;
        script(socket, { start: Number(m[1]), end: Number(m[2]) });
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await pool.close();
  await new Promise(r => server.close(r));
});

function get(
  file: string,
  start: number,
  end: number,
  signal?: AbortSignal,
  on = pool
) {
  return on.run(
    {
      type: 'get',
      url: `${base}/bucket/key?X-Amz-Signature=abc`,
      headers: { Range: `bytes=${start}-${end - 1}`, 'If-Match': '"x"' },
      file,
      start,
      end,
      partSize: 50 * KiB
    },
    { signal }
  );
}

const fresh = (name: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.alloc(object.length));
  return file;
};

test('ranges land at their place with each part MD5, over one kept-alive connection', async () => {
  script = partial();
  const file = fresh('a.bin');
  // Kept-alive connections belong to a thread: one thread here.
  const single = new WorkerPool(1);
  connections = 0;
  const first = await get(file, 0, 100 * KiB, undefined, single);
  const second = await get(file, 100 * KiB, 300 * KiB, undefined, single);
  await single.close();
  expect(connections).toBe(1);
  expect(first.parts).toEqual([
    md5(object.subarray(0, 50 * KiB)),
    md5(object.subarray(50 * KiB, 100 * KiB))
  ]);
  expect(second.parts).toHaveLength(4);
  expect(md5(await readFile(file))).toBe(md5(object));
});

test('an answer head split anywhere across reads is understood', async () => {
  for (const piece of [1, 2, 3, 5]) {
    script = partial(piece);
    const file = fresh(`split-${piece}.bin`);
    const out = await get(file, 50 * KiB, 150 * KiB);
    expect(out.parts).toEqual([
      md5(object.subarray(50 * KiB, 100 * KiB)),
      md5(object.subarray(100 * KiB, 150 * KiB))
    ]);
  }
});

test('error answers give their status and S3 code at once, 412 included', async () => {
  const xml = (code: string) =>
    `<?xml version="1.0"?><Error><Code>${code}</Code></Error>`;
  script = socket => {
    const body = xml('PreconditionFailed');
    socket.write(
      `HTTP/1.1 412 Precondition Failed\r\nContent-Length: ${body.length}\r\n\r\n${body}`
    );
  };
  await expect(get(fresh('e.bin'), 0, 10)).rejects.toMatchObject({
    info: { status: 412, code: 'PreconditionFailed', transient: false }
  });
  // Chunked, on a connection the server keeps open: the last chunk ends it.
  script = socket => {
    const body = xml('AccessDenied');
    socket.write(
      'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n' +
        `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
    );
  };
  await expect(get(fresh('f.bin'), 0, 10)).rejects.toMatchObject({
    info: { status: 403, code: 'AccessDenied', transient: false }
  });
  script = socket => {
    socket.write('HTTP/1.1 503 Slow Down\r\nContent-Length: 0\r\n\r\n');
  };
  await expect(get(fresh('g.bin'), 0, 10)).rejects.toMatchObject({
    info: { status: 503, transient: true }
  });
});

test('a connection cut mid-body is a transient failure', async () => {
  script = (socket, { start, end }) => {
    socket.write(
      `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${start}-${end}/${object.length}\r\n` +
        `Content-Length: ${end - start + 1}\r\n\r\n`
    );
    socket.end(object.subarray(start, start + 1000));
  };
  const failure = await get(fresh('cut.bin'), 0, 100 * KiB).catch(e => e);
  expect(failure).toBeInstanceOf(WorkerFailure);
  expect(failure.info).toMatchObject({ transient: true, received: 1000 });
});

test('a stalled GET is cancelled by its signal', async () => {
  script = () => undefined;
  const abort = new AbortController();
  const pending = get(fresh('stall.bin'), 0, 100 * KiB, abort.signal);
  setTimeout(() => abort.abort(), 100);
  await expect(pending).rejects.toMatchObject({ info: { cancelled: true } });
});

test('bytes already in a file hash the same by parts and in order', async () => {
  const file = path.join(dir, 'whole.bin');
  writeFileSync(file, object);
  const parts = await pool.run({
    type: 'hash-file',
    file,
    start: 100 * KiB,
    end: 300 * KiB,
    partSize: 64 * KiB
  });
  expect(parts.parts).toEqual([
    md5(object.subarray(100 * KiB, 164 * KiB)),
    md5(object.subarray(164 * KiB, 228 * KiB)),
    md5(object.subarray(228 * KiB, 292 * KiB)),
    md5(object.subarray(292 * KiB))
  ]);
  const slot = pool.pick();
  await pool.run(
    { type: 'open', session: 7, plain: 'sha256', partSizes: [100 * KiB] },
    { slot }
  );
  for (const [start, end] of [
    [0, 1],
    [1, 120 * KiB],
    [120 * KiB, 300 * KiB]
  ]) {
    await pool.run({ type: 'feed', session: 7, file, start, end }, { slot });
  }
  const out = await pool.run({ type: 'close', session: 7 }, { slot });
  expect(out.plain).toBe(createHash('sha256').update(object).digest('hex'));
  expect(out.layouts).toEqual([
    [0, 1, 2].map(i => md5(object.subarray(i * 100 * KiB, (i + 1) * 100 * KiB)))
  ]);
});
