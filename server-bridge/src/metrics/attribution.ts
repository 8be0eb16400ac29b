/**
 * Which notebook holds which GPU memory, and who holds the GPUs (group view).
 *
 * The driver reports host pids. Where this server shares the host's pid namespace they map to
 * processes here, and a GPU process is charged to the kernel it descends from. Inside a
 * container none of them can be found: that is said plainly (`pidsVisible: false`), never
 * shown as zero memory per notebook.
 */
import type { MetricsGpuDevice, MetricsGpuUser } from '../schema-types';
import type { IGpuProcess } from './gpu/types';
import { IProcessTable, parsePidStatus } from './procfs';
import { readProcFile, readTextOrNull } from './util';

/** The plain sentence shown where GPU pids cannot be mapped. */
export const PIDS_NOT_VISIBLE =
  'GPU processes are not visible from this container';

/**
 * Memory a device may show in use with no process listed before we call the processes hidden:
 * the driver's own allocations are a few MiB, any CUDA context is hundreds.
 */
const HIDDEN_PROCESS_BYTES = 256 * 1024 * 1024;

/** GPU memory charged to one kernel. */
export interface IKernelGpuUse {
  bytes: number;
  devices: Set<number>;
}

/** The outcome of mapping GPU processes onto kernels. */
export interface IGpuAttribution {
  /** True: pids map to processes here; false: they do not; null: nothing to map. */
  pidsVisible: boolean | null;
  message: string | null;
  /** Kernel id → its GPU use; only kernels holding something appear. */
  perKernel: Map<string, IKernelGpuUse>;
  /** GPU processes found in our process table. */
  visible: IGpuProcess[];
}

/**
 * Charge each GPU process to the kernel whose tree holds its pid.
 *
 * @param processes - from the GPU source; null when it lists none (DCGM alone).
 * @param devices - to notice memory in use with no process listed (hidden pids).
 * @param table - this sample's process table (only which pids it holds is used).
 * @param owner - pid → kernel id, for every pid of every kernel tree.
 */
export function attributeGpu(
  processes: IGpuProcess[] | null,
  devices: MetricsGpuDevice[],
  table: Pick<IProcessTable, 'processes'>,
  owner: Map<number, string>
): IGpuAttribution {
  const perKernel = new Map<string, IKernelGpuUse>();
  if (processes === null) {
    return {
      pidsVisible: null,
      message: 'This GPU source does not list processes',
      perKernel,
      visible: []
    };
  }
  const visible = processes.filter(p => table.processes.has(p.pid));
  if (processes.length > 0 && visible.length === 0) {
    return {
      pidsVisible: false,
      message: PIDS_NOT_VISIBLE,
      perKernel,
      visible
    };
  }
  if (processes.length === 0) {
    // In a container nvidia-smi often lists nothing at all, since it cannot resolve host
    // pids: memory in use with no process to show for it means hidden processes.
    const hidden = devices.some(
      d =>
        d.processCount === 0 &&
        d.memoryUsedBytes !== null &&
        d.memoryUsedBytes > HIDDEN_PROCESS_BYTES
    );
    return hidden
      ? { pidsVisible: false, message: PIDS_NOT_VISIBLE, perKernel, visible }
      : { pidsVisible: null, message: null, perKernel, visible };
  }
  for (const p of visible) {
    const kernel = owner.get(p.pid);
    if (!kernel) {
      continue;
    }
    let use = perKernel.get(kernel);
    if (!use) {
      use = { bytes: 0, devices: new Set() };
      perKernel.set(kernel, use);
    }
    use.bytes += p.usedMemoryBytes ?? 0;
    use.devices.add(p.gpuIndex);
  }
  return { pidsVisible: true, message: null, perKernel, visible };
}

/** Parse /etc/passwd into uid → login name. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) {
      continue;
    }
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f.length >= 4 && f[0] && Number.isInteger(uid) && !out.has(uid)) {
      out.set(uid, f[0]);
    }
  }
  return out;
}

/** uid → name from /etc/passwd, read asynchronously and re-read every few minutes. */
export class UserNames {
  constructor(
    private readonly passwdPath = '/etc/passwd',
    private readonly maxAgeMs = 5 * 60_000
  ) {}

  /** The current map (re-read when stale; an unreadable file gives an empty map). */
  async get(now = Date.now()): Promise<Map<number, string>> {
    if (!this._map || now - this._at > this.maxAgeMs) {
      const text = await readTextOrNull(this.passwdPath);
      this._map = text ? parsePasswd(text) : new Map();
      this._at = now;
    }
    return this._map;
  }

  private _map: Map<number, string> | null = null;
  private _at = 0;
}

/**
 * The group view: GPU memory per user of the visible GPU processes — names and amounts only,
 * never command lines.
 *
 * A user's utilisation is the mean of the devices on which every listed process is theirs;
 * NVML gives no per-process utilisation, so on a shared device none is made up (null).
 */
export async function groupByUser(
  attribution: IGpuAttribution,
  allProcesses: IGpuProcess[],
  devices: MetricsGpuDevice[],
  names: Map<number, string>,
  procRoot = '/proc'
): Promise<MetricsGpuUser[]> {
  if (!attribution.pidsVisible) {
    return [];
  }
  const uidOf = new Map<number, number>();
  for (const p of attribution.visible) {
    if (!uidOf.has(p.pid)) {
      const text = readProcFile(`${procRoot}/${p.pid}/status`);
      const uid = text ? parsePidStatus(text).uid : null;
      if (uid !== null) {
        uidOf.set(p.pid, uid);
      }
    }
  }
  const total = allProcesses.reduce((s, p) => s + (p.usedMemoryBytes ?? 0), 0);
  // Device → the uids on it; a process we cannot place counts as an unknown owner (-1).
  const owners = new Map<number, Set<number>>();
  for (const p of allProcesses) {
    const set = owners.get(p.gpuIndex) ?? new Set<number>();
    set.add(uidOf.get(p.pid) ?? -1);
    owners.set(p.gpuIndex, set);
  }
  const users = new Map<number, MetricsGpuUser>();
  for (const p of attribution.visible) {
    const uid = uidOf.get(p.pid);
    if (uid === undefined) {
      continue;
    }
    let u = users.get(uid);
    if (!u) {
      u = {
        user: names.get(uid) ?? null,
        uid,
        memoryBytes: 0,
        memoryShare: 0,
        devices: [],
        utilizationPercent: null
      };
      users.set(uid, u);
    }
    u.memoryBytes += p.usedMemoryBytes ?? 0;
    if (!u.devices.includes(p.gpuIndex)) {
      u.devices.push(p.gpuIndex);
    }
  }
  for (const u of users.values()) {
    u.memoryShare = total > 0 ? u.memoryBytes / total : 0;
    u.devices.sort((a, b) => a - b);
    const alone = u.devices
      .filter(i => {
        const set = owners.get(i);
        return set !== undefined && set.size === 1 && set.has(u.uid);
      })
      .map(i => devices.find(d => d.index === i)?.utilizationPercent ?? null)
      .filter((v): v is number => v !== null);
    u.utilizationPercent = alone.length
      ? alone.reduce((s, v) => s + v, 0) / alone.length
      : null;
  }
  return [...users.values()].sort((a, b) => b.memoryBytes - a.memoryBytes);
}
