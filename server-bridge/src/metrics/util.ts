/**
 * Small async helpers shared by the metrics module: tolerant file reads, bounded concurrency
 * and child processes that are always killed on timeout.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

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
