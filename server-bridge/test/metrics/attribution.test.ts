import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  attributeGpu,
  groupByUser,
  parsePasswd,
  PIDS_NOT_VISIBLE,
  UserNames
} from '../../src/metrics/attribution';
import { parseNvidiaSmiXml } from '../../src/metrics/gpu/nvidia-smi';
import { descendants, readProcessTable } from '../../src/metrics/procfs';
import { FIXTURES, PROC, SMI } from './helpers';

const MIB = 1024 * 1024;
const KERNEL = 'kernel-a';

async function setup(xml = 't4-two-processes.xml') {
  const reading = parseNvidiaSmiXml(await readFile(join(SMI, xml), 'utf8'));
  const table = await readProcessTable(PROC);
  const owner = new Map(
    descendants(table, 4242).map(pid => [pid, KERNEL] as [number, string])
  );
  return { reading, table, owner };
}

describe('GPU attribution', () => {
  it("charges a kernel's child's GPU memory to the kernel", async () => {
    const { reading, table, owner } = await setup();
    const a = attributeGpu(reading.processes, reading.devices, table, owner);
    expect(a.pidsVisible).toBe(true);
    // pid 4300 (child of kernel 4242) holds 3210 MiB; 5100 belongs to no kernel
    expect(a.perKernel.get(KERNEL)?.bytes).toBe(3210 * MIB);
    expect([...(a.perKernel.get(KERNEL)?.devices ?? [])]).toEqual([0]);
    expect(a.perKernel.size).toBe(1);
  });

  it('says plainly when GPU pids are not in our pid namespace', async () => {
    const { reading, owner } = await setup();
    const empty = { processes: new Map(), children: new Map() };
    const a = attributeGpu(reading.processes, reading.devices, empty, owner);
    expect(a).toMatchObject({ pidsVisible: false, message: PIDS_NOT_VISIBLE });
    expect(a.perKernel.size).toBe(0);
    // nvidia-smi in a container often lists no process at all while memory is in use
    const hidden = attributeGpu(
      [],
      reading.devices.map(d => ({ ...d, processCount: 0 })),
      empty,
      owner
    );
    expect(hidden.pidsVisible).toBe(false);
    // no process and (almost) no memory: nothing hidden, nothing to map
    const idle = attributeGpu(
      [],
      reading.devices.map(d => ({
        ...d,
        processCount: 0,
        memoryUsedBytes: 3 * MIB
      })),
      empty,
      owner
    );
    expect(idle).toMatchObject({ pidsVisible: null, message: null });
  });

  it('group view: memory per user by name, utilisation only for devices held alone', async () => {
    const { reading, table, owner } = await setup();
    const a = attributeGpu(reading.processes, reading.devices, table, owner);
    const names = await new UserNames(join(FIXTURES, 'etc', 'passwd')).get();
    const users = await groupByUser(
      a,
      reading.processes!,
      reading.devices,
      names,
      PROC
    );
    expect(users).toEqual([
      {
        user: 'alice',
        uid: 1000,
        memoryBytes: 3210 * MIB,
        memoryShare: 3210 / (3210 + 1914),
        devices: [0],
        utilizationPercent: null
      },
      {
        user: 'bob',
        uid: 1001,
        memoryBytes: 1914 * MIB,
        memoryShare: 1914 / (3210 + 1914),
        devices: [0],
        utilizationPercent: null
      }
    ]);
    // nothing but amounts and names: no command lines
    expect(JSON.stringify(users)).not.toMatch(/train\.py|python/);
    // a device held by one user alone gives that user its utilisation
    const alone = await groupByUser(
      a,
      reading.processes!.filter(p => p.pid === 4300),
      reading.devices,
      names,
      PROC
    );
    expect(alone.find(u => u.uid === 1000)?.utilizationPercent).toBe(37);
  });

  it('parses /etc/passwd', () => {
    const m = parsePasswd(
      'root:x:0:0::/root:/bin/sh\n# c\nalice:x:1000:1000::/h:/bin/sh\nbad\n'
    );
    expect([...m]).toEqual([
      [0, 'root'],
      [1000, 'alice']
    ]);
  });
});
