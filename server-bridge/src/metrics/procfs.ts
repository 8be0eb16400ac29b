/**
 * Parsers for the /proc files the monitor reads, and a process-table snapshot.
 *
 * Every reader takes the /proc root as an argument so that fixture trees can stand in for it.
 * Everything is async: /proc reads are cheap but go through libuv's thread pool, and nothing
 * here may block the event loop.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit, readTextOrNull } from './util';

/** Clock ticks per second of /proc/<pid>/stat times. USER_HZ is 100 on every Linux ABI in use. */
export const CLOCK_TICKS = 100;

/** Aggregate CPU time from /proc/stat, in clock ticks. */
export interface IHostCpuTimes {
  /** Busy ticks: user + nice + system + irq + softirq + steal. */
  busy: number;
  /** All ticks, idle and iowait included. */
  total: number;
}

/** What /proc/stat gives us. */
export interface IProcStat {
  cpu: IHostCpuTimes;
  /** Number of `cpuN` lines (online CPUs). */
  cpuCount: number;
  /** Boot time, seconds since the epoch. */
  bootTime: number | null;
}

/** Parse /proc/stat: the aggregate `cpu` line, the CPU count and `btime`. */
export function parseProcStat(text: string): IProcStat {
  let cpu: IHostCpuTimes = { busy: 0, total: 0 };
  let cpuCount = 0;
  let bootTime: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
      // already counted in user (and guest_nice in nice), so it is left out of the sums.
      const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
      const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(
        v => (Number.isFinite(v) ? v : 0)
      );
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
}

/** Memory figures from /proc/meminfo, in bytes. */
export interface IMemInfo {
  totalBytes: number | null;
  availableBytes: number | null;
}

/** Parse /proc/meminfo (values in kB). */
export function parseMeminfo(text: string): IMemInfo {
  const get = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  return { totalBytes: get('MemTotal'), availableBytes: get('MemAvailable') };
}

/** The fields of /proc/<pid>/stat the monitor uses. */
export interface IPidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** User CPU time, clock ticks. */
  utime: number;
  /** System CPU time, clock ticks. */
  stime: number;
  /** Start time after boot, clock ticks: with the pid, it names a process uniquely. */
  starttime: number;
  /** Resident set size, pages. */
  rssPages: number;
}

/**
 * Parse /proc/<pid>/stat.
 *
 * The command name (field 2) is in parentheses and may itself contain spaces and parentheses
 * (`(my (odd) name)`), so the fields after it are taken from after the LAST `)` in the line.
 */
export function parsePidStat(text: string): IPidStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    return null;
  }
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // After ")": field 3 (state) is rest[0]; field N is rest[N - 3].
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  if (rest.length < 22) {
    return null;
  }
  const n = (field: number): number => Number(rest[field - 3]);
  const out: IPidStat = {
    pid,
    comm,
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
}

/** The fields of /proc/<pid>/status the monitor uses. */
export interface IPidStatus {
  /** VmRSS in bytes; null for kernel threads and zombies, which have none. */
  rssBytes: number | null;
  /** Real uid. */
  uid: number | null;
}

/** Parse /proc/<pid>/status. */
export function parsePidStatus(text: string): IPidStatus {
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  const uid = /^Uid:\s+(\d+)/m.exec(text);
  return {
    rssBytes: rss ? Number(rss[1]) * 1024 : null,
    uid: uid ? Number(uid[1]) : null
  };
}

/** Parse /proc/<pid>/smaps_rollup: the Pss line, in bytes (null when absent). */
export function parseSmapsRollup(text: string): number | null {
  const m = /^Pss:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** Byte counters summed over interfaces. */
export interface INetCounters {
  rxBytes: number;
  txBytes: number;
}

/** Parse /proc/net/dev, summing every interface but loopback. */
export function parseNetDev(text: string): INetCounters {
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

/** One process in a snapshot of the process table. */
export interface IProcEntry {
  pid: number;
  ppid: number;
  starttime: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  rssBytes: number;
}

/** The process table at one moment, and the children of each pid. */
export interface IProcessTable {
  processes: Map<number, IProcEntry>;
  children: Map<number, number[]>;
}

/** Page size, for rss in /proc/<pid>/stat; see {@link detectPageSize}. */
let pageSize = 4096;

/**
 * Learn the page size once from our own process: VmRSS (kB) in status against rss (pages) in
 * stat. Node exposes no sysconf, and 64 KiB pages exist (some arm64 and ppc64 kernels).
 */
export async function detectPageSize(procRoot = '/proc'): Promise<number> {
  const [stat, status] = await Promise.all([
    readTextOrNull(join(procRoot, 'self', 'stat')),
    readTextOrNull(join(procRoot, 'self', 'status'))
  ]);
  const pages = stat ? parsePidStat(stat)?.rssPages : undefined;
  const bytes = status ? parsePidStatus(status).rssBytes : null;
  if (pages && bytes) {
    const ratio = bytes / pages;
    for (const size of [4096, 16384, 65536]) {
      if (Math.abs(ratio - size) / size < 0.25) {
        pageSize = size;
      }
    }
  }
  return pageSize;
}

/**
 * Read the whole process table: every /proc/<pid>/stat, `concurrency` reads at a time.
 *
 * A process that exits between the directory listing and the read is simply left out.
 */
export async function readProcessTable(
  procRoot = '/proc',
  concurrency = 16
): Promise<IProcessTable> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch {
    names = [];
  }
  const pids = names.filter(n => /^\d+$/.test(n));
  const stats = await mapLimit(pids, concurrency, async pid => {
    const text = await readTextOrNull(join(procRoot, pid, 'stat'));
    return text ? parsePidStat(text) : null;
  });
  const processes = new Map<number, IProcEntry>();
  const children = new Map<number, number[]>();
  for (const s of stats) {
    if (!s) {
      continue;
    }
    processes.set(s.pid, {
      pid: s.pid,
      ppid: s.ppid,
      starttime: s.starttime,
      cpuTicks: s.utime + s.stime,
      rssBytes: s.rssPages * pageSize
    });
    const list = children.get(s.ppid);
    if (list) {
      list.push(s.pid);
    } else {
      children.set(s.ppid, [s.pid]);
    }
  }
  return { processes, children };
}

/** `pid` and all its descendants present in `table` (pid first); empty if `pid` is absent. */
export function descendants(table: IProcessTable, pid: number): number[] {
  if (!table.processes.has(pid)) {
    return [];
  }
  const out: number[] = [];
  const seen = new Set<number>();
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    if (seen.has(p)) {
      continue;
    }
    seen.add(p);
    out.push(p);
    for (const c of table.children.get(p) ?? []) {
      stack.push(c);
    }
  }
  return out;
}
