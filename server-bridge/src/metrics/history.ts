/**
 * The low-rate history behind the last-hour charts: a fixed ring of points, kept all the time
 * whether anyone watches or not.
 */
import type { MetricsHistory, MetricsHistoryPoint } from '../schema-types';

/** A ring buffer of history points: O(1) append, oldest dropped first. */
export class HistoryRing {
  /**
   * @param intervalSeconds - one point per this many seconds.
   * @param spanSeconds - how far back to keep (3600 / 10 → 360 points).
   */
  constructor(
    readonly intervalSeconds: number,
    spanSeconds: number
  ) {
    this.capacity = Math.max(1, Math.round(spanSeconds / intervalSeconds));
    this._points = new Array<MetricsHistoryPoint | undefined>(this.capacity);
  }

  /** The most points kept. */
  readonly capacity: number;

  /** Points held now. */
  get length(): number {
    return this._length;
  }

  /** Time of the newest point, or null. */
  get lastTime(): number | null {
    if (!this._length) {
      return null;
    }
    const i = (this._start + this._length - 1) % this.capacity;
    return this._points[i]?.time ?? null;
  }

  /** Append a point, dropping the oldest when full. */
  push(point: MetricsHistoryPoint): void {
    if (this._length < this.capacity) {
      this._points[(this._start + this._length) % this.capacity] = point;
      this._length++;
    } else {
      this._points[this._start] = point;
      this._start = (this._start + 1) % this.capacity;
    }
  }

  /** Whether a point is due at `now` (ms): one interval after the last, with 5% slack for timer jitter. */
  due(now: number): boolean {
    const last = this.lastTime;
    return last === null || now - last >= this.intervalSeconds * 1000 * 0.95;
  }

  /** The points, oldest first. */
  toArray(): MetricsHistoryPoint[] {
    const out: MetricsHistoryPoint[] = [];
    for (let k = 0; k < this._length; k++) {
      out.push(
        this._points[(this._start + k) % this.capacity] as MetricsHistoryPoint
      );
    }
    return out;
  }

  /** The history block of the channel's snapshot. */
  toJSON(): MetricsHistory {
    return { intervalSeconds: this.intervalSeconds, points: this.toArray() };
  }

  private _points: (MetricsHistoryPoint | undefined)[];
  private _start = 0;
  private _length = 0;
}
