/**
 * Parsers for the /proc files the monitor reads, and a process-table snapshot.
 *
 * Every reader takes the /proc root as an argument so that fixture trees can stand in for it.
 * The small pseudo-files are read synchronously through util's readProcFile, the one helper
 * that may (see there why); the parsers walk the text in place rather than splitting it, since
 * a full scan parses every process of the machine.
 */
import { readdir } from 'node:fs/promises';
import { readProcFile } from './util';

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

/** Where the first line of `text` that starts with `prefix` begins, or -1. */
function lineAt(text: string, prefix: string): number {
  if (text.startsWith(prefix)) {
    return 0;
  }
  const at = text.indexOf(`\n${prefix}`);
  return at < 0 ? -1 : at + 1;
}

/** Where the line holding `from` ends. */
function lineEnd(text: string, from: number): number {
  const eol = text.indexOf('\n', from);
  return eol < 0 ? text.length : eol;
}

/**
 * Parse /proc/stat: the aggregate `cpu` line, the CPU count and `btime`.
 *
 * Native string searches rather than a split into lines: on a big host /proc/stat holds a
 * line per CPU and an `intr` line of thousands of counters, none of which is needed.
 */
export function parseProcStat(text: string): IProcStat {
  let cpu: IHostCpuTimes = { busy: 0, total: 0 };
  const cpuAt = lineAt(text, 'cpu ');
  if (cpuAt >= 0) {
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    // already counted in user (and guest_nice in nice), so it is left out of the sums.
    const f = text
      .slice(cpuAt + 4, lineEnd(text, cpuAt))
      .trim()
      .split(/\s+/)
      .slice(0, 8)
      .map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(v =>
      Number.isFinite(v) ? v : 0
    );
    const busy =
      user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    cpu = { busy, total: busy + idle + (iowait ?? 0) };
  }
  let cpuCount = 0;
  for (let at = lineAt(text, 'cpu'); at >= 0;) {
    const c = text.charCodeAt(at + 3);
    if (c >= 48 && c <= 57) {
      cpuCount++;
    }
    const next = text.indexOf('\ncpu', at + 3);
    at = next < 0 ? -1 : next + 1;
  }
  let bootTime: number | null = null;
  const bt = lineAt(text, 'btime ');
  if (bt >= 0) {
    const v = Number(text.slice(bt + 6, lineEnd(text, bt)).trim());
    bootTime = Number.isFinite(v) ? v : null;
  }
  return { cpu, cpuCount, bootTime };
}

/** Memory figures from /proc/meminfo, in bytes. */
export interface IMemInfo {
  totalBytes: number | null;
  availableBytes: number | null;
}

/**
 * The value of a `Key:   <n> kB` line (meminfo, status) in bytes, or null when the key is
 * absent or its value is not a number of kB.
 */
function kbLine(text: string, key: string): number | null {
  const at = lineAt(text, key);
  if (at < 0) {
    return null;
  }
  const m = /^\s+(\d+)\s*kB/.exec(
    text.slice(at + key.length, lineEnd(text, at))
  );
  return m ? Number(m[1]) * 1024 : null;
}

/** Parse /proc/meminfo (values in kB). */
export function parseMeminfo(text: string): IMemInfo {
  return {
    totalBytes: kbLine(text, 'MemTotal:'),
    availableBytes: kbLine(text, 'MemAvailable:')
  };
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

/** A non-negative decimal integer in text[start, end), or NaN when it is anything else. */
function uintAt(text: string, start: number, end: number): number {
  if (end <= start) {
    return NaN;
  }
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) {
      return NaN;
    }
    v = v * 10 + d;
  }
  return v;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/**
 * Parse /proc/<pid>/stat.
 *
 * The command name (field 2) is in parentheses and may itself contain spaces and parentheses
 * (`(my (odd) name)`), so the fields after it are taken from after the LAST `)` in the line.
 * The fields are walked in place, without splitting the line (this runs for every process of
 * the machine at each full scan).
 */
