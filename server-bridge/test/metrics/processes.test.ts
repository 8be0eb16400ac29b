import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuTracker } from '../../src/metrics/cpu';
import { ProcessTracker } from '../../src/metrics/processes';
import { PROC } from './helpers';

/** A /proc/<pid>/stat line with the fields the monitor reads. */
const stat = (
  pid: number,
  ppid: number,
  utime: number,
  starttime: number,
  comm = 'python'
) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194304 0 0 0 0 ${utime} 0 0 0 20 0 1 0 ${starttime} 1000000 100 0\n`;

describe('the process table between full scans', () => {
  let dir: string;
  let proc: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlinfn-procs-'));
    proc = join(dir, 'proc');
    await cp(PROC, proc, { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (pid: number, text: string) => {
    await mkdir(join(proc, String(pid)), { recursive: true });
    await writeFile(join(proc, String(pid), 'stat'), text);
  };

  it('re-reads only the kernel trees between full scans, all of /proc at the full-scan rate', async () => {
    const t = new ProcessTracker(proc, 5000);
    expect(await t.update(0, [4242])).toBe(true);
    expect(t.fullScans).toBe(1);
    expect(t.watched.sort()).toEqual([4242, 4300, 4301]);
    expect([...t.tree(4242)].sort()).toEqual([4242, 4300, 4301]);

    // One second on: the kernel used CPU, another process did too, and a new child of the
    // kernel appeared. Only the watched pids are read: the kernel's new figure shows, the
    // other process's does not, and the new child waits for the next full scan.
    await write(4242, stat(4242, 1, 1300, 100000));
    await write(5100, stat(5100, 1, 99999, 90000, 'my (odd) job'));
    await write(4400, stat(4400, 4242, 5, 190000));
    expect(await t.update(1000, [4242])).toBe(false);
    expect(t.processes.get(4242)?.cpuTicks).toBe(1300 + 0);
    expect(t.processes.get(5100)?.cpuTicks).toBe(9000 + 1000);
    expect(t.processes.has(4400)).toBe(false);
    expect(t.tree(4242)).not.toContain(4400);

    // At the full-scan rate: everything read again, the new child found and watched.
    expect(await t.update(5000, [4242])).toBe(true);
    expect(t.fullScans).toBe(2);
    expect(t.processes.get(5100)?.cpuTicks).toBe(99999);
    expect([...t.tree(4242)].sort()).toEqual([4242, 4300, 4301, 4400]);
    expect(t.watched).toContain(4400);
  });

  it('drops a watched pid that exited or was recycled, at once; CPU % stays keyed by (pid, starttime)', async () => {
    const t = new ProcessTracker(proc, 5000);
    const cpu = new CpuTracker(null);
    await t.update(0, [4242]);
    cpu.begin(0);
    for (const pid of t.tree(4242)) {
      expect(cpu.percent(t.processes.get(pid)!)).toBeNull();
    }
    cpu.end();

    // 4301 exited; 4300 exited and its pid now names another process (new start time).
    await rm(join(proc, '4301'), { recursive: true });
    await write(4300, stat(4300, 1, 3, 190000, 'other'));
    await write(4242, stat(4242, 1, 1550, 100000)); // 1200 + 300 ticks before
    expect(await t.update(1000, [4242])).toBe(false);
    expect(t.processes.has(4301)).toBe(false);
    expect(t.processes.has(4300)).toBe(false);
    expect(t.tree(4242)).toEqual([4242]);
    cpu.begin(1000);
    // 50 more ticks of the same (pid, starttime) in 1 s: 50 %
    expect(cpu.percent(t.processes.get(4242)!)).toBeCloseTo(50, 6);
    cpu.end();
    expect(cpu.size).toBe(1);

    // The recycled pid is placed by the next full scan: not the kernel's any more.
    expect(await t.update(5000, [4242])).toBe(true);
    expect(t.processes.get(4300)).toMatchObject({ ppid: 1, starttime: 190000 });
    expect(t.tree(4242)).toEqual([4242]);
  });

  it('a pid it does not know forces one full scan, not one per sample', async () => {
    const t = new ProcessTracker(proc, 5000);
    await t.update(0, [4242]);
    // A GPU reading names a process started since the last scan (a kernel's new child):
    // found at once.
    await write(4500, stat(4500, 4242, 7, 195000));
    expect(await t.update(1000, [4242], [4500])).toBe(true);
    expect(t.tree(4242)).toContain(4500);
    // A pid in no visible namespace (a container's GPU reading): one scan, then it is known
    // to be missing until the scheduled scan.
    expect(await t.update(2000, [4242], [4500, 999999])).toBe(true);
    expect(await t.update(3000, [4242], [4500, 999999])).toBe(false);
    expect(await t.update(4000, [4242], [999999])).toBe(false);
    expect(t.fullScans).toBe(3);
    // A new kernel: its pid is looked for at once too; a kernel pid that is not here (a
    // remote kernel, or one that exited) does not rescan every sample.
    await write(6000, stat(6000, 1, 1, 196000));
    expect(await t.update(4500, [4242, 6000, 7777])).toBe(true);
    expect(t.tree(6000)).toEqual([6000]);
    expect(t.tree(7777)).toEqual([]);
    expect(await t.update(4800, [4242, 6000, 7777])).toBe(false);
    // the scheduled scan comes 5 s after the last one
    expect(await t.update(9499, [4242, 6000, 7777])).toBe(false);
    expect(await t.update(9500, [4242, 6000, 7777])).toBe(true);
  });

  it('keeps the tree lists until the table changes', async () => {
    const t = new ProcessTracker(proc, 5000);
    await t.update(0, [4242]);
    const tree = t.tree(4242);
    await t.update(1000, [4242]);
    expect(t.tree(4242)).toBe(tree);
    await t.update(5000, [4242]);
    expect(t.tree(4242)).not.toBe(tree);
    expect([...t.tree(4242)].sort()).toEqual([...tree].sort());
  });
});
