import { Registry } from 'prom-client';
import { createMetricsModule } from '../../src/metrics';
import { recordingLogger } from './helpers';

describe('the real host', () => {
  it('samples plausible, non-null host figures from this machine', async () => {
    const m = createMetricsModule({
      config: { gpu: { source: 'none' } },
      listKernels: async () => ({
        kernels: [
          {
            id: 'self',
            name: 'node',
            pid: process.pid,
            executionState: 'busy',
            lastActivity: null,
            connections: 0,
            sessions: [{ path: 'this-test.ipynb', type: 'notebook', name: 'x' }]
          }
        ]
      }),
      logger: recordingLogger(),
      registry: new Registry(),
      publish: () => undefined,
      paths: { rootDir: process.cwd() }
    });
    const s = m.sampler;
    await s.sample();
    // burn a little CPU so the second sample has something to measure
    const end = Date.now() + 300;
    while (Date.now() < end) {
      Math.sqrt(Math.random());
    }
    const p = await s.sample();
    const h = p.host;
    expect(h.cpuLimitCores).toBeGreaterThan(0);
    expect(h.cpuPercent).not.toBeNull();
    expect(h.cpuPercent!).toBeGreaterThanOrEqual(0);
    expect(h.cpuPercent!).toBeLessThanOrEqual(100.5);
    expect(h.memLimitBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(h.memUsedBytes).not.toBeNull();
    expect(h.memUsedBytes!).toBeGreaterThan(0);
    expect(h.memUsedBytes!).toBeLessThanOrEqual(h.memLimitBytes * 1.05);
    expect(['cgroup2', 'cgroup1', 'env', 'host']).toContain(h.limitSource);
    expect(h.netRxBytesPerSec).not.toBeNull();
    // the disk probe runs in a child: wait for its first answer
    for (
      let i = 0;
      i < 50 && s.latest === null && h.diskTotalBytes === null;
      i++
    ) {
      await new Promise(r => setTimeout(r, 50));
      const again = await s.sample();
      if (again.host.diskTotalBytes !== null) {
        expect(again.host.diskUsedBytes!).toBeLessThanOrEqual(
          again.host.diskTotalBytes
        );
        break;
      }
    }
    const me = p.kernels[0];
    expect(me.processCount).toBeGreaterThanOrEqual(1);
    expect(me.rssBytes!).toBeGreaterThan(10 * 1024 * 1024);
    expect(me.cpuPercent).toBeGreaterThan(10); // we just burnt ~300 ms
    expect(p.gpu).toMatchObject({ status: 'disabled', devices: [] });
  });
});
