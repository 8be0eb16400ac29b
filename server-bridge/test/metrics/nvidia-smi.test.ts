import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NvidiaSmiSource,
  parseNvidiaSmiXml,
  XmlDocumentSplitter
} from '../../src/metrics/gpu/nvidia-smi';
import { GpuMonitor } from '../../src/metrics/gpu/monitor';
import { smiNumber } from '../../src/metrics/gpu/types';
import { FAKE_SMI, recordingLogger, SMI, waitFor } from './helpers';
import { referenceParseNvidiaSmiXml } from './reference-nvidia-smi';

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

  it('takes the pipe bytes as they come: multi-byte characters and ends cut anywhere', async () => {
    const doc = (await fixture('t4-two-processes.xml')).replace(
      '<product_name>Tesla T4</product_name>',
      '<product_name>Tesla T4 \u2013 caf\u00e9</product_name>'
    );
    const bytes = Buffer.from(doc + doc, 'utf8');
    const mid = bytes.indexOf(Buffer.from('\u2013', 'utf8'));
    const end = bytes.indexOf(Buffer.from('</nvidia_smi_log>'));
    for (const cut of [mid + 1, mid + 2, end + 3, end + 16, end + 17]) {
      const s = new XmlDocumentSplitter();
      const docs = [
        ...s.push(bytes.subarray(0, cut)),
        ...s.push(bytes.subarray(cut, cut + 5)),
        ...s.push(bytes.subarray(cut + 5))
      ];
      const whole = doc.slice(0, doc.lastIndexOf('</nvidia_smi_log>') + 17);
      const rest = doc.slice(whole.length);
      expect(docs).toEqual([whole, rest + whole]);
      expect(parseNvidiaSmiXml(docs[0]).devices[0].name).toBe(
        'Tesla T4 \u2013 caf\u00e9'
      );
      expect(s.pending).toBe(rest);
    }
    // no document end in the bound: memory stays bounded, the tail kept for diagnosis
    const s = new XmlDocumentSplitter(1000);
    s.push(Buffer.from('x'.repeat(5000) + 'NVIDIA-SMI has failed'));
    expect(s.pending.length).toBeLessThanOrEqual(4096);
    expect(s.pending.endsWith('NVIDIA-SMI has failed')).toBe(true);
  });

  it('finds a document end cut between two chunks, searching only the new text', async () => {
    const doc = await fixture('t4-two-processes.xml');
    const end = doc.lastIndexOf('</nvidia_smi_log>');
    for (const cut of [end, end + 1, end + 8, end + 16, end + 17]) {
      const s = new XmlDocumentSplitter();
      expect(s.push(doc.slice(0, cut))).toEqual(
        cut >= end + 17 ? [doc.slice(0, end + 17)] : []
      );
      const docs = s.push(doc.slice(cut) + doc);
      expect(docs.length).toBe(cut >= end + 17 ? 1 : 2);
      expect(parseNvidiaSmiXml(docs[docs.length - 1]).devices).toHaveLength(1);
    }
  });
});

