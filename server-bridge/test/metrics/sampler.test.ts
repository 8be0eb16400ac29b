import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { HistoryRing } from '../../src/metrics/history';
import { createMetricsModule } from '../../src/metrics';
import type {
  MetricsChannelPayload,
  MetricsHistoryPoint
} from '../../src/schema-types';
import { FAKE_SMI, FIXTURES, recordingLogger, SMI, waitFor } from './helpers';

const point = (time: number): MetricsHistoryPoint => ({
  time,
  cpuPercent: 1,
  memUsedBytes: 2,
  memLimitBytes: 3,
  gpus: []
});

describe('history ring', () => {
  it('keeps the last hour: 360 points at 10 s, oldest dropped first', () => {
    const ring = new HistoryRing(10, 3600);
    expect(ring.capacity).toBe(360);
    for (let i = 0; i < 400; i++) {
      ring.push(point(i * 10_000));
    }
    const pts = ring.toArray();
    expect(pts).toHaveLength(360);
    expect(pts[0].time).toBe(40 * 10_000);
    expect(pts[359].time).toBe(399 * 10_000);
    expect(ring.toJSON().intervalSeconds).toBe(10);
  });

  it('says when a point is due', () => {
    const ring = new HistoryRing(10, 60);
    expect(ring.due(0)).toBe(true);
    ring.push(point(0));
    expect(ring.due(5000)).toBe(false);
    expect(ring.due(9600)).toBe(true);
  });
});

describe('metrics module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlinfn-sampler-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the full rate only between first subscriber and last unsubscribe', async () => {
    const published: MetricsChannelPayload[] = [];
    const registry = new Registry();
    const m = createMetricsModule({
      config: {
        intervalSeconds: 0.2,
        historyIntervalSeconds: 1,
        historySeconds: 60,
        gpu: { nvidiaSmiPath: FAKE_SMI }
      },
      listKernels: async () => ({ kernels: [] }),
      logger: recordingLogger(),
      registry,
      publish: (channel, payload) => {
        expect(channel).toBe('metrics');
        published.push(payload);
      },
      paths: {
        rootDir: dir,
        gpuEnv: { FAKE_NVSMI_FIXTURE: join(SMI, 'h100-eight.xml') }
      }
    });
    m.start();
    try {
      // Low rate: a first sample and a history point at once, nothing published.
      await waitFor(() => m.sampler.latest !== null);
      expect(m.sampler.history.length).toBe(1);
      expect(published).toHaveLength(0);
      const snap = m.channel.snapshot();
      expect(snap?.history?.points).toHaveLength(1);

      m.channel.onFirstSubscriber();
      await waitFor(() => published.length >= 6, 5000);
      const fast = published[published.length - 1];
      expect(fast.intervalSeconds).toBe(0.2);
      expect(fast.history).toBeUndefined();
      // history grows at its own rate, not at the full rate
      expect(m.sampler.history.length).toBeLessThanOrEqual(3);
      expect(published.some(p => p.historyPoint !== undefined)).toBe(true);
      // the GPU loop followed the full rate
      await waitFor(
        () => (m.sampler.latest?.gpu.devices.length ?? 0) === 8,
        5000
      );

      m.channel.onLastUnsubscribe();
      await new Promise(r => setTimeout(r, 100)); // a tick in flight may still finish
      const count = published.length;
      await new Promise(r => setTimeout(r, 700));
      expect(published.length).toBe(count);
      expect(m.sampler.fast).toBe(false);

      // the same figures on /metrics
      const text = await registry.metrics();
      expect(text).toMatch(/mlinfn_host_memory_limit_bytes \d+/);
      expect(text).toMatch(
        /mlinfn_gpu_utilization_percent\{gpu="1",uuid="GPU-1b2c3d4e[^"]*",name="NVIDIA H100 80GB HBM3"\} 98/
      );
      expect(text).toMatch(/mlinfn_gpu_memory_used_bytes\{gpu="0"/);
    } finally {
      m.stop();
    }
    expect(m.sampler.gpu.nvidiaSmi?.spawnCount).toBe(3); // start, fast, slow: one child each
  });

  it('reports a no-driver state in the payload', async () => {
    const m = createMetricsModule({
      config: { gpu: { nvidiaSmiPath: join(dir, 'absent-nvidia-smi') } },
      listKernels: async () => ({ kernels: [] }),
      logger: recordingLogger(),
      registry: new Registry(),
      publish: () => undefined,
      paths: { rootDir: dir, procRoot: join(FIXTURES, 'proc') }
    });
    m.sampler.gpu.start();
    try {
      await waitFor(
        () => m.sampler.gpu.nvidiaSmi?.state.status === 'no-driver'
      );
      const p = await m.sampler.sample();
      expect(p.gpu).toMatchObject({
        status: 'no-driver',
        devices: [],
        pidsVisible: null
      });
      expect(p.gpu.message).toMatch(/No NVIDIA driver/);
    } finally {
      m.stop();
    }
  });
});
