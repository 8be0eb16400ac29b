/**
 * An optional DCGM exporter endpoint (Prometheus text), fetched at the sample rate with a
 * timeout and merged over the nvidia-smi reading. DCGM runs at node level, so it sees what a
 * container cannot, and it gives MIG instances a utilisation (DCGM_FI_PROF_GR_ENGINE_ACTIVE per
 * GPU_I_ID) that NVML does not.
 */
import type { MetricsGpuDevice, MetricsMigInstance } from '../../schema-types';
import type { IGpuReading } from './types';

/** One sample line of the Prometheus text format. */
export interface IPromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse Prometheus text exposition: comments skipped, labels unescaped, NaN values dropped. */
export function parsePrometheusText(text: string): IPromSample[] {
  const out: IPromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      continue;
    }
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) {
      continue;
    }
    const value = Number(m[4]);
    if (!Number.isFinite(value)) {
      continue;
    }
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
      for (let l = re.exec(m[3]); l; l = re.exec(m[3])) {
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) =>
          c === 'n' ? '\n' : c
        );
      }
    }
    out.push({ name: m[1], labels, value });
  }
  return out;
}

const MIB = 1024 * 1024;

/**
 * Devices (and MIG instances) from a DCGM exporter's samples.
 *
 * FB_USED/FB_FREE are in MiB; DCGM_FI_PROF_GR_ENGINE_ACTIVE is a ratio (0-1) per GPU instance.
 */
export function dcgmDevices(samples: IPromSample[]): MetricsGpuDevice[] {
  const byGpu = new Map<number, MetricsGpuDevice>();
  const migs = new Map<string, MetricsMigInstance>();
  const device = (s: IPromSample): MetricsGpuDevice | null => {
    const index = Number(s.labels.gpu);
    if (!Number.isInteger(index)) {
      return null;
    }
    let d = byGpu.get(index);
    if (!d) {
      d = {
        index,
        uuid: s.labels.UUID ?? null,
        name: s.labels.modelName ?? null,
        utilizationPercent: null,
        memoryUsedBytes: null,
        memoryTotalBytes: null,
        temperatureCelsius: null,
        powerDrawWatts: null,
        powerLimitWatts: null,
        migMode: false,
        migInstances: [],
        processCount: null
      };
      byGpu.set(index, d);
    }
    return d;
  };
  const free = new Map<number, number>();
  // The exporter may print FB_FREE before FB_USED: totals are summed once both are in.
  const migFree = new Map<MetricsMigInstance, number>();
  for (const s of samples) {
    if (!s.name.startsWith('DCGM_FI_')) {
      continue;
    }
    const d = device(s);
    if (!d) {
      continue;
    }
    const gi = s.labels.GPU_I_ID;
    if (gi !== undefined && gi !== '') {
      // A MIG instance's figure (the exporter labels each with its GPU instance).
      d.migMode = true;
      const key = `${d.index}:${gi}`;
      let mig = migs.get(key);
      if (!mig) {
        mig = {
          gpuInstanceId: Number(gi),
          computeInstanceId: null,
          profile: s.labels.GPU_I_PROFILE ?? null,
          memoryUsedBytes: null,
          memoryTotalBytes: null,
          utilizationPercent: null
        };
        migs.set(key, mig);
        d.migInstances.push(mig);
      }
      if (s.name === 'DCGM_FI_PROF_GR_ENGINE_ACTIVE') {
        mig.utilizationPercent = s.value * 100;
      } else if (s.name === 'DCGM_FI_DEV_FB_USED') {
        mig.memoryUsedBytes = s.value * MIB;
      } else if (s.name === 'DCGM_FI_DEV_FB_FREE') {
        migFree.set(mig, s.value * MIB);
      }
      continue;
    }
    switch (s.name) {
      case 'DCGM_FI_DEV_GPU_UTIL':
        d.utilizationPercent = s.value;
        break;
      case 'DCGM_FI_PROF_GR_ENGINE_ACTIVE':
        d.utilizationPercent ??= s.value * 100;
        break;
      case 'DCGM_FI_DEV_FB_USED':
        d.memoryUsedBytes = s.value * MIB;
        break;
      case 'DCGM_FI_DEV_FB_FREE':
        free.set(d.index, s.value * MIB);
        break;
      case 'DCGM_FI_DEV_GPU_TEMP':
        d.temperatureCelsius = s.value;
        break;
      case 'DCGM_FI_DEV_POWER_USAGE':
        d.powerDrawWatts = s.value;
        break;
      default:
        break;
    }
  }
  for (const [mig, f] of migFree) {
    if (mig.memoryUsedBytes !== null) {
      mig.memoryTotalBytes = mig.memoryUsedBytes + f;
    }
  }
  for (const d of byGpu.values()) {
    if (d.migMode) {
      // A MIG GPU has no whole-device utilisation (DCGM reports 0): its instances carry it.
      d.utilizationPercent = null;
    }
    const f = free.get(d.index);
    if (f !== undefined && d.memoryUsedBytes !== null) {
      d.memoryTotalBytes = d.memoryUsedBytes + f;
    }
  }
  return [...byGpu.values()].sort((a, b) => a.index - b.index);
}

