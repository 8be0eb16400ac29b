/**
 * Download one object into a file with parallel ranged GETs, each guarded by `If-Match` (a
 * changed object answers 412: the caller starts over against the new version), verified as it
 * goes. The GETs, the writes and the hashing run in worker threads (worker-pool.ts); this side
 * only signs each range and keeps the books, so the event loop stays free.
 *
 * Hashing: when the object is a multipart upload whose part size is known, every range starts
 * on a part boundary and each worker computes its parts' MD5s while the bytes stream (nothing
 * is read back, and the parts hash on every core at once). Otherwise (a plain MD5 ETag, a
 * stored SHA-256, several possible part layouts) one worker hashes the complete prefix of the
 * file in order while the download goes on. A resumed download hashes what the earlier run
 * wrote from the file.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { open } from 'node:fs/promises';
import { DataError, storageError } from '../errors';
import type { Expectation, IDigests } from './verifier';
import { verdict } from './verifier';
import { WorkerFailure, WorkerPool } from './worker-pool';

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
  /** The range size (from `rangeLayout`). */
  chunkBytes: number;
  connections: number;
  /** Chunks already in the file (resume); filled in as chunks complete. */
  done: Set<number>;
  expectation: Expectation;
  pool: WorkerPool;
  signal: AbortSignal;
  /** Bytes newly received (for progress). */
  onBytes(delta: number): void;
  /** A chunk is fully written (for the resume record). */
  onChunkDone(index: number): void;
}

/** Attempts per chunk for transient failures. */
const ATTEMPTS = 3;
/** How long a range's signature is valid (a slow range may take minutes). */
const SIGNED_SECONDS = 3600;

/** A range holds at most this many configured range sizes when rounded up to a part. */
const MAX_PARTS_PER_RANGE = 8;

/**
 * The range size for an object: the configured one, rounded to a whole number of parts when
 * the object's part size is known (so each part's MD5 is computed within one range).
 */
export function rangeLayout(
  expectation: Expectation,
  chunkBytes: number
): { chunkBytes: number; partSize?: number } {
  if (
    expectation.kind === 'multipart-md5' &&
    expectation.partSizes.length === 1 &&
    // Parts much larger than a range would leave few ranges to run side by side: those are
    // hashed in order instead.
    expectation.partSizes[0] <= MAX_PARTS_PER_RANGE * chunkBytes
  ) {
    const partSize = expectation.partSizes[0];
    return {
      chunkBytes: partSize * Math.max(1, Math.round(chunkBytes / partSize)),
      partSize
    };
  }
  return { chunkBytes };
}

/**
 * Download (the rest of) the object and check all of it.
 *
 * @returns the mismatch in words, or undefined when the copy is right.
 */
