/**
 * Per-kernel figures: CPU and RSS of each kernel and its descendants at the sample rate, PSS at
 * a slower rate, and the notebooks each kernel serves (from the Jupyter server extension).
 */
import type { Logger } from 'pino';
import type { KernelInfo, KernelsResponse } from '../schema-types';
import { CpuTracker } from './cpu';
import type { IProcessView } from './processes';
import { parseSmapsRollup } from './procfs';
import { mapLimit, readTextOrNull } from './util';

/** One kernel's process tree and what it uses. */
export interface IKernelUsage {
  info: KernelInfo;
  /** The kernel's pid and its descendants' (empty when the kernel process is not visible). */
  pids: readonly number[];
  cpuPercent: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
}

/** Settings of the kernel tracker. */
export interface IKernelTrackerOptions {
  listKernels: () => Promise<KernelsResponse>;
  /** How often the kernel list is asked for, ms. */
  refreshMs: number;
  /** How often PSS is read, ms. */
  pssIntervalMs: number;
  procRoot?: string;
  logger: Pick<Logger, 'debug' | 'warn'>;
}

/** Keeps the kernel list fresh and measures each kernel's process tree. */
export class KernelTracker {
  constructor(options: IKernelTrackerOptions) {
    this._options = options;
  }

  /** The latest kernel list (empty until the first answer). */
  get kernels(): KernelInfo[] {
    return this._kernels;
  }

  /** The kernels' pids (those Jupyter knows), rebuilt only when the list changes. */
  get pids(): readonly number[] {
    return this._pids;
  }

  /**
   * Ask Jupyter for the kernels when the list is older than refreshMs. The first call waits
   * for the answer; later ones refresh in the background so a slow Jupyter never delays a
   * sample.
   */
  async refresh(now: number): Promise<void> {
    if (now - this._refreshedAt < this._options.refreshMs || this._inFlight) {
      return this._first ?? undefined;
    }
    this._refreshedAt = now;
    const call = this._options
      .listKernels()
      .then(r => {
        this._kernels = r.kernels;
        this._pids = r.kernels
          .map(k => k.pid)
          .filter((pid): pid is number => pid !== null);
        if (this._failing) {
          this._options.logger.debug('kernel list available again');
        }
        this._failing = false;
      })
      .catch((err: Error) => {
        // Logged once per outage: Jupyter restarting is no reason to fill the log.
        if (!this._failing) {
          this._options.logger.warn(
            { reason: err.message },
            'cannot list kernels; keeping the last list'
          );
        }
        this._failing = true;
      })
      .finally(() => {
        this._inFlight = null;
      });
    this._inFlight = call;
    if (!this._started) {
      this._started = true;
      this._first = call;
      await call;
      this._first = null;
    }
  }

  /**
   * Measure every kernel's tree in `view` (brought up to date for this sample).
   *
   * @param cpu - the sampler's CPU tracker, already begun for this sample.
   */
  async measure(
    view: IProcessView,
    cpu: CpuTracker,
    now: number
  ): Promise<IKernelUsage[]> {
    const out: IKernelUsage[] = [];
    for (const info of this._kernels) {
      const pids = info.pid === null ? NO_PIDS : view.tree(info.pid);
      let cpuPercent: number | null = null;
      let rssBytes: number | null = null;
      if (pids.length) {
        rssBytes = 0;
        pids.forEach((pid, i) => {
          const p = view.processes.get(pid);
          if (!p) {
            return;
          }
          const pct = cpu.percent(p);
          // The kernel itself decides whether there is a figure at all (null on first
          // sight); a child seen for the first time adds what it can.
          if (i === 0) {
            cpuPercent = pct;
          } else if (cpuPercent !== null && pct !== null) {
            cpuPercent += pct;
          }
          rssBytes = (rssBytes ?? 0) + p.rssBytes;
        });
      }
      out.push({ info, pids, cpuPercent, rssBytes, pssBytes: null });
    }
    await this._pss(out, now);
    return out;
  }

  /**
   * Fill in PSS, re-reading smaps_rollup only every pssIntervalMs. smaps_rollup walks the
   * process's page tables (costly on a big process, and it takes the mm lock), so it stays
   * async, off the event loop, at its slower rate.
   */
  private async _pss(usages: IKernelUsage[], now: number): Promise<void> {
    const root = this._options.procRoot ?? '/proc';
    this._pssGeneration++;
    for (const u of usages) {
      // Cached per kernel and per kernel pid (a restarted kernel is a new process).
      const pid = u.pids.length ? u.pids[0] : null;
      let cached = this._pssCache.get(u.info.id);
      if (
        cached &&
        cached.pid === pid &&
        now - cached.at < this._options.pssIntervalMs &&
        now >= cached.at
      ) {
        cached.generation = this._pssGeneration;
        u.pssBytes = cached.bytes;
        continue;
      }
      if (!u.pids.length) {
        continue;
      }
      const values = await mapLimit(u.pids, 4, async p => {
        const text = await readTextOrNull(`${root}/${p}/smaps_rollup`);
        return text ? parseSmapsRollup(text) : null;
      });
      // Unreadable for the kernel itself (another user's process, no smaps_rollup before
      // Linux 4.14): no figure rather than a partial one.
      const bytes =
        values[0] === null
          ? null
          : values.reduce<number>((s, v) => s + (v ?? 0), 0);
      cached = { pid, bytes, at: now, generation: this._pssGeneration };
      this._pssCache.set(u.info.id, cached);
      u.pssBytes = bytes;
    }
    for (const [id, c] of this._pssCache) {
      if (c.generation !== this._pssGeneration) {
        this._pssCache.delete(id);
      }
    }
  }

  private _options: IKernelTrackerOptions;
  private _kernels: KernelInfo[] = [];
  private _pids: number[] = [];
  private _refreshedAt = -Infinity;
  private _inFlight: Promise<void> | null = null;
  private _first: Promise<void> | null = null;
  private _started = false;
  private _failing = false;
  private _pssCache = new Map<
    string,
    { pid: number | null; bytes: number | null; at: number; generation: number }
  >();
  private _pssGeneration = 0;
}

const NO_PIDS: readonly number[] = [];
