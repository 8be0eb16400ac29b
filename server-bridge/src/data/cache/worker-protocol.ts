/**
 * Messages between the stager and its worker threads (range-worker.ts). Byte ranges are
 * `[start, end)`.
 */

/** What a worker is asked to do. */
export type WorkerRequest =
  | {
      /** GET a range into its place in `file` (MD5 of each part when `partSize` is set). */
      type: 'get';
      id: number;
      /** A pre-signed URL of the configured endpoint (never logged, never sent out). */
      url: string;
      /** The headers the URL's signature covers (Range, If-Match). */
      headers: Record<string, string>;
      file: string;
      start: number;
      end: number;
      /** The object's part size, when the range starts on a part boundary. */
      partSize?: number;
    }
  | {
      /** MD5 of each part of bytes already in `file` (a resumed range). */
      type: 'hash-file';
      id: number;
      file: string;
      start: number;
      end: number;
      partSize: number;
    }
  | {
      /** Start an in-order hash: a plain digest and/or md5 per part for each layout. */
      type: 'open';
      id: number;
      session: number;
      plain?: 'md5' | 'sha256';
      partSizes: number[];
    }
  | {
      /** Feed the session the next bytes of the file, in order. */
      type: 'feed';
      id: number;
      session: number;
      file: string;
      start: number;
      end: number;
    }
  | {
      /** End the session: its digests (none with `discard`). */
      type: 'close';
      id: number;
      session: number;
      discard?: boolean;
    }
  | { type: 'cancel'; id: number; target: number };

/** Why a request failed. */
export interface IWorkerFailure {
  /** Worth another try (network, 5xx, SlowDown). */
  transient: boolean;
  /** The HTTP status of an error answer. */
  status?: number;
  /** The S3 error code of the answer, or the socket's errno code. */
  code?: string;
  cancelled?: boolean;
  /** Safe to log: never holds the URL or a header. */
  message: string;
  /** Body bytes of this try already reported as progress. */
  received: number;
}

/** What a worker answers. */
export type WorkerReply =
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; id: number; result: Record<string, unknown> }
  | { type: 'failed'; id: number; failure: IWorkerFailure };
