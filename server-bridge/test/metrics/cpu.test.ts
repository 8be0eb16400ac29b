import { join } from 'node:path';
import { CpuTracker } from '../../src/metrics/cpu';
import { readProcessTable } from '../../src/metrics/procfs';
import { FIXTURES, PROC } from './helpers';

describe('CPU % keyed by (pid, starttime)', () => {
  it('gives null on first sight, a percentage after, and null for a recycled pid', async () => {
    const before = await readProcessTable(PROC);
    const after = await readProcessTable(join(FIXTURES, 'proc-recycled'));
    const cpu = new CpuTracker(null);

    cpu.begin(1_000_000);
    expect(cpu.percent(before.processes.get(4300)!)).toBeNull();
    expect(cpu.percent(before.processes.get(4242)!)).toBeNull();
    cpu.end();

    // One second later the kernel (same pid, same start) used 50 more ticks: 50 %.
    cpu.begin(1_001_000);
    const kernel = { ...before.processes.get(4242)!, cpuTicks: 1550 };
    expect(cpu.percent(kernel)).toBeCloseTo(50, 6);
    // pid 4300 is now another process (new starttime, 4 ticks in all): not 0, not negative.
    const recycled = after.processes.get(4300)!;
    expect(recycled.starttime).not.toBe(before.processes.get(4300)!.starttime);
    expect(cpu.percent(recycled)).toBeNull();
    cpu.end();

    cpu.begin(1_002_000);
    expect(
      cpu.percent({ ...recycled, cpuTicks: recycled.cpuTicks + 20 })
    ).toBeCloseTo(20, 6);
    cpu.end();
  });

  it('forgets exited processes', () => {
    const cpu = new CpuTracker(null);
    const p = { pid: 1, ppid: 0, starttime: 5, cpuTicks: 10, rssBytes: 0 };
    cpu.begin(1000);
    cpu.percent(p);
    cpu.percent({ ...p, pid: 2 });
    cpu.end();
    cpu.begin(2000);
    cpu.percent(p);
    cpu.end();
    expect(cpu.size).toBe(1);
  });

  it('measures a process born since the last sample over the interval', () => {
    const boot = 1_000_000;
    const cpu = new CpuTracker(boot);
    cpu.begin(boot + 10_000);
    cpu.end();
    cpu.begin(boot + 12_000);
    // started at 10.5 s after boot (1050 ticks), 100 ticks of CPU in a 2 s interval: 50 %.
    expect(
      cpu.percent({
        pid: 9,
        ppid: 1,
        starttime: 1050,
        cpuTicks: 100,
        rssBytes: 0
      })
    ).toBeCloseTo(50, 6);
    // one started before the previous sample, seen for the first time: unknown.
    expect(
      cpu.percent({
        pid: 8,
        ppid: 1,
        starttime: 500,
        cpuTicks: 100,
        rssBytes: 0
      })
    ).toBeNull();
    cpu.end();
  });

  it('gives null for everything on the very first sample, boot time known or not', () => {
    // (Nothing was seen before the first sample: no process counts as "born since".)
    const boot = 1_000_000;
    const cpu = new CpuTracker(boot);
    cpu.begin(boot + 60_000);
    expect(
      cpu.percent({ pid: 9, ppid: 1, starttime: 10, cpuTicks: 5, rssBytes: 0 })
    ).toBeNull();
    cpu.end();
  });
});
