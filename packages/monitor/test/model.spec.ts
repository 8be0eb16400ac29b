import { BridgeError } from '@mlinfn/common';
import { ResourceModel } from '../src/model';
import {
  device,
  FakeClient,
  flush,
  GB,
  gpu,
  host,
  noDriver,
  payload,
  snapshot
} from './fixtures';

const T0 = 1_764_000_000_000;

function makeModel(client: FakeClient, now?: () => number) {
  return new ResourceModel({
    client: client.asClient(),
    settings: {},
    throttle: false,
    now
  });
}

describe('ResourceModel', () => {
  it('subscribes to the metrics channel only while something claims it', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    expect(client.subscribed).toBe(false);
    expect(model.state).toBe('idle');

    const a = model.acquire();
    const b = model.acquire();
    expect(client.subscribed).toBe(true);
    expect(client.channels).toEqual(['metrics']);
    expect(client.subscribeCount).toBe(1);
    expect(model.state).toBe('loading');

    a.dispose();
    a.dispose(); // giving a claim back twice counts once
    expect(client.subscribed).toBe(true);
    b.dispose();
    expect(client.subscribed).toBe(false);
    expect(model.state).toBe('idle');
    model.dispose();
  });

  it('rebuilds the series from the snapshot history, then appends live points', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    const history = [T0 - 30_000, T0 - 20_000, T0 - 10_000];
    client.push(snapshot(T0, history));

    expect(model.state).toBe('live');
    expect(model.cpu.points('cpu').map(p => p.time)).toEqual([...history, T0]);
    // History points carry 10 %, the snapshot's own sample 25 %.
    expect(model.cpu.points('cpu').map(p => p.value)).toEqual([10, 10, 10, 25]);
    expect(model.memory.latest('memory')?.value).toBe(4 * GB);
    expect(model.gpuIndices).toEqual([0]);
    expect(model.gpuMemory.points('gpu0').map(p => p.value)).toEqual([
      4 * GB,
      4 * GB,
      4 * GB,
      5 * GB
    ]);

    client.push(payload(T0 + 1000, { host: host({ cpuPercent: 60 }) }));
    client.push(payload(T0 + 2000, { host: host({ cpuPercent: null }) }));
    const points = model.cpu.points('cpu');
    expect(points.map(p => p.time)).toEqual([
      ...history,
      T0,
      T0 + 1000,
      T0 + 2000
    ]);
    // An unknown figure is a gap, never a zero.
    expect(points[5].value).toBeNaN();
    expect(model.cpu.latest('cpu')?.value).toBe(60);
    expect(model.latest?.time).toBe(T0 + 2000);
    model.dispose();
  });

  it('starts over from a new snapshot after a resubscription', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    const claim = model.acquire();
    client.push(snapshot(T0, [T0 - 10_000]));
    client.push(payload(T0 + 1000));
    claim.dispose();
    model.acquire();
    client.push(snapshot(T0 + 60_000, [T0 + 50_000]));
    expect(model.cpu.points('cpu').map(p => p.time)).toEqual([
      T0 + 50_000,
      T0 + 60_000
    ]);
    model.dispose();
  });

  it('draws the memory limit as a limit line and follows it when it changes', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    client.push(snapshot(T0, []));
    expect(model.memory.limits).toEqual([
      { label: 'Memory limit', value: 16 * GB }
    ]);
    client.push(payload(T0 + 1000, { host: host({ memLimitBytes: 32 * GB }) }));
    expect(model.memory.limits.map(l => l.value)).toEqual([32 * GB]);
    model.dispose();
  });

  it('draws one GPU size line, or one per GPU in its colour when sizes differ', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    client.push(
      snapshot(T0, [], {
        gpu: gpu({ devices: [device(), device({ index: 1 })] })
      })
    );
    expect(model.gpuMemory.limits).toEqual([
      { label: 'GPU memory', value: 16 * GB }
    ]);
    client.push(
      payload(T0 + 1000, {
        gpu: gpu({
          devices: [device(), device({ index: 1, memoryTotalBytes: 80 * GB })]
        })
      })
    );
    expect(model.gpuMemory.limits).toEqual([
      { label: 'GPU 0 memory', value: 16 * GB, color: model.gpuColor(0) },
      { label: 'GPU 1 memory', value: 80 * GB, color: model.gpuColor(1) }
    ]);
    model.dispose();
  });

  it('adds a series when a GPU appears and removes it when it disappears', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    client.push(snapshot(T0, [], { gpu: noDriver() }));
    expect(model.gpuIndices).toEqual([]);
    expect(model.gpuUtilization.series).toEqual([]);

    client.push(
      payload(T0 + 1000, {
        gpu: gpu({ devices: [device(), device({ index: 1 })] })
      })
    );
    expect(model.gpuIndices).toEqual([0, 1]);
    expect(model.gpuUtilization.series.map(s => s.id)).toEqual([
      'gpu0',
      'gpu1'
    ]);
    expect(model.gpuUtilization.series[1].color).toBe(model.gpuColor(1));
    expect(model.gpuColor(0)).not.toBe(model.gpuColor(1));
    expect(model.gpuUtilization.latest('gpu1')?.value).toBe(37);

    client.push(payload(T0 + 2000, { gpu: gpu({ devices: [device()] }) }));
    expect(model.gpuIndices).toEqual([0]);
    expect(model.gpuUtilization.series.map(s => s.id)).toEqual(['gpu0']);
    expect(model.gpuMemory.series.map(s => s.id)).toEqual(['gpu0']);
    model.dispose();
  });

  it('keeps GPUs of the history that are gone from the live sample until the next live one', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    client.push(snapshot(T0, [T0 - 10_000], { gpu: noDriver() }));
    // The history had GPU 0; the snapshot's own sample has none: a gap at T0.
    expect(model.gpuIndices).toEqual([0]);
    const values = model.gpuUtilization.points('gpu0').map(p => p.value);
    expect(values[0]).toBe(20);
    expect(values[1]).toBeNaN();
    model.dispose();
  });

  it('updates the views at most once per refresh interval, with the newest sample', () => {
    jest.useFakeTimers();
    let now = T0;
    const client = new FakeClient();
    const model = new ResourceModel({
      client: client.asClient(),
      settings: { refreshInterval: 2 },
      now: () => now
    });
    const changed = jest.fn();
    model.changed.connect(changed);
    model.acquire();
    client.push(snapshot(T0, []));
    expect(changed).toHaveBeenCalledTimes(1);

    now += 1000;
    client.push(payload(now, { host: host({ cpuPercent: 50 }) }));
    now += 500;
    client.push(payload(now, { host: host({ cpuPercent: 70 }) }));
    expect(changed).toHaveBeenCalledTimes(1);

    now += 500;
    jest.advanceTimersByTime(1000);
    expect(changed).toHaveBeenCalledTimes(2);
    expect(model.latest?.host.cpuPercent).toBe(70);
    // Only the newest sample of the interval becomes a point.
    expect(model.cpu.points('cpu').map(p => p.value)).toEqual([25, 70]);
    model.dispose();
    jest.useRealTimers();
  });

  it('says the connection is lost, with the reason from the health check', async () => {
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    client.push(snapshot(T0, []));
    client.healthAnswer = new BridgeError(
      0,
      'unreachable',
      'The bridge cannot be reached.'
    );
    const states: string[] = [];
    model.stateChanged.connect((_, s) => states.push(s));
    client.setState('disconnected');
    expect(model.state).toBe('disconnected');
    expect(model.error?.message).toMatch(/connection to the bridge is lost/);
    await flush();
    expect(model.error?.details).toBe(
      'The bridge cannot be reached. (unreachable)'
    );

    client.setState('connecting');
    client.setState('connected');
    expect(model.state).toBe('live');
    expect(model.error).toBeNull();
    expect(states[0]).toBe('disconnected');
    model.dispose();
  });

  it('marks figures stale when none arrive for a while', () => {
    jest.useFakeTimers();
    const client = new FakeClient();
    const model = makeModel(client);
    model.acquire();
    client.push(snapshot(T0, []));
    jest.advanceTimersByTime(ResourceModel.STALE_MIN_MS - 1);
    expect(model.state).toBe('live');
    jest.advanceTimersByTime(2);
    expect(model.state).toBe('stale');
    expect(model.error?.message).toMatch(/No figures have come/);
    client.push(payload(T0 + 20_000));
    expect(model.state).toBe('live');
    model.dispose();
    jest.useRealTimers();
  });

  it('normalizes settings and tells when they change', () => {
    const client = new FakeClient();
    const model = makeModel(client);
    const seen = jest.fn();
    model.settingsChanged.connect(seen);
    model.updateSettings({ memoryWarningPercent: 80, refreshInterval: 999 });
    expect(model.settings.memoryWarningPercent).toBe(80);
    // Out of range: back to the default.
    expect(model.settings.refreshInterval).toBe(1);
    expect(seen).toHaveBeenCalledTimes(1);
    model.updateSettings({ memoryWarningPercent: 80 });
    expect(seen).toHaveBeenCalledTimes(1);
    model.dispose();
  });
});

describe('ResourceModel.windowFor', () => {
  it('fits the chart window to the data, up to the last hour', () => {
    const min = 60000;
    expect(ResourceModel.windowFor(0)).toBe(5 * min);
    expect(ResourceModel.windowFor(5 * min)).toBe(5 * min);
    expect(ResourceModel.windowFor(5 * min + 1)).toBe(10 * min);
    expect(ResourceModel.windowFor(40 * min)).toBe(60 * min);
    expect(ResourceModel.windowFor(5 * 60 * min)).toBe(60 * min);
  });

  it('widens the model windows as the history grows', () => {
    const client = new FakeClient();
    const model = new ResourceModel({
      client: client.asClient(),
      throttle: false
    });
    model.acquire();
    client.push(snapshot(T0, [T0 - 7 * 60000]));
    expect(model.cpu.windowMs).toBe(10 * 60000);
    expect(model.gpuMemory.windowMs).toBe(10 * 60000);
    client.push(payload(T0 + 20 * 60000));
    expect(model.memory.windowMs).toBe(30 * 60000);
    model.dispose();
  });
});
