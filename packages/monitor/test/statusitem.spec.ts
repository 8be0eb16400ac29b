import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { ResourceModel } from '../src/model';
import { DEFAULT_SETTINGS } from '../src/settings';
import { ResourceStatusItem } from '../src/widgets/statusitem';
import {
  device,
  FakeClient,
  GB,
  gpu,
  host,
  noDriver,
  payload,
  snapshot
} from './fixtures';

const T0 = 1_764_000_000_000;
const trans = nullTranslator.load('mlinfn');

describe('ResourceStatusItem.describe', () => {
  it('writes CPU, memory against its limit and the GPU', () => {
    const parts = ResourceStatusItem.describe(
      payload(T0),
      DEFAULT_SETTINGS,
      trans
    );
    expect(parts.map(p => [p.key, p.label, p.text, p.level])).toEqual([
      ['cpu', 'CPU', '25 %', 'ok'],
      ['memory', 'Mem', '4 / 16 GB', 'ok'],
      ['gpu', 'GPU', '37 % · 5 / 16 GB', 'ok']
    ]);
    expect(parts[1].title).toBe('Memory: 4 / 16 GB (25 %)');
  });

  it('colours memory and GPU memory as their limits near', () => {
    const p = payload(T0, {
      host: host({ memUsedBytes: 13 * GB, cpuPercent: 97 }),
      gpu: gpu({
        devices: [device(), device({ index: 1, memoryUsedBytes: 15 * GB })]
      })
    });
    const levels = Object.fromEntries(
      ResourceStatusItem.describe(p, DEFAULT_SETTINGS, trans).map(part => [
        part.key,
        part.level
      ])
    );
    // 81 % of memory is within 10 points of 90; GPU 1 at 94 % is past it.
    expect(levels).toEqual({
      cpu: 'warning',
      memory: 'warning',
      gpu: 'critical'
    });
    const worse = ResourceStatusItem.describe(
      payload(T0, { host: host({ memUsedBytes: 15 * GB }) }),
      DEFAULT_SETTINGS,
      trans
    );
    expect(worse[1].level).toBe('critical');
  });

  it('sums several GPUs and leaves the GPU out when there is none', () => {
    const many = ResourceStatusItem.describe(
      payload(T0, {
        gpu: gpu({
          devices: [
            device({ utilizationPercent: 20 }),
            device({ index: 1, utilizationPercent: null })
          ]
        })
      }),
      DEFAULT_SETTINGS,
      trans
    );
    expect(many[2].label).toBe('GPU×2');
    // The mean of the utilisations that are known, never a null counted as 0.
    expect(many[2].text).toBe('20 % · 10 / 32 GB');
    const none = ResourceStatusItem.describe(
      payload(T0, { gpu: noDriver() }),
      DEFAULT_SETTINGS,
      trans
    );
    expect(none.map(p => p.key)).toEqual(['cpu', 'memory']);
  });

  it('hides the parts the settings turn off', () => {
    const parts = ResourceStatusItem.describe(
      payload(T0),
      { ...DEFAULT_SETTINGS, showCpu: false, showGpu: false },
      trans
    );
    expect(parts.map(p => p.key)).toEqual(['memory']);
  });
});

describe('ResourceStatusItem', () => {
  it('renders coloured parts, claims the model and opens the panel on click', () => {
    const client = new FakeClient();
    const model = new ResourceModel({
      client: client.asClient(),
      throttle: false
    });
    const onClick = jest.fn();
    const item = new ResourceStatusItem({ model, onClick });
    Widget.attach(item, document.body);
    expect(client.subscribed).toBe(true);
    expect(item.node.textContent).toBe('Resources…');

    client.push(snapshot(T0, [], { host: host({ memUsedBytes: 15 * GB }) }));
    MessageLoop.flush();
    const memory = item.node.querySelector('.jp-ResourceStatus-memory')!;
    expect(memory.textContent).toBe('Mem 15 / 16 GB');
    expect(memory.classList).toContain('jp-mod-critical');
    expect(item.node.querySelector('.jp-ResourceStatus-gpu')).not.toBeNull();
    expect(item.node.getAttribute('aria-label')).toMatch(
      /^Resources: CPU: 25 %/
    );

    item.node.click();
    expect(onClick).toHaveBeenCalledTimes(1);

    const active = jest.fn();
    item.activeStateChanged.connect(active);
    model.updateSettings({ showCpu: false, showMemory: false, showGpu: false });
    expect(item.isActive).toBe(false);
    expect(active).toHaveBeenCalled();
    // Nothing shown, nothing needed: the model may unsubscribe.
    expect(client.subscribed).toBe(false);

    item.dispose();
    model.dispose();
  });
});
