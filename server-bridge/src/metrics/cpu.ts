/**
 * Per-process CPU percentages, keyed by (pid, start time).
 *
 * A pid is recycled when a process exits and another takes its number. Keyed by pid alone, the
 * new process's small tick count minus the old one's large count reads as garbage (negative) or
 * zero; keyed by (pid, starttime), the new process is simply a new key.
 *
 * The map is indexed by pid and each record holds the start time it belongs to: a record whose
 * start time differs from the process's is another process's, and counts as not seen. Only one
 * process holds a pid at a time, so this is exactly a (pid, starttime) key, without building a
 * key string per process per sample; records are updated in place.
 */
import { CLOCK_TICKS, IProcEntry } from './procfs';

interface ISeen {
  /** Start time of the process this record belongs to: with the pid, the key. */
  starttime: number;
  ticks: number;
  /** Sample time, ms. */
  at: number;
  /** Generation of the last sample that saw this key, to drop keys of exited processes. */
  generation: number;
}

/** Tracks CPU ticks between samples and turns them into percentages of one core. */
export class CpuTracker {
  /**
   * @param bootTimeMs - host boot time (ms since the epoch), to tell a process born since the
   *   last sample; null when unknown, and then a first sight always gives null.
   */
  constructor(private readonly bootTimeMs: number | null = null) {}

  /** Start a sample taken at `now` (ms). Call once per sample, before {@link percent}. */
  begin(now: number): void {
    // Null before the first sample: nothing was seen before it, so nothing is "born since".
    this._previous = this._started ? this._now : null;
    this._started = true;
    this._now = now;
    this._generation++;
  }

  /**
   * CPU use of `p` since the previous sample, in percent of one core.
   *
   * Null the first time a (pid, starttime) is seen — except for a process born after the
   * previous sample, whose whole lifetime lies inside the interval, so that its ticks over its
   * age are an exact figure.
   */
  percent(p: IProcEntry): number | null {
    const seen = this._seen.get(p.pid);
    if (seen && seen.starttime === p.starttime) {
      const dt = (this._now - seen.at) / 1000;
      const used = (p.cpuTicks - seen.ticks) / CLOCK_TICKS;
      seen.ticks = p.cpuTicks;
      seen.at = this._now;
      seen.generation = this._generation;
      if (dt <= 0) {
        return null;
      }
      return used < 0 ? null : (used / dt) * 100;
    }
    // First sight of this (pid, starttime): a new record, or the recycled pid's taken over.
    if (seen) {
      seen.starttime = p.starttime;
      seen.ticks = p.cpuTicks;
      seen.at = this._now;
      seen.generation = this._generation;
    } else {
      this._seen.set(p.pid, {
        starttime: p.starttime,
        ticks: p.cpuTicks,
        at: this._now,
        generation: this._generation
      });
    }
    if (this.bootTimeMs !== null && this._previous !== null) {
      const startMs = this.bootTimeMs + (p.starttime / CLOCK_TICKS) * 1000;
      if (startMs > this._previous) {
        // Born inside the interval: all its ticks were spent in it.
        const interval = (this._now - this._previous) / 1000;
        return interval > 0
          ? (p.cpuTicks / CLOCK_TICKS / interval) * 100
          : null;
      }
    }
    return null;
  }

  /** Forget processes not seen in this sample. Call once per sample, after the last {@link percent}. */
  end(): void {
    for (const [key, seen] of this._seen) {
      if (seen.generation !== this._generation) {
        this._seen.delete(key);
      }
    }
  }

  /** Keys tracked (for tests). */
  get size(): number {
    return this._seen.size;
  }

  private _seen = new Map<number, ISeen>();
  private _now = 0;
  private _previous: number | null = null;
  private _started = false;
  private _generation = 0;
}