describe('the targeted scanner agrees with a full XML tree reader', () => {
  const FIXTURES = [
    't4-two-processes.xml',
    'h100-eight.xml',
    'a100-mig.xml',
    'geforce-unavailable-fields.xml'
  ];
  /** Both readers' answer: the reading, or that it threw. */
  const both = (xml: string) => {
    const run = (f: (x: string, t: number) => unknown) => {
      try {
        return { reading: f(xml, 7) };
      } catch {
        return { threw: true };
      }
    };
    return {
      ours: run(parseNvidiaSmiXml),
      reference: run(referenceParseNvidiaSmiXml)
    };
  };

  it.each(FIXTURES)('%s: the same reading', async name => {
    const xml = await fixture(name);
    const r = parseNvidiaSmiXml(xml, 7);
    expect(r).toEqual(referenceParseNvidiaSmiXml(xml, 7));
    expect(r.devices.length).toBeGreaterThan(0);
  });

  it('the same reading on re-formatted documents', async () => {
    const t4 = await fixture('t4-two-processes.xml');
    const mig = await fixture('a100-mig.xml');
    const eight = await fixture('h100-eight.xml');
    const variants: [string, string][] = [
      ['CRLF line ends', t4.replace(/\n/g, '\r\n')],
      ['no indentation at all', eight.replace(/>\s+</g, '><')],
      [
        'comments between and inside elements',
        mig
          .replace(
            /<mig_devices>/,
            '<!-- <gpu> </mig_devices> -->\n<mig_devices>'
          )
          .replace(/<\/fb_memory_usage>/g, '<!--x--></fb_memory_usage>')
      ],
      [
        'entities in kept texts',
        t4.replace(
          '<product_name>Tesla T4</product_name>',
          '<product_name>Tesla &amp; T4 &#x41;&lt;1&gt;</product_name>'
        )
      ],
      [
        'self-closing and empty elements',
        t4
          .replace(/<processes>[\s\S]*?<\/processes>/, '<processes/>')
          .replace(/<uuid>[^<]*<\/uuid>/, '<uuid></uuid>')
          .replace(/<temperature>/, '<temperature foo="1" />\n<temperature>')
      ],
      [
        'uuid after the processes, power block before the memory',
        t4
          .replace(/\s*<uuid>[^<]*<\/uuid>/, '')
          .replace('</processes>', '</processes><uuid>GPU-late</uuid>')
      ],
      [
        'an element given twice: the first counts',
        t4.replace(
          '<fb_memory_usage>',
          '<fb_memory_usage><total>1 MiB</total><used>2 MiB</used></fb_memory_usage><fb_memory_usage>'
        )
      ],
      [
        'a nested element of the same name inside a skipped one',
        t4.replace(
          /<pci>/,
          '<pci><pci><fb_memory_usage><used>9 MiB</used></fb_memory_usage></pci><pci a="b"/>'
        )
      ],
      [
        'unknown elements and attributes anywhere',
        mig
          .replace(
            /<gpu id="([^"]*)">/,
            '<gpu id="$1" extra=\'x\'><new_block><x>1</x></new_block>'
          )
          .replace(
            /<process_info>/g,
            '<process_info><future_field>1</future_field>'
          )
      ]
    ];
    for (const [what, xml] of variants) {
      const { ours, reference } = both(xml);
      expect({ what, ...ours }).toEqual({ what, ...reference });
      expect(ours.threw).toBeUndefined();
    }
  });

  it('rejects what the tree reader rejects: truncated documents, another root', async () => {
    const t4 = await fixture('t4-two-processes.xml');
    const mig = await fixture('a100-mig.xml');
    for (const doc of [t4, mig]) {
      // cut at many points, inside tags, texts and the closing root tag
      for (let cut = 0; cut < doc.length; cut += 97) {
        const { ours, reference } = both(doc.slice(0, cut));
        expect({ cut, threw: ours.threw }).toEqual({
          cut,
          threw: reference.threw
        });
      }
      const end = doc.lastIndexOf('</nvidia_smi_log>');
      expect(both(doc.slice(0, end + 5)).ours.threw).toBe(true);
      // a document cut short, then a whole one (a loop restarted mid-document)
      expect(both(doc.slice(0, 3000) + doc).ours.threw).toBe(true);
    }
    expect(() => parseNvidiaSmiXml('<other><gpu/></other>')).toThrow(
      /not an nvidia-smi log/
    );
    expect(() => parseNvidiaSmiXml('')).toThrow();
    expect(() =>
      parseNvidiaSmiXml(
        '</gpu></nvidia_smi_log><nvidia_smi_log></nvidia_smi_log>'
      )
    ).toThrow();
    expect(
      parseNvidiaSmiXml('<?xml version="1.0" ?><nvidia_smi_log/>').devices
    ).toEqual([]);
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

  it('GpuMonitor hands each reading to its public onReading option', async () => {
    const seen: number[] = [];
    const monitor = new GpuMonitor({
      config: { source: 'nvidia-smi', nvidiaSmiPath: FAKE_SMI },
      intervalMs: 100,
      logger: recordingLogger(),
      env: { FAKE_NVSMI_FIXTURE: join(SMI, 'a100-mig.xml') },
      onReading: r => seen.push(r.devices[0].migInstances.length)
    });
    monitor.start();
    try {
      await waitFor(() => seen.length >= 2);
      expect((await monitor.read()).reading?.devices).toHaveLength(1);
    } finally {
      monitor.stop();
    }
    expect(seen.slice(0, 2)).toEqual([3, 3]);
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
