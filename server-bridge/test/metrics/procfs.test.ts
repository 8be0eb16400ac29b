import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { readProcFile } from '../../src/metrics/util';
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

describe('the synchronous pseudo-file reader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlinfn-procfile-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads whole files of any size through its one reused buffer', async () => {
    const small = join(dir, 'small');
    const big = join(dir, 'big');
    const line = 'cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0\n';
    await writeFile(small, 'MemTotal: 1 kB\n');
    await writeFile(big, line.repeat(4000)); // ~220 KB: grows past the 16 KiB buffer
    expect(readProcFile(small)).toBe('MemTotal: 1 kB\n');
    expect(readProcFile(big)).toBe(line.repeat(4000));
    expect(readProcFile(small)).toBe('MemTotal: 1 kB\n');
  });

  it('gives null for what is absent or not a file, never throws', () => {
    expect(readProcFile(join(dir, 'absent'))).toBeNull();
    expect(readProcFile(dir)).toBeNull();
  });

  it('reads the live /proc files as readFile does', () => {
    for (const f of ['/proc/stat', '/proc/meminfo', '/proc/self/stat']) {
      const ours = readProcFile(f);
      expect(ours).not.toBeNull();
      // the files move between two reads; their first field names must agree
      expect(ours!.split(/\s/)[0]).toBe(
        readFileSync(f, 'latin1').split(/\s/)[0]
      );
    }
  });
});

describe('the in-place parsers agree with split-based ones', () => {
  /** The parsers as first written (split and regular expressions), as references. */
  const reference = {
    pidStat(text: string) {
      const open = text.indexOf('(');
      const close = text.lastIndexOf(')');
      if (open < 0 || close < open) {
        return null;
      }
      const rest = text
        .slice(close + 1)
        .trim()
        .split(/\s+/);
      if (rest.length < 22) {
        return null;
      }
      const n = (field: number): number => Number(rest[field - 3]);
      const out = {
        pid: Number(text.slice(0, open).trim()),
        comm: text.slice(open + 1, close),
        state: rest[0],
        ppid: n(4),
        utime: n(14),
        stime: n(15),
        starttime: n(22),
        rssPages: n(24)
      };
      if (
        ![out.pid, out.ppid, out.utime, out.stime, out.starttime].every(
          Number.isFinite
        )
      ) {
        return null;
      }
      if (!Number.isFinite(out.rssPages)) {
        out.rssPages = 0;
      }
      return out;
    },
    procStat(text: string) {
      let cpu = { busy: 0, total: 0 };
      let cpuCount = 0;
      let bootTime: number | null = null;
      for (const line of text.split('\n')) {
        if (line.startsWith('cpu ')) {
          const [user, nice, system, idle, iowait, irq, softirq, steal] = line
            .trim()
            .split(/\s+/)
            .slice(1, 9)
            .map(Number)
            .map(v => (Number.isFinite(v) ? v : 0));
          const busy =
            user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
          cpu = { busy, total: busy + idle + (iowait ?? 0) };
        } else if (/^cpu\d+\s/.test(line)) {
          cpuCount++;
        } else if (line.startsWith('btime ')) {
          const v = Number(line.slice(6).trim());
          bootTime = Number.isFinite(v) ? v : null;
        }
      }
      return { cpu, cpuCount, bootTime };
    },
    meminfo(text: string) {
      const get = (key: string): number | null => {
        const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
        return m ? Number(m[1]) * 1024 : null;
      };
      return {
        totalBytes: get('MemTotal'),
        availableBytes: get('MemAvailable')
      };
    },
    netDev(text: string) {
      let rxBytes = 0;
      let txBytes = 0;
      for (const line of text.split('\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) {
          continue;
        }
        const name = line.slice(0, colon).trim();
        if (!name || name === 'lo' || name.includes('|')) {
          continue;
        }
        const f = line
          .slice(colon + 1)
          .trim()
          .split(/\s+/)
          .map(Number);
        if (f.length >= 9 && Number.isFinite(f[0]) && Number.isFinite(f[8])) {
          rxBytes += f[0];
          txBytes += f[8];
        }
      }
      return { rxBytes, txBytes };
    }
  };

  it('on every live /proc/<pid>/stat of this machine and on odd lines', () => {
    const texts: string[] = [];
    for (const name of readdirSync('/proc')) {
      if (/^\d+$/.test(name)) {
        try {
          texts.push(readFileSync(`/proc/${name}/stat`, 'latin1'));
        } catch {
          // gone
        }
      }
    }
    expect(texts.length).toBeGreaterThan(1);
    texts.push(
      '12 (x) S 1 2',
      '7 (a) b) c) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22',
      '7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 x',
      '  8  (y) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 0 3\n',
      ''
    );
    for (const t of texts) {
      expect({ t, s: parsePidStat(t) }).toEqual({ t, s: reference.pidStat(t) });
    }
    // The kernel writes these fields as unsigned decimals; anything else is not taken as a
    // number (the split-based parser took Number()'s reading of it).
    const odd = (rss: string, start = '77') =>
      parsePidStat(
        `9 (z) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 ${start} 0 ${rss}`
      );
    expect(odd('-3')?.rssPages).toBe(0);
    expect(odd('5', '1e3')).toBeNull();
  });

  it('on the live /proc/stat, /proc/meminfo and /proc/net/dev, and on the fixtures', async () => {
    const live = (f: string) => readFileSync(f, 'latin1');
    for (const t of [live('/proc/stat'), await read('stat'), 'cpu  1 2 3\n']) {
      expect(parseProcStat(t)).toEqual(reference.procStat(t));
    }
    for (const t of [live('/proc/meminfo'), await read('meminfo'), '']) {
      expect(parseMeminfo(t)).toEqual(reference.meminfo(t));
    }
    for (const t of [
      live('/proc/net/dev'),
      await read('net', 'dev'),
      'eth1: 1 2 3\nveth0:5 0 0 0 0 0 0 0 7 0\n'
    ]) {
      expect(parseNetDev(t)).toEqual(reference.netDev(t));
    }
  });
});
