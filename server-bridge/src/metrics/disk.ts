/**
 * Disk usage of the server's root directory, probed by a `df` child process.
 *
 * Never statfs in-process: the root directory may be a hung network mount, and a stuck statfs
 * holds one of libuv's four pool threads (for every file read in the bridge) indefinitely. A
 * child process is killed on timeout instead; one stuck in the kernel is left alone and no
 * second probe is started until later.
 */
import { runWithTimeout } from './util';

/** Disk figures, bytes. */
export interface IDiskUsage {
  usedBytes: number;
  /** used + available: what the user can fill (root-reserved blocks left out). */
  totalBytes: number;
}

/** Parse `df -P -k` output (1024-byte blocks; the mount point may contain spaces). */
export function parseDf(text: string): IDiskUsage | null {
  const lines = text.trim().split('\n').slice(1);
  const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(.*)$/.exec(
    lines[lines.length - 1] ?? ''
  );
  if (!m) {
    return null;
  }
  const used = Number(m[3]) * 1024;
  const avail = Number(m[4]) * 1024;
  return { usedBytes: used, totalBytes: used + avail };
}

/** Probes a directory's file system every so often, in a killable child. */
export class DiskProbe {
  /**
   * @param dir - the directory (the Jupyter server's root).
   * @param intervalMs - how often to probe.
   * @param timeoutMs - how long df may take before it is killed.
   * @param dfPath - the df executable.
   */
  constructor(
    private readonly dir: string,
    private readonly intervalMs: number,
    private readonly timeoutMs = 5000,
    private readonly dfPath = 'df'
  ) {}

  /** The latest figures (null until the first probe, or after one failed). */
  get latest(): IDiskUsage | null {
    return this._latest;
  }

  /** Probe if one is due and none is running; never waits for it. */
  poll(now: number): void {
    if (this._running || now < this._nextAt) {
      return;
    }
    this._running = true;
    this._nextAt = now + this.intervalMs;
    void this.probe().finally(() => {
      this._running = false;
    });
  }

  /** Probe now and wait for the answer (first sample, tests). */
  async probe(): Promise<IDiskUsage | null> {
    const r = await runWithTimeout(
      this.dfPath,
      ['-P', '-k', '--', this.dir],
      this.timeoutMs
    );
    if (r.timedOut) {
      // A hung mount: no figure, and a long pause before the next try.
      this._latest = null;
      this._nextAt = Date.now() + this.intervalMs * 5;
      return null;
    }
    this._latest = r.code === 0 ? parseDf(r.stdout) : null;
    return this._latest;
  }

  private _latest: IDiskUsage | null = null;
  private _running = false;
  private _nextAt = 0;
}
