import { ResourceModel } from '../src/model';
import { ResourceNotifier, ThresholdWatch } from '../src/notifications';
import {
  device,
  FakeClient,
  GB,
  gpu,
  host,
  payload,
  snapshot
} from './fixtures';

const T0 = 1_764_000_000_000;

describe('ThresholdWatch', () => {
  it('fires once per crossing and re-arms only 5 points below the threshold', () => {
    const watch = new ThresholdWatch(5);
    const fired = [80, 90, 95, 89, 86, 85, 91, 84.9, 90].map(p =>
      watch.check('memory', p, 90)
    );
    // 90 fires; 95, 89, 86 do not; 85 is not below 85, so 91 does not either; 84.9 re-arms,
    // and 90 fires again.
    expect(fired).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true
    ]);
  });

  it('keeps figures apart and ignores unknown values', () => {
    const watch = new ThresholdWatch();
    expect(watch.check('gpu0', 95, 90)).toBe(true);
    expect(watch.check('gpu1', 95, 90)).toBe(true);
    expect(watch.check('gpu1', null, 90)).toBe(false);
    expect(watch.hasFired('gpu1')).toBe(true);
    watch.retain(['gpu0']);
    expect(watch.hasFired('gpu1')).toBe(false);
    expect(watch.hasFired('gpu0')).toBe(true);
  });
});

describe('ResourceNotifier', () => {
  function setup(notifications = true) {
    const client = new FakeClient();
    const model = new ResourceModel({
      client: client.asClient(),
      settings: { notifications },
      throttle: false
    });
    const notify = jest.fn();
    const openPanel = jest.fn();
    const notifier = new ResourceNotifier({ model, notify, openPanel });
    return { client, model, notify, openPanel, notifier };
  }

  it('warns when memory crosses its threshold, once, with an action that opens the panel', () => {
    const { client, model, notify, openPanel, notifier } = setup();
    // The notifier's claim subscribes the model.
    expect(client.subscribed).toBe(true);
    client.push(snapshot(T0, []));
    expect(notify).not.toHaveBeenCalled();

    const mem = (used: number, t: number) =>
      client.push(payload(t, { host: host({ memUsedBytes: used * GB }) }));
    mem(14.5, T0 + 1000); // 90.6 % of 16 GB
    mem(15, T0 + 2000);
    expect(notify).toHaveBeenCalledTimes(1);
    const [message, options] = notify.mock.calls[0];
    expect(message).toMatch(
      /^Memory is at 91 % of its limit \(14\.5 \/ 16 GB\)/
    );
    expect(options.actions[0].label).toBe('Show Resources');
    options.actions[0].callback(new Event('click'));
    expect(openPanel).toHaveBeenCalledTimes(1);

    mem(13.7, T0 + 3000); // 85.6 %: not re-armed
    mem(14.6, T0 + 4000);
    expect(notify).toHaveBeenCalledTimes(1);
    mem(13, T0 + 5000); // 81 %: re-armed
    mem(14.6, T0 + 6000);
    expect(notify).toHaveBeenCalledTimes(2);
    notifier.dispose();
    model.dispose();
  });

  it('warns for each GPU whose memory crosses the GPU threshold', () => {
    const { client, model, notify, notifier } = setup();
    model.updateSettings({ gpuMemoryWarningPercent: 80 });
    client.push(snapshot(T0, []));
    client.push(
      payload(T0 + 1000, {
        gpu: gpu({
          devices: [
            device({ memoryUsedBytes: 13 * GB }),
            device({ index: 1, memoryUsedBytes: 2 * GB })
          ]
        })
      })
    );
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify.mock.calls[0][0]).toMatch(/^GPU 0 memory is at 81 %/);
    notifier.dispose();
    model.dispose();
  });

  it('stays quiet, and lets the model unsubscribe, when notifications are off', () => {
    const { client, model, notify, notifier } = setup(false);
    expect(client.subscribed).toBe(false);
    const claim = model.acquire();
    client.push(snapshot(T0, [], { host: host({ memUsedBytes: 15.9 * GB }) }));
    expect(notify).not.toHaveBeenCalled();
    claim.dispose();
    model.updateSettings({ notifications: true });
    expect(client.subscribed).toBe(true);
    notifier.dispose();
    expect(client.subscribed).toBe(false);
    model.dispose();
  });
});
