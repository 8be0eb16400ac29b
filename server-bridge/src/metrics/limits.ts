/**
 * Container limits and usage: cgroup v2, then cgroup v1, then the MEM_LIMIT / CPU_LIMIT
 * environment variables that JupyterHub spawners set, then the host's totals.
 *
 * The roots of /sys/fs/cgroup and /proc are arguments, so fixture trees can test every case.
 */
import { access } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join, posix } from 'node:path';
import type { MetricsLimitSource } from '../schema-types';
import { parseMeminfo } from './procfs';
import { readProcFile } from './util';

/** Where limits are read from. */
export interface ILimitsPaths {
  /** Default /sys/fs/cgroup. */
  cgroupRoot?: string;
  /** Default /proc. */
  procRoot?: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Host CPU count; default os.availableParallelism() (it honours the affinity mask). */
  hostCpus?: number;
}

/** The cgroup directories this process's figures come from (absolute paths). */
export interface ICgroupDirs {
  version: 1 | 2;
  /** v2: the unified directory; v1: the memory controller's directory. */
  memory: string | null;
  /** v2: the unified directory; v1: the cpu controller's directory. */
  cpu: string | null;
  /** v1 only: the cpuacct controller's directory (v2 keeps usage in cpu.stat). */
  cpuacct: string | null;
  /** Controller mount points: limits are looked for from the leaf up to these. */
  memoryTop: string | null;
  cpuTop: string | null;
}

/** The limits this server runs under, and where each one came from. */
export interface IContainerLimits {
  memLimitBytes: number;
  memSource: MetricsLimitSource;
  cpuLimitCores: number;
  cpuSource: MetricsLimitSource;
  /** Host RAM, bytes (MemTotal). */
  hostMemBytes: number;
  hostCpus: number;
  cgroup: ICgroupDirs | null;
}

/** v1 writes "no limit" as the largest page-aligned signed 64-bit value; anything this big is none. */
const V1_UNLIMITED = 2 ** 62;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Parse /proc/self/cgroup into (controller → path); the v2 entry is under the key ''. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) {
      continue;
    }
    if (m[1] === '0' && m[2] === '') {
      out.set('', m[3]);
    } else {
      for (const c of m[2].split(',')) {
        out.set(c.replace(/^name=/, ''), m[3]);
      }
    }
  }
  return out;
}

/**
 * The directory of our own cgroup under a controller mount, or the mount itself when that path
 * is not there (a container with a cgroup namespace sees its own cgroup as the root, while
 * /proc/self/cgroup may still name the host path).
 */
async function leafDir(top: string, path: string | undefined): Promise<string> {
  if (path && path !== '/') {
    const dir = join(top, path);
    if (await exists(dir)) {
      return dir;
    }
  }
  return top;
}

/** Find this process's cgroup directories (v2 unified mode first, else v1), or null. */
export async function findCgroupDirs(
  cgroupRoot = '/sys/fs/cgroup',
  procRoot = '/proc'
): Promise<ICgroupDirs | null> {
  const text = readProcFile(join(procRoot, 'self', 'cgroup'));
  const paths = parseProcCgroup(text ?? '');
  // Unified (pure v2) mode has cgroup.controllers at the root. A hybrid host has a v2 tree
  // under unified/ with no controllers in it: the figures are in the v1 trees there.
  if (await exists(join(cgroupRoot, 'cgroup.controllers'))) {
    const dir = await leafDir(cgroupRoot, paths.get(''));
    return {
      version: 2,
      memory: dir,
      cpu: dir,
      cpuacct: null,
      memoryTop: cgroupRoot,
      cpuTop: cgroupRoot
    };
  }
  const v1Top = async (names: string[]): Promise<string | null> => {
    for (const n of names) {
      if (await exists(join(cgroupRoot, n))) {
        return join(cgroupRoot, n);
      }
    }
    return null;
  };
  const memoryTop = await v1Top(['memory']);
  const cpuTop = await v1Top(['cpu', 'cpu,cpuacct', 'cpuacct,cpu']);
  const cpuacctTop = await v1Top(['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']);
  if (!memoryTop && !cpuTop) {
    return null;
  }
  return {
    version: 1,
    memory: memoryTop ? await leafDir(memoryTop, paths.get('memory')) : null,
    cpu: cpuTop ? await leafDir(cpuTop, paths.get('cpu')) : null,
    cpuacct: cpuacctTop
      ? await leafDir(cpuacctTop, paths.get('cpuacct'))
      : null,
    memoryTop,
    cpuTop
  };
}