/**
 * Merge DCGM's devices over an nvidia-smi reading: DCGM's figure wins where it has one (it is
 * the node-level view), nvidia-smi's stays where DCGM is silent. Devices match by UUID, else
 * by index. MIG instances match by GPU instance id.
 */
export function mergeDcgm(
  base: IGpuReading | null,
  dcgm: MetricsGpuDevice[],
  time = Date.now()
): IGpuReading {
  if (!base) {
    return { time, devices: dcgm, processes: null };
  }
  const devices = base.devices.map(d => {
    const o =
      dcgm.find(x => d.uuid !== null && x.uuid === d.uuid) ??
      dcgm.find(x => x.uuid === null && x.index === d.index);
    if (!o) {
      return d;
    }
    const migInstances = d.migInstances.map(m => {
      const om = o.migInstances.find(x => x.gpuInstanceId === m.gpuInstanceId);
      return om
        ? {
            ...m,
            profile: om.profile ?? m.profile,
            utilizationPercent: om.utilizationPercent ?? m.utilizationPercent,
            memoryUsedBytes: om.memoryUsedBytes ?? m.memoryUsedBytes,
            memoryTotalBytes: om.memoryTotalBytes ?? m.memoryTotalBytes
          }
        : m;
    });
    return {
      ...d,
      utilizationPercent: o.utilizationPercent ?? d.utilizationPercent,
      memoryUsedBytes: o.memoryUsedBytes ?? d.memoryUsedBytes,
      memoryTotalBytes: o.memoryTotalBytes ?? d.memoryTotalBytes,
      temperatureCelsius: o.temperatureCelsius ?? d.temperatureCelsius,
      powerDrawWatts: o.powerDrawWatts ?? d.powerDrawWatts,
      migInstances
    };
  });
  return { ...base, devices };
}

/** Fetches a DCGM exporter endpoint with a timeout. */
export class DcgmSource {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 2000
  ) {}

  /**
   * Fetch and parse the endpoint once.
   *
   * @throws Error with a one-line reason (unreachable, timeout, HTTP status).
   */
  async read(): Promise<MetricsGpuDevice[]> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { Accept: 'text/plain' }
      });
    } catch (err) {
      const e = err as Error;
      throw new Error(
        e.name === 'TimeoutError'
          ? `DCGM exporter did not answer within ${this.timeoutMs} ms`
          : `DCGM exporter unreachable: ${e.message}`
      );
    }
    if (!response.ok) {
      throw new Error(`DCGM exporter answered HTTP ${response.status}`);
    }
    return dcgmDevices(parsePrometheusText(await response.text()));
  }
}
