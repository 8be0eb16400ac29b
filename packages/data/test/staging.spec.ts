import type { DataChannelMessage } from '@mlinfn/common';
import { StagingModel } from '../src/models/staging';
import { StagingStatusItem } from '../src/widgets/statusitem';
import { FakeBridge } from './fixtures';

function channel() {
  let handler: ((m: DataChannelMessage) => void) | null = null;
  const client = {
    subscribe: jest.fn((name: string, h: any) => {
      expect(name).toBe('data');
      handler = h;
      return { isDisposed: false, dispose: jest.fn() };
    })
  };
  return { client, push: (m: DataChannelMessage) => handler!(m) };
}

const stage = (over: Partial<DataChannelMessage & { type: 'stage' }>) => ({
  type: 'stage' as const,
  id: 'id-1',
  endpoint: 'rgw',
  bucket: 'b',
  key: 'runs/big.root',
  state: 'downloading' as const,
  bytes: 0,
  size: 100_000_000,
  rate: 0,
  ...over
});

describe('StagingModel', () => {
  it('follows a staging on the data channel into the cache, with the status bar meanwhile', async () => {
    const { client, push } = channel();
    const bridge = new FakeBridge().on('GET', /^api\/data\/cache$/, () => ({
      dir: '/cache',
      quotaBytes: 10e9,
      usedBytes: 100_000_000,
      entries: [
        {
          id: 'id-1',
          endpoint: 'rgw',
          bucket: 'b',
          key: 'runs/big.root',
          etag: 'e',
          state: 'ready',
          bytes: 100_000_000,
          size: 100_000_000,
          localPath: '/cache/objects/abc.root',
          createdAt: 1,
          lastUsedAt: 2
        }
      ]
    }));
    let now = 0;
    const model = new StagingModel({
      api: bridge.api(),
      client,
      now: () => now
    });
    const item = new StagingStatusItem({ model });
    expect(item.isActive).toBe(false);

    push({ type: 'snapshot', stages: [stage({ bytes: 10_000_000 })] });
    now = 1000;
    push(stage({ bytes: 45_000_000, rate: 35_000_000 }));
    expect(model.active).toHaveLength(1);
    const progress = model.active[0].progress;
    expect(progress.fraction).toBeCloseTo(0.45);
    expect(progress.describe()).toBe('45 MB of 100 MB · 35 MB/s · 2 s left');
    expect(model.totals).toEqual({
      count: 1,
      bytes: 45_000_000,
      size: 100_000_000
    });
    expect(item.isActive).toBe(true);
    expect(item.node.textContent).toBe('Staging 1 object · 45 %');

    push(stage({ state: 'ready', bytes: 100_000_000 }));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.active).toHaveLength(0);
    expect(item.isActive).toBe(false);
    expect(model.entries.map(e => e.localPath)).toEqual([
      '/cache/objects/abc.root'
    ]);

    push({ type: 'removed', id: 'id-1', reason: 'evicted' });
    expect(model.entries).toHaveLength(0);
    model.dispose();
  });

  it('keeps a failed staging with its reason until dismissed', () => {
    const { client, push } = channel();
    const model = new StagingModel({ api: new FakeBridge().api(), client });
    push(
      stage({
        state: 'failed',
        error: 'The copy did not match its checksum; it was deleted.'
      })
    );
    expect(model.active[0].entry.error).toMatch(/checksum/);
    expect(model.totals.count).toBe(0);
    model.dismiss('id-1');
    expect(model.active).toHaveLength(0);
  });

  it('stages through the bridge and shows it at once', async () => {
    const { client } = channel();
    const bridge = new FakeBridge().on('POST', /^api\/data\/stage$/, call => ({
      ...(call.body as object),
      id: 'id-9',
      etag: 'e',
      state: 'queued',
      bytes: 0,
      size: 5,
      createdAt: 0,
      lastUsedAt: 0
    }));
    const model = new StagingModel({ api: bridge.api(), client });
    const entry = await model.stage('rgw', 'b', 'k.csv');
    expect(bridge.calls[0].body).toEqual({
      endpoint: 'rgw',
      bucket: 'b',
      key: 'k.csv'
    });
    expect(entry.state).toBe('queued');
    expect(model.active.map(s => s.id)).toEqual(['id-9']);
    expect(model.active[0].progress.indeterminate).toBe(true);
  });
});
