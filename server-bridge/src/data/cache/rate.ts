/** A transfer rate over the last few seconds (bytes per second). */
export class RateMeter {
  constructor(private readonly _windowMs = 3000) {}

  /** Record the running total at a moment. */
  sample(totalBytes: number, now = Date.now()): void {
    this._samples.push([now, totalBytes]);
    while (
      this._samples.length > 2 &&
      now - this._samples[0][0] > this._windowMs
    ) {
      this._samples.shift();
    }
  }

  /** Bytes per second over the window (0 until two samples). */
  rate(): number {
    if (this._samples.length < 2) {
      return 0;
    }
    const [t0, b0] = this._samples[0];
    const [t1, b1] = this._samples[this._samples.length - 1];
    return t1 > t0 ? Math.max(0, ((b1 - b0) * 1000) / (t1 - t0)) : 0;
  }

  private readonly _samples: Array<[number, number]> = [];
}
