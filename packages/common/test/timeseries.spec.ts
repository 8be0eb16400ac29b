import { Widget } from '@lumino/widgets';
import { RingBuffer } from '../src/models/ringbuffer';
import { TimeSeriesModel } from '../src/models/timeseries';
import { TimeSeriesChart } from '../src/widgets/timeseries';

describe('RingBuffer', () => {
  it('keeps the newest points, oldest first, when full', () => {
    const buffer = new RingBuffer(3);
    for (let i = 1; i <= 5; i++) {
      buffer.push(i * 10, i);
    }
    expect(buffer.length).toBe(3);
    const values = [0, 1, 2].map(i => buffer.valueAt(i));
    const times = [0, 1, 2].map(i => buffer.timeAt(i));
    expect(values).toEqual([3, 4, 5]);
    expect(times).toEqual([30, 40, 50]);
    expect(buffer.lowerBound(41)).toBe(2);
    expect(buffer.lowerBound(0)).toBe(0);
    expect(buffer.lowerBound(99)).toBe(3);
  });
});

describe('TimeSeriesModel', () => {
  function model(options: Partial<TimeSeriesModel.IOptions> = {}) {
    return new TimeSeriesModel({
      series: [
        { id: 'gpu0', label: 'GPU 0', color: 'var(--jp-brand-color1)' },
        { id: 'gpu1', label: 'GPU 1', color: 'var(--jp-warn-color1)' }
      ],
      unit: '%',
      ...options
    });
  }

  it('defaults to the last hour', () => {
    const m = model();
    expect(m.windowMs).toBe(3_600_000);
    m.append(10_000_000, { gpu0: 1 });
    expect(m.range()).toEqual([10_000_000 - 3_600_000, 10_000_000]);
  });

  it('returns only the points inside the window ending at the newest point', () => {
    const m = model({ windowMs: 1000 });
    for (let t = 0; t <= 3000; t += 500) {
      m.append(t, { gpu0: t / 100 });
    }
    expect(m.points('gpu0').map(p => p.time)).toEqual([2000, 2500, 3000]);
    expect(m.points('gpu0', 1500).map(p => p.time)).toEqual([500, 1000, 1500]);
  });

  it('bounds memory with the ring buffer capacity', () => {
    const m = model({ capacity: 4, windowMs: 1e9 });
    for (let t = 0; t < 10; t++) {
      m.append(t, { gpu0: t });
    }
    expect(m.points('gpu0').map(p => p.value)).toEqual([6, 7, 8, 9]);
  });

  it('keeps gaps for missing values and finds the latest real value', () => {
    const m = model();
    m.append(1000, { gpu0: 10, gpu1: 5 });
    m.append(2000, { gpu0: null, gpu1: 6 });
    const values = m.points('gpu0').map(p => p.value);
    expect(values[0]).toBe(10);
    expect(values[1]).toBeNaN();
    expect(m.latest('gpu0')).toEqual({ time: 1000, value: 10 });
    expect(m.latest('gpu1')).toEqual({ time: 2000, value: 6 });
  });

  it('finds the nearest point for the hover readout', () => {
    const m = model();
    m.append(1000, { gpu0: 1 });
    m.append(2000, { gpu0: 2 });
    m.append(3000, { gpu0: 3 });
    expect(m.nearest('gpu0', 1400)?.value).toBe(1);
    expect(m.nearest('gpu0', 1600)?.value).toBe(2);
    expect(m.nearest('gpu0', 9999)?.value).toBe(3);
    expect(m.nearest('gpu0', -5)?.value).toBe(1);
    expect(m.nearest('missing', 1)).toBeNull();
  });

  it('drops samples older than the newest and signals changes', () => {
    const m = model();
    let changes = 0;
    m.changed.connect(() => changes++);
    m.append(2000, { gpu0: 2 });
    m.append(1000, { gpu0: 1 });
    expect(m.points('gpu0')).toEqual([{ time: 2000, value: 2 }]);
    expect(changes).toBe(1);
    m.limits = [{ label: 'Limit', value: 90 }];
    expect(changes).toBe(2);
  });
});

describe('TimeSeriesChart', () => {
  let raf: jest.SpyInstance;
  let frames: FrameRequestCallback[];

  beforeEach(() => {
    frames = [];
    raf = jest
      .spyOn(window, 'requestAnimationFrame')
      .mockImplementation((cb: FrameRequestCallback) => {
        frames.push(cb);
        return frames.length;
      });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function setup() {
    const model = new TimeSeriesModel({
      series: [
        { id: 'cpu', label: 'CPU', color: 'var(--jp-brand-color1)' },
        { id: 'mem', label: 'Memory', color: 'var(--jp-warn-color1)' }
      ],
      unit: '%',
      yMax: 100,
      limits: [{ label: 'Limit', value: 90 }]
    });
    const chart = new TimeSeriesChart({ model, label: 'Usage' });
    Widget.attach(chart, document.body);
    const svg = chart.node.querySelector('svg') as SVGSVGElement;
    Object.defineProperty(svg, 'clientWidth', { value: 400 });
    Object.defineProperty(svg, 'clientHeight', { value: 200 });
    return { model, chart, svg };
  }

  it('is an accessible image whose label summarises the latest values', () => {
    const { model, chart, svg } = setup();
    model.append(1000, { cpu: 42, mem: 13.25 });
    chart.draw();
    expect(svg.getAttribute('role')).toBe('img');
    const label = svg.getAttribute('aria-label') ?? '';
    expect(label).toContain('Usage');
    expect(label).toContain('CPU 42 %');
    expect(label).toContain('Memory 13.3 %');
    chart.dispose();
  });

  it('throttles redraws to one animation frame however many points arrive', () => {
    const { model, chart } = setup();
    // Run the draw that attaching scheduled.
    frames.splice(0).forEach(cb => cb(0));
    raf.mockClear();
    for (let t = 0; t < 100; t++) {
      model.append(t * 1000, { cpu: t, mem: 1 });
    }
    expect(raf).toHaveBeenCalledTimes(1);
    frames[0](0);
    model.append(200_000, { cpu: 1, mem: 1 });
    expect(raf).toHaveBeenCalledTimes(2);
    chart.dispose();
  });

  it('draws one line per series and the limit lines', () => {
    const { model, chart, svg } = setup();
    model.append(1000, { cpu: 10, mem: 20 });
    model.append(2000, { cpu: 30, mem: 40 });
    chart.draw();
    const paths = svg.querySelectorAll('path.jp-TimeSeriesChart-line');
    expect([...paths].map(p => p.getAttribute('data-series'))).toEqual([
      'cpu',
      'mem'
    ]);
    expect(svg.querySelectorAll('line.jp-TimeSeriesChart-limit')).toHaveLength(
      1
    );
    expect(svg.textContent).toContain('Limit 90 %');
    chart.dispose();
  });

  it('reads out the values at the cursor in an aria-live region', () => {
    const { model, chart, svg } = setup();
    model.append(1000, { cpu: 10, mem: 20 });
    model.append(2000, { cpu: 30, mem: 40 });
    chart.draw();
    svg.dispatchEvent(new KeyboardEvent('keydown', { key: 'End' }));
    const readout = chart.node.querySelector(
      '.jp-TimeSeriesChart-readout'
    ) as HTMLElement;
    expect(readout.getAttribute('aria-live')).toBe('polite');
    expect(readout.textContent).toContain('CPU: 30 %');
    expect(readout.textContent).toContain('Memory: 40 %');
    svg.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(readout.textContent).toBe('');
    chart.dispose();
  });
});
