import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  descendants,
  parseMeminfo,
  parseNetDev,
  parsePidStat,
  parsePidStatus,
  parseProcStat,
  parseSmapsRollup,
  readProcessTable
} from '../../src/metrics/procfs';
import { FIXTURES, PROC } from './helpers';

const read = (...p: string[]) => readFile(join(PROC, ...p), 'utf8');

describe('procfs parsers', () => {
  it('parses /proc/stat: busy and total jiffies, CPU count, boot time', async () => {
    const s = parseProcStat(await read('stat'));
    // user nice system idle iowait irq softirq steal = 4705 356 584 3699 23 23 0 0
    expect(s.cpu.busy).toBe(4705 + 356 + 584 + 23);
    expect(s.cpu.total).toBe(4705 + 356 + 584 + 23 + 3699 + 23);
    expect(s.cpuCount).toBe(2);
    expect(s.bootTime).toBe(1062191376);
  });

  it('parses /proc/meminfo into bytes', async () => {
    const m = parseMeminfo(await read('meminfo'));
    expect(m.totalBytes).toBe(16303428 * 1024);
    expect(m.availableBytes).toBe(12289160 * 1024);
    expect(parseMeminfo('MemTotal: 10 kB\n').availableBytes).toBeNull();
  });

  it('parses /proc/<pid>/stat whose comm has spaces and parentheses', async () => {
    const s = parsePidStat(await read('5100', 'stat'));
    expect(s).toMatchObject({
      pid: 5100,
      comm: 'my (odd) job',
      state: 'R',
      ppid: 1,
      utime: 9000,
      stime: 1000,
      starttime: 90000,
      rssPages: 102400
    });
    const w = parsePidStat(await read('4300', 'stat'));
    expect(w).toMatchObject({
      comm: 'pt_data worker',
      ppid: 4242,
      starttime: 150000
    });
    expect(parsePidStat('garbage')).toBeNull();
    expect(parsePidStat('12 (x) S 1 2')).toBeNull();
  });

  it('parses /proc/<pid>/status: VmRSS and real uid', async () => {
    expect(parsePidStatus(await read('5100', 'status'))).toEqual({
      rssBytes: 409600 * 1024,
      uid: 1001
    });
    // kernel threads have no VmRSS
    expect(
      parsePidStatus('Name:\tkthreadd\nUid:\t0\t0\t0\t0\n').rssBytes
    ).toBeNull();
  });

  it('parses smaps_rollup Pss (not Pss_Anon)', async () => {
    expect(parseSmapsRollup(await read('4242', 'smaps_rollup'))).toBe(
      180000 * 1024
    );
    expect(parseSmapsRollup('Rss: 1 kB\n')).toBeNull();
  });

  it('parses /proc/net/dev leaving loopback out', async () => {
    expect(parseNetDev(await read('net', 'dev'))).toEqual({
      rxBytes: 1000000 + 250000,
      txBytes: 400000 + 50000
    });
  });
});

describe('process table', () => {
  it('reads every process, links children, and walks descendants', async () => {
    const t = await readProcessTable(PROC, 2);
    expect([...t.processes.keys()].sort((a, b) => a - b)).toEqual([
      1, 4242, 4300, 4301, 5100
    ]);
    expect(t.processes.get(4242)).toMatchObject({
      ppid: 1,
      cpuTicks: 1500,
      starttime: 100000
    });
    expect(descendants(t, 4242).sort()).toEqual([4242, 4300, 4301]);
    expect(descendants(t, 99999)).toEqual([]);
  });

  it('tolerates a process vanishing mid-read and a missing /proc', async () => {
    // proc-recycled lists pid 4444 but its stat is gone (the process exited between the
    // listing and the read); a /proc that does not exist gives an empty table, not a throw.
    const t = await readProcessTable(join(FIXTURES, 'proc-recycled'));
    expect([...t.processes.keys()].sort()).toEqual([4242, 4300]);
    const none = await readProcessTable(join(FIXTURES, 'no-such-proc'));
    expect(none.processes.size).toBe(0);
  });
});
