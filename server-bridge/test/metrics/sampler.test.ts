import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { HistoryRing } from '../../src/metrics/history';
import { createMetricsModule } from '../../src/metrics';
import { resolveMetricsConfig, Sampler } from '../../src/metrics/sampler';
import type {
  KernelsResponse,
  MetricsChannelPayload,
  MetricsHistoryPoint
} from '../../src/schema-types';
import {
  FAKE_SMI,
  FIXTURES,
  PROC,
  recordingLogger,
  SMI,
  waitFor
} from './helpers';

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

describe('what a sample reads', () => {
  let dir: string;
  let proc: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlinfn-reads-'));
    proc = join(dir, 'proc');
    await cp(PROC, proc, { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sampler = async (gpuFixture?: string) => {
    const kernels = JSON.parse(
      await readFile(join(FIXTURES, 'kernels.json'), 'utf8')
    ) as KernelsResponse;
    const s = new Sampler({
      config: resolveMetricsConfig({
        kernelRefreshSeconds: 5,
        gpu: gpuFixture ? { nvidiaSmiPath: FAKE_SMI } : { source: 'none' }
      }),
      listKernels: async () => kernels,
      logger: recordingLogger(),
      paths: {
        procRoot: proc,
        cgroupRoot: join(FIXTURES, 'cgroup', 'none', 'sys'),
        passwdPath: join(FIXTURES, 'etc', 'passwd'),
        rootDir: dir,
        env: {},
        gpuEnv: gpuFixture
          ? { FAKE_NVSMI_FIXTURE: join(SMI, gpuFixture) }
          : undefined
      }
    });
    return s;
  };

  it('between full scans: the host files and the kernel trees only, figures still fresh', async () => {
    const s = await sampler();
    const t0 = Date.parse('2024-03-12T10:15:01Z');
    const first = await s.sample(t0);
    expect(first.kernels[0]).toMatchObject({
      processCount: 3,
      cpuPercent: null
    });
    expect(s.processes.fullScans).toBe(1);
    // Other processes' files vanish (were they read, their absence would change the table):
    // a sample one second later reads only pids 4242, 4300 and 4301.
    await rm(join(proc, '5100'), { recursive: true });
    await rm(join(proc, '1'), { recursive: true });
    // the kernel: 1500 -> 1600 ticks; its child 4300: 600 -> 650
    const stat = (await readFile(join(proc, '4242', 'stat'), 'utf8')).replace(
      ' 1200 300 ',
      ' 1300 300 '
    );
    await writeFile(join(proc, '4242', 'stat'), stat);
    const child = (await readFile(join(proc, '4300', 'stat'), 'utf8')).replace(
      ' 500 100 ',
      ' 550 100 '
    );
    await writeFile(join(proc, '4300', 'stat'), child);
    const second = await s.sample(t0 + 1000);
    expect(s.processes.fullScans).toBe(1);
    expect(s.processes.processes.has(5100)).toBe(true); // as of the last full scan
    expect(second.kernels[0]).toMatchObject({ processCount: 3 });
    expect(second.kernels[0].cpuPercent).toBeCloseTo(150, 6); // 100 + 50 ticks in 1 s
    // the kernel-refresh rate brings the full scan back
    await s.sample(t0 + 5000);
    expect(s.processes.fullScans).toBe(2);
    expect(s.processes.processes.has(5100)).toBe(false);
    s.stop();
  });

  it('a GPU process the table does not know is found and charged in the same sample', async () => {
    // 4300 (the kernel's child holding 3210 MiB in the T4 fixture) starts after the first scan
    const saved = join(dir, '4300');
    await cp(join(proc, '4300'), saved, { recursive: true });
    await rm(join(proc, '4300'), { recursive: true });
    const s = await sampler('t4-two-processes.xml');
    try {
      const t0 = Date.parse('2024-03-12T10:15:01Z');
      const first = await s.sample(t0); // before the first GPU reading
      expect(first.kernels[0].processCount).toBe(1); // 4301 hangs under 4300
      await cp(saved, join(proc, '4300'), { recursive: true });
      s.gpu.start();
      await waitFor(() => s.gpu.nvidiaSmi?.latest !== null);
      const second = await s.sample(t0 + 1000);
      expect(s.processes.fullScans).toBe(2);
      expect(second.kernels[0]).toMatchObject({
        processCount: 3,
        gpuMemoryBytes: 3210 * 1024 * 1024
      });
      // and it is not scanned for again while the GPU reading stays the same
      await s.sample(t0 + 2000);
      expect(s.processes.fullScans).toBe(2);
    } finally {
      s.stop();
    }
  });
});
