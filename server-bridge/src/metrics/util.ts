/**
 * Small helpers shared by the metrics module: tolerant file reads (the one synchronous reader
 * of kernel pseudo-files, and an async one for everything else), bounded concurrency and child
 * processes that are always killed on timeout.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Read buffer of {@link readProcFile}, reused by every call; grows, never past the bound. */
let procBuffer = Buffer.allocUnsafe(16 * 1024);
/** The largest pseudo-file read (a /proc/net/dev of thousands of interfaces is ~1 MiB). */
const PROC_FILE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Read a small kernel pseudo-file SYNCHRONOUSLY, or null when it is absent, unreadable or too
 * big: /proc/<pid>/stat and /proc/<pid>/status, /proc/stat, /proc/meminfo, /proc/net/dev,
 * /proc/self/cgroup, and the cgroup v1/v2 memory and cpu files. The sampler's only synchronous
 * reader; every such read in the metrics module goes through it.
 *
 * Why this may block the event loop when nothing else may (ARCHITECTURE.md: "never block the
 * event loop"): these files live in procfs and cgroupfs, whose contents the kernel generates
 * from its own memory on read(). They are not backed by a disk or a network mount, so a read
 * cannot hang the way a stat of a dead NFS or FUSE mount can; it takes microseconds. The async
 * route (fs.promises.readFile) sends each file through libuv's four-thread pool: open, fstat,
 * read, close as separate round trips, each with a promise and a thread hand-off, which costs
 * about five times the CPU of reading them here (a 1 s sample of ~100 processes: ~4.6 ms async
 * against ~0.8 ms sync) and queues behind any slow work in the pool.
 *
 * What must NOT come through here: /proc/<pid>/smaps_rollup (a page-table walk, slow on big
 * processes: read async at its slower rate), /proc/<pid>/cmdline and /proc/<pid>/environ
 * (they take the target's mm lock and can block on a process stuck in the kernel: never read),
 * and any path under the Jupyter root or another real file system (disk stays in the killable
 * `df` child).
 *
 * Latin-1 decoding: every byte maps to one character, and the fields read are ASCII.
 */
export function readProcFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === procBuffer.length) {
        if (length >= PROC_FILE_MAX_BYTES) {
          return null;
        }
        const bigger = Buffer.allocUnsafe(length * 2);
        procBuffer.copy(bigger, 0, 0, length);
        procBuffer = bigger;
      }
      // Position null: read on from where the last read stopped (seq_file semantics).
      const n = readSync(
        fd,
        procBuffer,
        length,
        procBuffer.length - length,
        null
      );
      if (n === 0) {
        break;
      }
      length += n;
    }
    return procBuffer.toString('latin1', 0, length);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Read a text file, or null when it is absent or unreadable.
 *
 * /proc and /sys entries come and go (a process exits mid-read, a cgroup file is not there on
 * this kernel): that is an ordinary answer here, not an error.
 */
export async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'latin1');
  } catch {
    return null;
  }
}

/**
 * Map `items` through `fn` with at most `limit` calls in flight, keeping the order.
 *
 * Bounded so that a /proc scan of thousands of processes does not queue thousands of reads on
 * libuv's four-thread pool at once, starving everything else the bridge does.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) {
    workers.push(worker());
  }
  await Promise.all(workers);
  return out;
}

/** What a finished (or killed) child process left. */
export interface IChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the process could not be started (e.g. ENOENT). */
  spawnError: NodeJS.ErrnoException | null;
}

/**
 * Run a command to completion with a hard timeout: SIGKILL when it runs over.
 *
 * Used for probes that may hang (df on a dead network mount). The promise settles on timeout
 * even if the child is stuck in uninterruptible sleep and never exits.
 */
export function runWithTimeout(
  command: string,
  args: string[],
  timeoutMs: number,
  maxOutputBytes = 1 << 20
): Promise<IChildResult> {
  return new Promise(resolve => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    let timedOut = false;
    const finish = (
      code: number | null,
      signal: NodeJS.Signals | null,
      spawnError: NodeJS.ErrnoException | null
    ) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, spawnError });
    };
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' }
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      finish(null, 'SIGKILL', null);
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < maxOutputBytes) {
        stdout += d;
      }
    });
    child.stderr.on('data', (d: string) => {
      if (stderr.length < maxOutputBytes) {
        stderr += d;
      }
    });
    child.on('error', err => finish(null, null, err as NodeJS.ErrnoException));
    child.on('close', (code, signal) => finish(code, signal, null));
  });
}
