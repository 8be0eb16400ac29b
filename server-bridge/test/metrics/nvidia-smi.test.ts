import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NvidiaSmiSource,
  parseNvidiaSmiXml,
  XmlDocumentSplitter
} from '../../src/metrics/gpu/nvidia-smi';
import { smiNumber } from '../../src/metrics/gpu/types';
import { FAKE_SMI, recordingLogger, SMI, waitFor } from './helpers';

const MIB = 1024 * 1024;
const fixture = (name: string) => readFile(join(SMI, name), 'utf8');

describe('nvidia-smi -q -x parsing', () => {
  it('turns unavailable markers into null, never 0 or NaN', () => {
    for (const t of [
      'N/A',
      '[N/A]',
      '[Not Supported]',
      '[Unknown Error]',
      'Not Supported',
      '',
      undefined
    ]) {
      expect(smiNumber(t)).toBeNull();
    }
    expect(smiNumber('15360 MiB')).toBe(15360 * MIB);
    expect(smiNumber('37 %')).toBe(37);
    expect(smiNumber('28.47 W')).toBe(28.47);
  });

  it('one T4 with two processes', async () => {
    const r = parseNvidiaSmiXml(await fixture('t4-two-processes.xml'), 1);
    expect(r.devices).toEqual([
      {
        index: 0,
        uuid: 'GPU-2f8e5c4a-91b0-7d3e-5a61-0c9f4e2b7d18',
        name: 'Tesla T4',
        utilizationPercent: 37,
        memoryUsedBytes: 5131 * MIB,
        memoryTotalBytes: 15360 * MIB,
        temperatureCelsius: 46,
        powerDrawWatts: 34.52,
        powerLimitWatts: 70,
        migMode: false,
        migInstances: [],
        processCount: 2
      }
    ]);
    expect(r.processes).toEqual([
      {
        pid: 4300,
        gpuIndex: 0,
        gpuUuid: 'GPU-2f8e5c4a-91b0-7d3e-5a61-0c9f4e2b7d18',
        usedMemoryBytes: 3210 * MIB,
        gpuInstanceId: null,
        computeInstanceId: null
      },
      expect.objectContaining({ pid: 5100, usedMemoryBytes: 1914 * MIB })
    ]);
  });

  it('eight H100s (550 driver: average_power_draw)', async () => {
    const r = parseNvidiaSmiXml(await fixture('h100-eight.xml'));
    expect(r.devices.map(d => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(r.devices.map(d => d.name))).toEqual(
      new Set(['NVIDIA H100 80GB HBM3'])
    );
    expect(new Set(r.devices.map(d => d.uuid)).size).toBe(8);
    expect(r.devices.map(d => d.utilizationPercent)).toEqual([
      100, 98, 0, 45, 100, 7, 0, 63
    ]);
    expect(r.devices[0]).toMatchObject({
      memoryUsedBytes: 71234 * MIB,
      memoryTotalBytes: 81559 * MIB,
      temperatureCelsius: 30,
      powerDrawWatts: 620,
      powerLimitWatts: 700,
      processCount: 1
    });
    expect(r.devices[2].processCount).toBe(0);
    expect(r.processes).toHaveLength(6);
    expect(r.processes?.find(p => p.gpuIndex === 7)?.pid).toBe(20077);
  });

  it('MIG mode: instances with memory, utilisation null, processes with their instance', async () => {
    const r = parseNvidiaSmiXml(await fixture('a100-mig.xml'));
    const d = r.devices[0];
    expect(d.migMode).toBe(true);
    expect(d.utilizationPercent).toBeNull();
    expect(d.migInstances).toEqual([
      {
        gpuInstanceId: 2,
        computeInstanceId: 0,
        profile: null,
        memoryUsedBytes: 12800 * MIB,
        memoryTotalBytes: 40192 * MIB,
        utilizationPercent: null
      },
      {
        gpuInstanceId: 9,
        computeInstanceId: 0,
        profile: null,
        memoryUsedBytes: 6150 * MIB,
        memoryTotalBytes: 9728 * MIB,
        utilizationPercent: null
      },
      {
        gpuInstanceId: 10,
        computeInstanceId: 0,
        profile: null,
        memoryUsedBytes: 13 * MIB,
        memoryTotalBytes: 9728 * MIB,
        utilizationPercent: null
      }
    ]);
    expect(r.processes?.map(p => [p.pid, p.gpuInstanceId])).toEqual([
      [4300, 2],
      [5100, 9]
    ]);
  });

  it('[N/A], [Not Supported], [Unknown Error] and the older power_readings block', async () => {
    const r = parseNvidiaSmiXml(
      await fixture('geforce-unavailable-fields.xml')
    );
    expect(r.devices[0]).toMatchObject({
      name: 'NVIDIA GeForce RTX 3090',
      utilizationPercent: null,
      temperatureCelsius: null,
      powerDrawWatts: null,
      powerLimitWatts: 350
    });
    expect(r.processes?.[1].usedMemoryBytes).toBeNull();
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });

  it('splits a stream cut anywhere into whole documents', async () => {
    const doc = await fixture('t4-two-processes.xml');
    const stream = doc + doc + doc.slice(0, 100);
    const s = new XmlDocumentSplitter();
    const docs: string[] = [];
    for (let i = 0; i < stream.length; i += 777) {
      docs.push(...s.push(stream.slice(i, i + 777)));
    }
    expect(docs).toHaveLength(2);
    expect(parseNvidiaSmiXml(docs[1]).devices[0].name).toBe('Tesla T4');
    expect(s.pending.trim()).toBe(doc.slice(0, 100).trim());
  });
});

describe('the long-lived nvidia-smi loop', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlinfn-smi-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs one child that streams readings at the loop cadence', async () => {
    const count = join(dir, 'count');
    const readings: number[] = [];
    const src = new NvidiaSmiSource({
      path: FAKE_SMI,
      intervalMs: 100,
      logger: recordingLogger(),
      env: {
        FAKE_NVSMI_FIXTURE: join(SMI, 'h100-eight.xml'),
        FAKE_NVSMI_COUNT: count
      },
      onReading: r => readings.push(r.devices.length)
    });
    src.start();
    try {
      await waitFor(() => readings.length >= 3);
    } finally {
      src.stop();
    }
    expect(readings.slice(0, 3)).toEqual([8, 8, 8]);
    expect(src.state).toEqual({ status: 'ok', message: null });
    // several readings, one process
    expect((await readFile(count, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(src.spawnCount).toBe(1);
  });

  it('driver not loaded: a clear no-driver state, logged once, no retry storm', async () => {
    const count = join(dir, 'count');
    const logger = recordingLogger();
    const src = new NvidiaSmiSource({
      path: FAKE_SMI,
      intervalMs: 50,
      logger,
      minBackoffMs: 10,
      env: {
        FAKE_NVSMI_FIXTURE: join(SMI, 'driver-missing.txt'),
        FAKE_NVSMI_EXIT: '9',
        FAKE_NVSMI_COUNT: count
      }
    });
    src.start();
    try {
      await waitFor(() => src.state.status === 'no-driver');
      // Were it retrying on the crash backoff (10 ms), this would be dozens of starts.
      await new Promise(r => setTimeout(r, 500));
    } finally {
      src.stop();
    }
    expect(src.state.message).toMatch(
      /No NVIDIA driver is loaded: NVIDIA-SMI has failed/
    );
    expect(src.latest).toBeNull();
    expect((await readFile(count, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(logger.lines.filter(l => l.level !== 'debug')).toHaveLength(1);
  });

  it('missing binary: no-driver, one attempt', async () => {
    const src = new NvidiaSmiSource({
      path: join(dir, 'no-such-nvidia-smi'),
      intervalMs: 50,
      logger: recordingLogger(),
      minBackoffMs: 10
    });
    src.start();
    try {
      await waitFor(() => src.state.status === 'no-driver');
      await new Promise(r => setTimeout(r, 200));
    } finally {
      src.stop();
    }
    expect(src.state.message).toMatch(/not found/);
    expect(src.spawnCount).toBe(1);
  });

  it('a crash restarts with backoff, then slows down for good', async () => {
    const count = join(dir, 'count');
    const src = new NvidiaSmiSource({
      path: FAKE_SMI,
      intervalMs: 50,
      logger: recordingLogger(),
      minBackoffMs: 10,
      maxBackoffMs: 40,
      slowRetryMs: 60_000,
      env: {
        FAKE_NVSMI_FIXTURE: join(SMI, 'driver-missing.txt').replace(
          'driver-missing',
          'nothing'
        ),
        FAKE_NVSMI_EXIT: '1',
        FAKE_NVSMI_COUNT: count
      }
    });
    src.start();
    try {
      await waitFor(() => src.spawnCount >= 5, 5000);
      await new Promise(r => setTimeout(r, 300));
    } finally {
      src.stop();
    }
    expect(src.state.status).toBe('error');
    // 5 quick tries (10, 20, 40, 40 ms apart), then the 60 s slow retry: exactly 5.
    expect(src.spawnCount).toBe(5);
  });
});