/** The directories from `leaf` up to and including `top`. */
function upTo(leaf: string, top: string): string[] {
  const out: string[] = [];
  let dir = leaf;
  for (;;) {
    out.push(dir);
    if (dir === top || !dir.startsWith(top)) {
      break;
    }
    const parent = posix.dirname(dir);
    if (parent === dir) {
      break;
    }
    dir = parent;
  }
  return out;
}

/**
 * The tightest memory limit between our cgroup and the controller's root: a parent's limit
 * binds its children even where the child says "max".
 */
async function cgroupMemLimit(
  dirs: ICgroupDirs,
  hostMemBytes: number
): Promise<number | null> {
  if (!dirs.memory || !dirs.memoryTop) {
    return null;
  }
  const file = dirs.version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  let best: number | null = null;
  for (const dir of upTo(dirs.memory, dirs.memoryTop)) {
    const text = readProcFile(join(dir, file))?.trim();
    if (!text || text === 'max') {
      continue;
    }
    const v = Number(text);
    // A v1 "unlimited" (>= 2^62), or anything above the host's RAM, limits nothing.
    if (
      !Number.isFinite(v) ||
      v <= 0 ||
      v >= V1_UNLIMITED ||
      v >= hostMemBytes
    ) {
      continue;
    }
    best = best === null ? v : Math.min(best, v);
  }
  return best;
}

/** The tightest CPU quota (in cores) between our cgroup and the controller's root. */
async function cgroupCpuLimit(dirs: ICgroupDirs): Promise<number | null> {
  if (!dirs.cpu || !dirs.cpuTop) {
    return null;
  }
  let best: number | null = null;
  for (const dir of upTo(dirs.cpu, dirs.cpuTop)) {
    let quota: number;
    let period: number;
    if (dirs.version === 2) {
      const text = readProcFile(join(dir, 'cpu.max'))?.trim();
      if (!text) {
        continue;
      }
      const [q, p] = text.split(/\s+/);
      if (q === 'max') {
        continue;
      }
      quota = Number(q);
      period = Number(p ?? 100000);
    } else {
      const q = readProcFile(join(dir, 'cpu.cfs_quota_us'));
      const p = readProcFile(join(dir, 'cpu.cfs_period_us'));
      if (q === null) {
        continue;
      }
      quota = Number(q.trim());
      period = Number((p ?? '100000').trim());
    }
    // v1 writes -1 for "no quota".
    if (!(quota > 0) || !(period > 0)) {
      continue;
    }
    const cores = quota / period;
    best = best === null ? cores : Math.min(best, cores);
  }
  return best;
}

