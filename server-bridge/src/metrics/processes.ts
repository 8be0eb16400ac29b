/**
 * The process table the sampler keeps between samples.
 *
 * A sample needs fresh figures for the kernels' process trees only: the kernel pids and their
 * descendants. Reading every /proc/<pid>/stat of the machine each second (hundreds, on a shared
 * host thousands) to find those few is what made the sampler costly. So:
 *
 * - a FULL SCAN (every /proc/<pid>/stat) runs at the slower `fullScanMs` rate (the kernel-list
 *   refresh rate, 5 s): it discovers new descendants of the kernels, and gives the group view
 *   and the GPU attribution the machine's processes and their ancestry;
 * - a full scan also runs at once when a sample asks about a pid that the last scan did not
 *   see: a kernel started since, or a GPU reading naming an unknown process (a kernel's new
 *   child that just took GPU memory). A pid still missing after that scan (another pid
 *   namespace: a container sees no host pids; a remote kernel) is not asked about again until
 *   the next scheduled scan, so it never turns every sample into a full scan;
 * - between full scans, a sample re-reads only the WATCHED pids: the trees of the kernels, as
 *   the last scan found them. A watched pid that has exited, or whose start time changed (the
 *   pid was recycled by another process), leaves the table at once; CPU % stays keyed by
 *   (pid, start time) in CpuTracker.
 *
 * The entries of other processes are as old as the last full scan (at most `fullScanMs`);
 * they are only used for presence and ancestry, never for figures.
 */
import {
  currentPageSize,
  descendants,
  IProcEntry,
  IProcessTable,
  parsePidStat,
  readProcessTable
} from './procfs';
import { readProcFile } from './util';

/** What the kernel tracker and the GPU attribution read from the table. */
export interface IProcessView {
  /** Every process of the last full scan, the watched ones refreshed this sample. */
  readonly processes: Map<number, IProcEntry>;
  /** `pid` and its descendants (pid first), empty when `pid` is not in the table. */
  tree(pid: number): readonly number[];
}

/** A watched pid and the path of its stat file (built once, not per sample). */
interface IWatched {
  pid: number;
  path: string;
}

/** Keeps the process table: full scans at a slow rate, the kernels' trees every sample. */
export class ProcessTracker implements IProcessView {
  /**
   * @param procRoot - the /proc root (fixture trees in tests).
   * @param fullScanMs - how often every process is read.
   */
  constructor(
    private readonly procRoot: string,
    private readonly fullScanMs: number
  ) {}

  /** The table; empty before the first update. */
  get processes(): Map<number, IProcEntry> {
    return this._table.processes;
  }

  /** How many full scans ran (tests, diagnostics). */
  get fullScans(): number {
    return this._fullScans;
  }

  /** The pids re-read between full scans (tests). */
  get watched(): number[] {
    return this._watched.map(w => w.pid);
  }

  /**
   * Bring the table up to date for a sample taken at `now`.
   *
   * @param roots - the kernel pids: their trees are watched.
   * @param wanted - other pids the sample needs to place (GPU processes): an unknown one
   *   forces a full scan, once.
   * @returns whether a full scan ran.
   */
  async update(
    now: number,
    roots: readonly number[],
    wanted: readonly number[] = []
  ): Promise<boolean> {
    const full =
      this._fullScans === 0 ||
      now - this._scannedAt >= this.fullScanMs ||
      now < this._scannedAt || // the clock went back
      this._unknown(roots) ||
      this._unknown(wanted);
    if (full) {
      this._table = await readProcessTable(this.procRoot);
      this._scannedAt = now;
      this._fullScans++;
      this._generation++;
      this._missing.clear();
      for (const list of [roots, wanted]) {
        for (const pid of list) {
          if (!this._table.processes.has(pid)) {
            this._missing.add(pid);
          }
        }
      }
      this._watch(roots);
      return true;
    }
    if (!sameList(roots, this._roots) || this._watchedAt !== this._generation) {
      this._watch(roots);
    }
    this._refreshWatched();
    return false;
  }

  /** `pid` and its descendants in the table, cached until the table changes. */
  tree(pid: number): readonly number[] {
    if (this._treesAt !== this._generation) {
      this._trees.clear();
      this._treesAt = this._generation;
    }
    let t = this._trees.get(pid);
    if (!t) {
      t = descendants(this._table, pid);
      this._trees.set(pid, t);
    }
    return t;
  }

  /** Whether any of `pids` is neither in the table nor known to be missing since the last scan. */
  private _unknown(pids: readonly number[]): boolean {
    for (const pid of pids) {
      if (!this._table.processes.has(pid) && !this._missing.has(pid)) {
        return true;
      }
    }
    return false;
  }

  /** Watch the trees of `roots` as the table has them. */
  private _watch(roots: readonly number[]): void {
    this._roots = roots.slice();
    const seen = new Set<number>();
    const watched: IWatched[] = [];
    for (const root of roots) {
      for (const pid of this.tree(root)) {
        if (!seen.has(pid)) {
          seen.add(pid);
          watched.push(
            this._paths.get(pid) ?? {
              pid,
              path: `${this.procRoot}/${pid}/stat`
            }
          );
        }
      }
    }
    this._watched = watched;
    this._paths = new Map(watched.map(w => [w.pid, w]));
    this._watchedAt = this._generation;
  }

  /** Re-read the watched pids' stat files; drop the ones that exited or were recycled. */
  private _refreshWatched(): void {
    const processes = this._table.processes;
    let removed = false;
    for (const w of this._watched) {
      const entry = processes.get(w.pid);
      if (!entry) {
        continue;
      }
      const text = readProcFile(w.path);
      const s = text ? parsePidStat(text) : null;
      if (!s || s.starttime !== entry.starttime) {
        // Exited, or the pid now names another process: not ours until a scan says so.
        processes.delete(w.pid);
        removed = true;
        continue;
      }
      // Updated in place: the entry objects live as long as the process does.
      entry.ppid = s.ppid;
      entry.cpuTicks = s.utime + s.stime;
      entry.rssBytes = s.rssPages * currentPageSize();
    }
    if (removed) {
      this._generation++;
    }
  }

  private _table: IProcessTable = { processes: new Map(), children: new Map() };
  private _scannedAt = 0;
  private _fullScans = 0;
  /** Bumped whenever the table's membership changes; caches built at another one are stale. */
  private _generation = 0;
  /** Pids asked about and not found by the last full scan. */
  private _missing = new Set<number>();
  private _roots: number[] = [];
  private _watched: IWatched[] = [];
  private _paths = new Map<number, IWatched>();
  private _watchedAt = -1;
  private _trees = new Map<number, number[]>();
  private _treesAt = -1;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}
