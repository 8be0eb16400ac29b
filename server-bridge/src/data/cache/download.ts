/**
 * Download one object into a file with parallel ranged GETs, each guarded by `If-Match` (a
 * changed object answers 412: the caller starts over against the new version), hashing the
 * bytes in order as soon as a prefix of the file is complete (read back from the file, so a
 * resumed download hashes what an earlier run wrote too).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { open, FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DataError, storageError } from '../errors';
import type { Verifier } from './verifier';

/** The object changed while it was being downloaded. */
export class ObjectChangedError extends Error {
  constructor() {
    super('the object changed while it was being staged');
    this.name = 'ObjectChangedError';
  }
}

export interface IDownloadOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  file: string;
  chunkBytes: number;
  connections: number;
  /** Chunks already in the file (resume); filled in as chunks complete. */
  done: Set<number>;
  verifier: Verifier;
  signal: AbortSignal;
  /** Bytes newly received (for progress). */
  onBytes(delta: number): void;
  /** A chunk is fully written (for the resume record). */
  onChunkDone(index: number): void;
}

/** Size of the pieces written to and hashed from the file. */
const PIECE = 1024 * 1024;
/** Size of the pieces read back for hashing. */
const HASH_PIECE = 4 * 1024 * 1024;
/** Attempts per chunk for transient failures. */
const ATTEMPTS = 3;

/**
 * Download (the rest of) the object and hash all of it.
 *
 * @returns the verifier's mismatch sentence, or undefined when the copy is right.
 */
export async function downloadObject(
  options: IDownloadOptions
): Promise<string | undefined> {
  const { size, chunkBytes, done } = options;
  const chunks = Math.ceil(size / chunkBytes);
  const fh = await open(options.file, done.size > 0 ? 'r+' : 'w+', 0o600);
  try {
    if (done.size === 0) {
      await fh.truncate(size);
    }
    let hashed = 0; // chunks hashed so far (the in-order cursor)
    let next = 0;
    let failure: unknown;
    const wakers: Array<() => void> = [];
    const wake = () => wakers.splice(0).forEach(w => w());
    const waitForChange = () =>
      new Promise<void>(resolve => wakers.push(resolve));
    // Workers run ahead of the hash cursor by at most this many chunks (bounded read-back).
    const window = options.connections * 2 + 2;

    const worker = async () => {
      while (failure === undefined) {
        while (next < chunks && done.has(next)) {
          next++;
        }
        if (next >= chunks) {
          return;
        }
        if (next >= hashed + window) {
          await waitForChange();
          continue;
        }
        const index = next++;
        try {
          await fetchChunk(options, fh, index);
        } catch (err) {
          failure ??= err;
          wake();
          return;
        }
        done.add(index);
        options.onChunkDone(index);
        wake();
      }
    };

    const hasher = async () => {
      try {
        await hashInOrder();
      } catch (err) {
        failure ??= err;
        wake();
      }
    };

    const hashInOrder = async () => {
      const buffer = Buffer.allocUnsafe(
        Math.min(HASH_PIECE, Math.max(size, 1))
      );
      while (hashed < chunks) {
        if (failure !== undefined) {
          return;
        }
        if (!done.has(hashed)) {
          await waitForChange();
          continue;
        }
        const start = hashed * chunkBytes;
        const end = Math.min(size, start + chunkBytes);
        for (let pos = start; pos < end;) {
          const length = Math.min(HASH_PIECE, end - pos);
          const { bytesRead } = await fh.read(buffer, 0, length, pos);
          if (bytesRead <= 0) {
            throw new DataError(
              500,
              'the staged file is shorter than expected'
            );
          }
          options.verifier.update(buffer.subarray(0, bytesRead));
          pos += bytesRead;
        }
        hashed++;
        wake();
      }
    };

    const abort = () => {
      failure ??= new DataError(499, 'the staging was cancelled');
      wake();
    };
    options.signal.addEventListener('abort', abort, { once: true });
    try {
      const workers = Array.from(
        { length: Math.max(1, options.connections) },
        worker
      );
      await Promise.all([...workers, hasher()]);
    } finally {
      options.signal.removeEventListener('abort', abort);
    }
    if (failure !== undefined) {
      throw failure;
    }
    return options.verifier.finish();
  } finally {
    await fh.close();
  }
}