export function parsePidStat(text: string): IPidStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    return null;
  }
  let pidEnd = open;
  while (pidEnd > 0 && isSpace(text.charCodeAt(pidEnd - 1))) {
    pidEnd--;
  }
  let pidStart = 0;
  while (pidStart < pidEnd && isSpace(text.charCodeAt(pidStart))) {
    pidStart++;
  }
  const pid = uintAt(text, pidStart, pidEnd);
  let state = '';
  let ppid = NaN;
  let utime = NaN;
  let stime = NaN;
  let starttime = NaN;
  let rssPages = NaN;
  // After ")": field 3 (state) comes first.
  let field = 2;
  let i = close + 1;
  const n = text.length;
  while (field < 24) {
    while (i < n && isSpace(text.charCodeAt(i))) {
      i++;
    }
    if (i >= n) {
      break;
    }
    const start = i;
    while (i < n && !isSpace(text.charCodeAt(i))) {
      i++;
    }
    field++;
    switch (field) {
      case 3:
        state = text.slice(start, i);
        break;
      case 4:
        ppid = uintAt(text, start, i);
        break;
      case 14:
        utime = uintAt(text, start, i);
        break;
      case 15:
        stime = uintAt(text, start, i);
        break;
      case 22:
        starttime = uintAt(text, start, i);
        break;
      case 24:
        rssPages = uintAt(text, start, i);
        break;
    }
  }
  if (field < 24) {
    return null;
  }
  if (![pid, ppid, utime, stime, starttime].every(Number.isFinite)) {
    return null;
  }
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid,
    utime,
    stime,
    starttime,
    rssPages: Number.isFinite(rssPages) ? rssPages : 0
  };
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
  const n = text.length;
  for (let line = 0; line < n;) {
    const eol = lineEnd(text, line);
    const colon = text.indexOf(':', line);
    if (colon >= 0 && colon < eol) {
      const name = text.slice(line, colon).trim();
      if (name && name !== 'lo' && !name.includes('|')) {
        // Receive bytes is the 1st counter, transmit bytes the 9th.
        let rx = NaN;
        let tx = NaN;
        let field = 0;
        let i = colon + 1;
        while (field < 9) {
          while (i < eol && isSpace(text.charCodeAt(i))) {
            i++;
          }
          if (i >= eol) {
            break;
          }
          const start = i;
          while (i < eol && !isSpace(text.charCodeAt(i))) {
            i++;
          }
          field++;
          if (field === 1) {
            rx = uintAt(text, start, i);
          } else if (field === 9) {
            tx = uintAt(text, start, i);
          }
        }
        if (Number.isFinite(rx) && Number.isFinite(tx)) {
          rxBytes += rx;
          txBytes += tx;
        }
      }
    }
    line = eol + 1;
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

/** The page size in use (bytes per page of the rss field of /proc/<pid>/stat). */
export function currentPageSize(): number {
  return pageSize;
}

/**
 * Learn the page size once from our own process: VmRSS (kB) in status against rss (pages) in
 * stat. Node exposes no sysconf, and 64 KiB pages exist (some arm64 and ppc64 kernels).
 */
export function detectPageSize(procRoot = '/proc'): number {
  const stat = readProcFile(`${procRoot}/self/stat`);
  const status = readProcFile(`${procRoot}/self/status`);
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

/** A table entry from a parsed /proc/<pid>/stat. */
export function procEntry(s: IPidStat): IProcEntry {
  return {
    pid: s.pid,
    ppid: s.ppid,
    starttime: s.starttime,
    cpuTicks: s.utime + s.stime,
    rssBytes: s.rssPages * pageSize
  };
}

/** Let the event loop run (between batches of a long scan). */
const yieldToLoop = (): Promise<void> =>
  new Promise(resolve => setImmediate(resolve));

/**
 * Read the whole process table: every /proc/<pid>/stat.
 *
 * The stat files are read synchronously through {@link readProcFile} (see there why that is
 * safe and cheaper), `batch` at a time, yielding to the event loop between batches so that a
 * machine with thousands of processes never holds the loop for more than a millisecond or two.
 * The directory listing itself is async. A process that exits between the listing and the
 * read is simply left out.
 */
export async function readProcessTable(
  procRoot = '/proc',
  batch = 256
): Promise<IProcessTable> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch {
    names = [];
  }
  const processes = new Map<number, IProcEntry>();
  const children = new Map<number, number[]>();
  let inBatch = 0;
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57 || !/^\d+$/.test(name)) {
      continue;
    }
    if (++inBatch > batch) {
      inBatch = 1;
      await yieldToLoop();
    }
    const text = readProcFile(`${procRoot}/${name}/stat`);
    const s = text ? parsePidStat(text) : null;
    if (!s) {
      continue;
    }
    processes.set(s.pid, procEntry(s));
    const list = children.get(s.ppid);
    if (list) {
      list.push(s.pid);
    } else {
      children.set(s.ppid, [s.pid]);
    }
  }
  return { processes, children };
}

/**
 * `pid` and all its descendants present in `table` (pid first); empty if `pid` is absent.
 *
 * A pid listed as a child but no longer in `processes` (it exited since the scan) is left out,
 * and its own children are still walked.
 */
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
    if (table.processes.has(p)) {
      out.push(p);
    }
    const kids = table.children.get(p);
    if (kids) {
      for (const c of kids) {
        stack.push(c);
      }
    }
  }
  return out;
}
