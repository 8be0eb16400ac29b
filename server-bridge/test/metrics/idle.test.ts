import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idleSeconds, isIdleGpuHolder } from '../../src/metrics/idle';
import { resolveMetricsConfig, Sampler } from '../../src/metrics/sampler';
import type { KernelsResponse } from '../../src/schema-types';
import {
  FAKE_SMI,
  FIXTURES,
  PROC,
  recordingLogger,
  SMI,
  waitFor
} from './helpers';

describe('idle GPU holders', () => {
  it('idle time counts only while idle', () => {
    const now = Date.parse('2024-03-12T10:00:00Z');
    expect(idleSeconds('idle', '2024-03-12T09:00:00Z', now)).toBe(3600);
    expect(idleSeconds('busy', '2024-03-12T09:00:00Z', now)).toBeNull();
    expect(idleSeconds('idle', null, now)).toBeNull();
    expect(isIdleGpuHolder(1, 1800, 30)).toBe(true);
    expect(isIdleGpuHolder(1, 1799, 30)).toBe(false);
    expect(isIdleGpuHolder(0, 9999, 30)).toBe(false);
    expect(isIdleGpuHolder(null, 9999, 30)).toBe(false);
  });

  describe('through the sampler, from a fixture kernel list and fixture GPU processes', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mlinfn-idle-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const run = async (idleGpuMinutes: number) => {
      const kernels = JSON.parse(
        await readFile(join(FIXTURES, 'kernels.json'), 'utf8')
      ) as KernelsResponse;
      const sampler = new Sampler({
        config: resolveMetricsConfig({
          idleGpuMinutes,
          gpu: { nvidiaSmiPath: FAKE_SMI }
        }),
        listKernels: async () => kernels,
        logger: recordingLogger(),
        paths: {
          procRoot: PROC,
          cgroupRoot: join(FIXTURES, 'cgroup', 'none', 'sys'),
          passwdPath: join(FIXTURES, 'etc', 'passwd'),
          rootDir: dir,
          env: {},
          gpuEnv: { FAKE_NVSMI_FIXTURE: join(SMI, 't4-two-processes.xml') }
        }
      });
      sampler.gpu.start();
      try {
        await waitFor(() => sampler.gpu.nvidiaSmi?.latest !== null);
        return await sampler.sample(Date.parse('2024-03-12T10:15:01Z'));
      } finally {
        sampler.stop();
      }
    };

    it('flags the idle kernel whose child holds GPU memory, not the busy one', async () => {
      const p = await run(30);
      const [train, scratch] = p.kernels;
      expect(train).toMatchObject({
        notebooks: ['analysis/train.ipynb'],
        processCount: 3,
        gpuMemoryBytes: 3210 * 1024 * 1024,
        gpuDevices: [0],
        idleSeconds: 4501,
        idleGpuHolder: true,
        pssBytes: (180000 + 60000 + 400) * 1024
      });
      // pid 7777 is not running here: no figures, never flagged
      expect(scratch).toMatchObject({
        processCount: 0,
        cpuPercent: null,
        rssBytes: null,
        gpuMemoryBytes: 0,
        idleSeconds: null,
        idleGpuHolder: false
      });
      expect(p.gpu).toMatchObject({
        status: 'ok',
        pidsVisible: true,
        source: 'nvidia-smi'
      });
      expect(p.gpu.users.map(u => u.user)).toEqual(['alice', 'bob']);
    });

    it('does not flag it under a longer threshold', async () => {
      const p = await run(120);
      expect(p.kernels[0].idleGpuHolder).toBe(false);
    });
  });
});
