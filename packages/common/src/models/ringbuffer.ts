/**
 * A fixed-capacity buffer of (time, value) points: appending is O(1) and allocates nothing;
 * when full, the oldest point is overwritten.
 */
export class RingBuffer {
  /**
   * Create a ring buffer holding at most `capacity` points.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`Invalid ring buffer capacity: ${capacity}`);
    }
    this.capacity = capacity;
    this._times = new Float64Array(capacity);
    this._values = new Float64Array(capacity);
  }

  /**
   * The most points the buffer holds.
   */
  readonly capacity: number;

  /**
   * The number of points held.
   */
  get length(): number {
    return this._length;
  }

  /**
   * Append a point; `NaN` marks a gap.
   */
  push(time: number, value: number): void {
    const index = (this._start + this._length) % this.capacity;
    this._times[index] = time;
    this._values[index] = value;
    if (this._length < this.capacity) {
      this._length++;
    } else {
      this._start = (this._start + 1) % this.capacity;
    }
  }

  /**
   * The time of the i-th oldest point.
   */
  timeAt(i: number): number {
    return this._times[(this._start + i) % this.capacity];
  }

  /**
   * The value of the i-th oldest point.
   */
  valueAt(i: number): number {
    return this._values[(this._start + i) % this.capacity];
  }

  /**
   * The index of the first point at or after `time` (binary search; times are ascending).
   */
  lowerBound(time: number): number {
    let lo = 0;
    let hi = this._length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeAt(mid) < time) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * Forget every point.
   */
  clear(): void {
    this._start = 0;
    this._length = 0;
  }

  private _times: Float64Array;
  private _values: Float64Array;
  private _start = 0;
  private _length = 0;
}