export async function downloadObject(
  options: IDownloadOptions
): Promise<string | undefined> {
  const { size, chunkBytes, done, pool, expectation } = options;
  const { partSize } = rangeLayout(expectation, chunkBytes);
  const chunks = Math.ceil(size / chunkBytes);
  const fh = await open(options.file, done.size > 0 ? 'r+' : 'w+', 0o600);
  try {
    if (done.size === 0) {
      await fh.truncate(size);
    }
  } finally {
    await fh.close();
  }
  const range = (index: number) => ({
    start: index * chunkBytes,
    end: Math.min(size, (index + 1) * chunkBytes)
  });

  // In-order hashing (no usable part layout): one session in one worker.
  const ordered =
    partSize === undefined && expectation.kind !== 'none'
      ? {
          slot: pool.pick(),
          session: nextSession++,
          plain:
            expectation.kind === 'md5'
              ? ('md5' as const)
              : expectation.kind === 'sha256'
                ? ('sha256' as const)
                : undefined,
          partSizes:
            expectation.kind === 'multipart-md5' ? expectation.partSizes : []
        }
      : undefined;
  const partMd5s: string[][] = new Array(chunks);

  let hashed = 0; // ordered: chunks fed to the session so far
  let next = 0;
  let failure: unknown;
  const wakers: Array<() => void> = [];
  const wake = () => wakers.splice(0).forEach(w => w());
  const waitForChange = () =>
    new Promise<void>(resolve => wakers.push(resolve));
  // Ordered: ranges run ahead of the hash cursor by a bounded number of chunks, so what is
  // read back is still in the page cache.
  const window = options.connections * 2 + 2;

  const worker = async () => {
    while (failure === undefined) {
      if (next >= chunks) {
        return;
      }
      if (ordered && next >= hashed + window) {
        await waitForChange();
        continue;
      }
      const index = next++;
      try {
        if (done.has(index)) {
          if (partSize !== undefined) {
            const out = await pool.run({
              type: 'hash-file',
              file: options.file,
              ...range(index),
              partSize
            });
            partMd5s[index] = out.parts as string[];
          }
          wake();
          continue;
        }
        partMd5s[index] = await fetchChunk(options, range(index), partSize);
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
    if (!ordered) {
      return;
    }
    try {
      while (hashed < chunks) {
        if (failure !== undefined) {
          return;
        }
        let until = hashed;
        while (until < chunks && done.has(until)) {
          until++;
        }
        if (until === hashed) {
          await waitForChange();
          continue;
        }
        await pool.run(
          {
            type: 'feed',
            session: ordered.session,
            file: options.file,
            start: hashed * chunkBytes,
            end: Math.min(size, until * chunkBytes)
          },
          { slot: ordered.slot }
        );
        hashed = until;
        wake();
      }
    } catch (err) {
      failure ??= err;
      wake();
    }
  };

  const abort = () => {
    failure ??= new DataError(499, 'the staging was cancelled');
    wake();
  };
  options.signal.addEventListener('abort', abort, { once: true });
  let digests: IDigests;
  try {
    if (ordered) {
      await pool
        .run(
          {
            type: 'open',
            session: ordered.session,
            plain: ordered.plain,
            partSizes: ordered.partSizes
          },
          { slot: ordered.slot }
        )
        .catch(err => (failure ??= err));
    }
    const workers = Array.from(
      { length: Math.max(1, options.connections) },
      worker
    );
    await Promise.all([...workers, hasher()]);
    if (ordered) {
      const out = await pool
        .run(
          {
            type: 'close',
            session: ordered.session,
            discard: failure !== undefined
          },
          { slot: ordered.slot }
        )
        .catch(err => {
          failure ??= err;
          return {} as Record<string, unknown>;
        });
      digests = {
        plain: out.plain as string | undefined,
        layouts: out.layouts as string[][] | undefined
      };
    } else {
      digests = { layouts: [partMd5s.flat()] };
    }
  } finally {
    options.signal.removeEventListener('abort', abort);
  }
  if (failure !== undefined) {
    throw asError(failure, options.signal);
  }
  return verdict(expectation, digests);
}

let nextSession = 1;

/** GET one range into its place in the file, retrying transient failures. */
async function fetchChunk(
  options: IDownloadOptions,
  range: { start: number; end: number },
  partSize: number | undefined
): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    let received = 0;
    try {
      const headers = {
        Range: `bytes=${range.start}-${range.end - 1}`,
        'If-Match': `"${options.etag}"`
      };
      const url = await getSignedUrl(
        options.s3,
        new GetObjectCommand({
          Bucket: options.bucket,
          Key: options.key,
          Range: headers.Range,
          IfMatch: headers['If-Match']
        }),
        { expiresIn: SIGNED_SECONDS }
      );
      const out = await options.pool.run(
        {
          type: 'get',
          url,
          headers,
          file: options.file,
          ...range,
          partSize
        },
        {
          signal: options.signal,
          onProgress: bytes => {
            received += bytes;
            options.onBytes(bytes);
          }
        }
      );
      return (out.parts as string[] | undefined) ?? [];
    } catch (err) {
      options.onBytes(-received);
      const e = asError(err, options.signal);
      if (e instanceof ObjectChangedError) {
        throw e;
      }
      const transient =
        err instanceof WorkerFailure
          ? err.info.transient
          : e instanceof DataError && e.status >= 500;
      if (!transient || attempt >= ATTEMPTS || options.signal.aborted) {
        throw e;
      }
      await new Promise(resolve => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** A worker's failure as the stager's errors (412: the object changed). */
function asError(err: unknown, signal: AbortSignal): Error {
  if (signal.aborted) {
    return new DataError(499, 'the staging was cancelled');
  }
  if (!(err instanceof WorkerFailure)) {
    return err instanceof ObjectChangedError || err instanceof DataError
      ? err
      : storageError(err, 'downloading');
  }
  const { status, code, cancelled } = err.info;
  if (cancelled) {
    return new DataError(499, 'the staging was cancelled');
  }
  if (status === 412 || code === 'PreconditionFailed') {
    return new ObjectChangedError();
  }
  if (status === undefined && code === undefined) {
    return new DataError(502, `downloading: ${err.info.message}`);
  }
  return storageError(
    {
      name: code === 'ETIMEDOUT' ? 'TimeoutError' : code,
      code,
      $metadata: { httpStatusCode: status }
    },
    'downloading'
  );
}
