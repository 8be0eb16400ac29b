import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate
} from '../src/format';
import { ProgressModel } from '../src/models/progress';
import { ProgressBar, ProgressBars } from '../src/widgets/progress';

describe('format', () => {
  it('formats bytes with SI units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(12_300_000)).toBe('12.3 MB');
    expect(formatBytes(40_000_000)).toBe('40 MB');
    expect(formatBytes(999_960)).toBe('1 MB');
    expect(formatBytes(1_500_000_000_000)).toBe('1.5 TB');
    expect(formatRate(4_100_000)).toBe('4.1 MB/s');
  });

  it('formats durations for people', () => {
    expect(formatDuration(6.7)).toBe('7 s');
    expect(formatDuration(65)).toBe('1 min 5 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(3720)).toBe('1 h 2 min');
    expect(formatDuration(2 * 86400 + 4 * 3600 + 5)).toBe('2 d 4 h');
    expect(formatDuration(-3)).toBe('0 s');
    expect(formatPercent(0.423)).toBe('42 %');
  });
});

describe('ProgressModel', () => {
  it('measures the rate and the time left', () => {
    let now = 0;
    const m = new ProgressModel({ total: 40_000_000, now: () => now });
    m.update(0);
    now = 3000;
    m.update(12_300_000);
    expect(m.rate).toBeCloseTo(4_100_000);
    expect(m.secondsLeft).toBeCloseTo(27_700_000 / 4_100_000);
    expect(m.describe()).toBe('12.3 MB of 40 MB · 4.1 MB/s · 7 s left');
  });

  it('smooths the measured rate', () => {
    let now = 0;
    const m = new ProgressModel({ total: 100, unit: 'items', now: () => now });
    m.update(0);
    now = 1000;
    m.update(10);
    now = 2000;
    m.update(30);
    // 0.3 * 20 + 0.7 * 10
    expect(m.rate).toBeCloseTo(13);
    expect(m.describe()).toBe('30 of 100 · 13/s · 5 s left');
  });

  it('is indeterminate without a total', () => {
    const m = new ProgressModel();
    m.update(5_000_000, undefined, 1_000_000);
    expect(m.indeterminate).toBe(true);
    expect(m.fraction).toBeNull();
    expect(m.secondsLeft).toBeNull();
    expect(m.describe()).toBe('5 MB · 1 MB/s');
  });

  it('says done when complete', () => {
    const m = new ProgressModel({ total: 10, unit: 'items' });
    m.update(10);
    expect(m.complete).toBe(true);
    expect(m.describe()).toBe('10 of 10 · done');
  });
});

describe('ProgressBar', () => {
  it('is a progressbar with aria-valuenow, or without it when indeterminate', () => {
    const model = new ProgressModel({ total: 40_000_000, label: 'data.h5' });
    const bar = new ProgressBar({ model });
    const track = bar.node.querySelector('[role="progressbar"]') as HTMLElement;
    model.update(12_300_000, undefined, 4_100_000);
    bar.update();
    // Update requests are processed on the next frame: flush them synchronously.
    (bar as any).onUpdateRequest();
    expect(track.getAttribute('aria-valuenow')).toBe('31');
    expect(track.getAttribute('aria-valuetext')).toBe(
      '12.3 MB of 40 MB · 4.1 MB/s · 7 s left'
    );
    expect(track.getAttribute('aria-label')).toBe('data.h5');
    expect(bar.hasClass('jp-mod-indeterminate')).toBe(false);

    model.indeterminate = true;
    (bar as any).onUpdateRequest();
    expect(track.hasAttribute('aria-valuenow')).toBe(false);
    expect(bar.hasClass('jp-mod-indeterminate')).toBe(true);
    bar.dispose();
  });
});

describe('ProgressBars', () => {
  it('keeps a bar across renders, makes a new one for a new model, disposes of the pruned', () => {
    const bars = new ProgressBars<string>();
    const first = new ProgressModel({ total: 10 });
    const a = bars.get('a', first);
    expect(bars.get('a', first)).toBe(a);

    // A restarted staging has a new progress model: its bar is new, the old one is gone.
    const again = new ProgressModel({ total: 10 });
    const a2 = bars.get('a', again);
    expect(a2).not.toBe(a);
    expect(a.isDisposed).toBe(true);

    const b = bars.get('b', new ProgressModel());
    bars.prune(key => key === 'b');
    expect(a2.isDisposed).toBe(true);
    expect(b.isDisposed).toBe(false);

    bars.dispose();
    expect(b.isDisposed).toBe(true);
  });
});
