import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DcgmSource,
  dcgmDevices,
  mergeDcgm,
  parsePrometheusText
} from '../../src/metrics/gpu/dcgm';
import { parseNvidiaSmiXml } from '../../src/metrics/gpu/nvidia-smi';
import { FIXTURES, SMI } from './helpers';

const MIB = 1024 * 1024;

describe('DCGM exporter', () => {
  it('parses the Prometheus text and gives MIG instances their utilisation', async () => {
    const text = await readFile(join(FIXTURES, 'dcgm-mig.prom'), 'utf8');
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(12);
    const [d] = dcgmDevices(samples);
    expect(d).toMatchObject({
      index: 0,
      migMode: true,
      utilizationPercent: null,
      temperatureCelsius: 41
    });
    expect(d.migInstances.find(m => m.gpuInstanceId === 9)).toEqual({
      gpuInstanceId: 9,
      computeInstanceId: null,
      profile: '1g.10gb',
      memoryUsedBytes: 6150 * MIB,
      memoryTotalBytes: (6150 + 3578) * MIB,
      utilizationPercent: 25.4
    });
  });

  it('merges over nvidia-smi: MIG utilisation and profile from DCGM, the rest kept', async () => {
    const smi = parseNvidiaSmiXml(
      await readFile(join(SMI, 'a100-mig.xml'), 'utf8')
    );
    const dcgm = dcgmDevices(
      parsePrometheusText(
        await readFile(join(FIXTURES, 'dcgm-mig.prom'), 'utf8')
      )
    );
    const merged = mergeDcgm(smi, dcgm);
    const d = merged.devices[0];
    expect(
      d.migInstances.map(m => [
        m.gpuInstanceId,
        m.profile,
        m.utilizationPercent
      ])
    ).toEqual([
      [2, '3g.40gb', expect.closeTo(87.3421, 3)],
      [9, '1g.10gb', expect.closeTo(25.4, 3)],
      [10, '1g.10gb', 0]
    ]);
    expect(d.powerDrawWatts).toBeCloseTo(121.337, 3);
    expect(d.memoryTotalBytes).toBe(81920 * MIB); // nvidia-smi's: DCGM has no device-level FB here
    expect(merged.processes).toHaveLength(2);
  });

  it('fetches with a timeout', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/slow') {
        return; // never answers
      }
      res.end(
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-x"} 42\nDCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-x"} 100\nDCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-x"} 900\n'
      );
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const devices = await new DcgmSource(
        `http://127.0.0.1:${port}/metrics`
      ).read();
      expect(devices[0]).toMatchObject({
        utilizationPercent: 42,
        memoryUsedBytes: 100 * MIB,
        memoryTotalBytes: 1000 * MIB
      });
      await expect(
        new DcgmSource(`http://127.0.0.1:${port}/slow`, 200).read()
      ).rejects.toThrow(/did not answer within 200 ms/);
    } finally {
      server.closeAllConnections();
      await new Promise(r => server.close(r));
    }
  });
});