/** A positive number from an environment variable, or null. */
function envNumber(env: NodeJS.ProcessEnv, key: string): number | null {
  const raw = env[key]?.trim();
  if (!raw) {
    return null;
  }
  const v = Number(raw);
  return Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * Read the limits this server runs under.
 *
 * Memory and CPU are decided apart (a container may cap memory and not CPU): each takes the
 * first of cgroup (v2 or v1, whichever the host runs), environment, host.
 */
export async function readLimits(
  paths: ILimitsPaths = {}
): Promise<IContainerLimits> {
  const procRoot = paths.procRoot ?? '/proc';
  const env = paths.env ?? process.env;
  const meminfo = readProcFile(join(procRoot, 'meminfo'));
  const hostMemBytes =
    (meminfo ? parseMeminfo(meminfo).totalBytes : null) ?? totalmem();
  const hostCpus = paths.hostCpus ?? availableParallelism();
  const cgroup = await findCgroupDirs(paths.cgroupRoot, procRoot);
  const source: MetricsLimitSource | null = cgroup
    ? cgroup.version === 2
      ? 'cgroup2'
      : 'cgroup1'
    : null;

  let memLimitBytes = hostMemBytes;
  let memSource: MetricsLimitSource = 'host';
  const cgMem = cgroup ? await cgroupMemLimit(cgroup, hostMemBytes) : null;
  const envMem = envNumber(env, 'MEM_LIMIT');
  if (cgMem !== null && source) {
    memLimitBytes = cgMem;
    memSource = source;
  } else if (envMem !== null) {
    memLimitBytes = Math.min(envMem, hostMemBytes);
    memSource = 'env';
  }

  let cpuLimitCores = hostCpus;
  let cpuSource: MetricsLimitSource = 'host';
  const cgCpu = cgroup ? await cgroupCpuLimit(cgroup) : null;
  const envCpu = envNumber(env, 'CPU_LIMIT');
  if (cgCpu !== null && source) {
    cpuLimitCores = Math.min(cgCpu, hostCpus);
    cpuSource = source;
  } else if (envCpu !== null) {
    cpuLimitCores = Math.min(envCpu, hostCpus);
    cpuSource = 'env';
  }
  return {
    memLimitBytes,
    memSource,
    cpuLimitCores,
    cpuSource,
    hostMemBytes,
    hostCpus,
    cgroup
  };
}

/** What our cgroup has used. */
export interface ICgroupUsage {
  /** Working set: usage less inactive file cache (what `docker stats` and the kubelet show). */
  memUsedBytes: number | null;
  /** Cumulative CPU time, seconds. */
  cpuSeconds: number | null;
}

const INACTIVE_FILE_V2 = /^inactive_file (\d+)$/m;
const INACTIVE_FILE_V1 = /^total_inactive_file (\d+)$/m;

/**
 * Read our cgroup's memory working set and cumulative CPU time (synchronously: cgroupfs
 * pseudo-files, through readProcFile).
 */
export function readCgroupUsage(dirs: ICgroupDirs | null): ICgroupUsage {
  if (!dirs) {
    return { memUsedBytes: null, cpuSeconds: null };
  }
  let memUsedBytes: number | null = null;
  if (dirs.memory) {
    const v2 = dirs.version === 2;
    const usageText = readProcFile(
      join(dirs.memory, v2 ? 'memory.current' : 'memory.usage_in_bytes')
    );
    const usage = usageText === null ? NaN : Number(usageText.trim());
    if (Number.isFinite(usage)) {
      const statText = readProcFile(join(dirs.memory, 'memory.stat'));
      const m = statText
        ? (v2 ? INACTIVE_FILE_V2 : INACTIVE_FILE_V1).exec(statText)
        : null;
      const inactive = m ? Number(m[1]) : 0;
      memUsedBytes = Math.max(0, usage - (inactive < usage ? inactive : 0));
    }
  }
  let cpuSeconds: number | null = null;
  if (dirs.version === 2 && dirs.cpu) {
    const text = readProcFile(join(dirs.cpu, 'cpu.stat'));
    const m = text ? /^usage_usec (\d+)$/m.exec(text) : null;
    cpuSeconds = m ? Number(m[1]) / 1e6 : null;
  } else if (dirs.cpuacct) {
    const text = readProcFile(join(dirs.cpuacct, 'cpuacct.usage'));
    const v = text === null ? NaN : Number(text.trim());
    cpuSeconds = Number.isFinite(v) ? v / 1e9 : null;
  }
  return { memUsedBytes, cpuSeconds };
}