/** GET one range into its place in the file, retrying transient failures. */
async function fetchChunk(
  options: IDownloadOptions,
  fh: FileHandle,
  index: number
): Promise<void> {
  const start = index * options.chunkBytes;
  const end = Math.min(options.size, start + options.chunkBytes) - 1;
  for (let attempt = 1; ; attempt++) {
    let received = 0;
    try {
      const out = await options.s3.send(
        new GetObjectCommand({
          Bucket: options.bucket,
          Key: options.key,
          Range: `bytes=${start}-${end}`,
          IfMatch: `"${options.etag}"`
        }),
        { abortSignal: options.signal }
      );
      await streamInto(
        out.Body as Readable,
        fh,
        start,
        end - start + 1,
        delta => {
          received += delta;
          options.onBytes(delta);
        }
      );
      return;
    } catch (err) {
      options.onBytes(-received);
      if (options.signal.aborted) {
        throw new DataError(499, 'the staging was cancelled');
      }
      const e = err as {
        name?: string;
        $metadata?: { httpStatusCode?: number };
      };
      if (
        e?.name === 'PreconditionFailed' ||
        e?.$metadata?.httpStatusCode === 412
      ) {
        throw new ObjectChangedError();
      }
      const failure = storageError(err, 'downloading');
      const transient = failure.status >= 500 || failure.status === 499;
      if (!transient || attempt >= ATTEMPTS) {
        throw failure;
      }
      await new Promise(resolve => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Write a response body at its place in the file: pieces gathered and written with one
 * `writev` per MiB (no copies), writes chained in order, the socket paused only while more
 * than a few MiB wait to be written.
 *
 * @returns the bytes written (exactly `expected`, or it throws).
 */
function streamInto(
  body: Readable,
  fh: FileHandle,
  start: number,
  expected: number,
  onBytes: (delta: number) => void
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let received = 0;
    let position = start;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let queued = 0;
    let chain = Promise.resolve();
    let failed = false;
    const fail = (err: unknown) => {
      if (!failed) {
        failed = true;
        body.destroy();
        reject(err);
      }
    };
    const flush = () => {
      if (pendingBytes === 0) {
        return;
      }
      const pieces = pending;
      const bytes = pendingBytes;
      const at = position;
      pending = [];
      pendingBytes = 0;
      position += bytes;
      queued += bytes;
      chain = chain.then(async () => {
        await writevAll(fh, pieces, bytes, at);
        queued -= bytes;
        if (body.isPaused() && queued < MAX_QUEUED) {
          body.resume();
        }
      });
      chain.catch(fail);
    };
    body.on('data', (piece: Buffer) => {
      if (received + piece.length > expected) {
        fail(new DataError(502, 'the storage sent more bytes than asked for'));
        return;
      }
      received += piece.length;
      pending.push(piece);
      pendingBytes += piece.length;
      onBytes(piece.length);
      if (pendingBytes >= PIECE) {
        flush();
        if (queued >= MAX_QUEUED) {
          body.pause();
        }
      }
    });
    let ended = false;
    body.on('error', fail);
    // A body destroyed before its end (an abort, a reset) emits close without end.
    body.on('close', () => {
      if (!ended) {
        fail(new DataError(502, 'the storage closed the connection early'));
      }
    });
    body.on('end', () => {
      ended = true;
      flush();
      chain.then(() => {
        if (received !== expected) {
          fail(
            new DataError(502, 'the storage sent fewer bytes than asked for')
          );
        } else if (!failed) {
          resolve(received);
        }
      }, fail);
    });
  });
}

/** Bytes waiting to be written before the socket is paused. */
const MAX_QUEUED = 8 * 1024 * 1024;

async function writevAll(
  fh: FileHandle,
  pieces: Buffer[],
  bytes: number,
  position: number
): Promise<void> {
  const { bytesWritten } = await fh.writev(pieces, position);
  if (bytesWritten < bytes) {
    // A short write (rare on regular files): finish piece by piece.
    const rest = Buffer.concat(pieces, bytes).subarray(bytesWritten);
    await writeAll(fh, rest, position + bytesWritten);
  }
}

async function writeAll(
  fh: FileHandle,
  data: Buffer,
  position: number
): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await fh.write(
      data,
      offset,
      data.length - offset,
      position + offset
    );
    offset += bytesWritten;
  }
}
