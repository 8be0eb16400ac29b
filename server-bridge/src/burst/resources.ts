/**
 * burst: a backend's resource defaults, limits and supported fields, and a request's
 * resources checked against them.
 */
import os from 'node:os';
import type {
  BurstBackendResources,
  BurstResources,
  BurstResourceValues
} from '../schema-types';
import type { BackendConfig } from './config';
import { BadJobRequest } from './types';

const FALLBACK = {
  cpus: 1,
  memoryMB: 2048,
  gpus: 0,
  walltimeMinutes: 60
};

/** What the form shows for one backend. */
export function backendResources(config: BackendConfig): BurstBackendResources {
  const r = config.resources ?? {};
  const local = config.kind === 'local';
  const spark = config.kind === 'spark' ? config : undefined;
  const condor = config.kind === 'htcondor' ? config : undefined;
  const hostMB = Math.floor(os.totalmem() / 1048576);
  const limits = {
    cpus: r.maxCpus ?? (local ? os.cpus().length : 64),
    memoryMB: r.maxMemoryMB ?? (local ? hostMB : 262144),
    gpus: local ? 0 : (r.maxGpus ?? 8),
    walltimeMinutes: r.maxWalltimeMinutes ?? 7 * 24 * 60
  };
  const defaults: BurstResourceValues = {
    cpus: Math.min(r.cpus ?? FALLBACK.cpus, limits.cpus),
    memoryMB: Math.min(r.memoryMB ?? FALLBACK.memoryMB, limits.memoryMB),
    gpus: Math.min(r.gpus ?? FALLBACK.gpus, limits.gpus),
    walltimeMinutes: Math.min(
      r.walltimeMinutes ?? FALLBACK.walltimeMinutes,
      limits.walltimeMinutes
    )
  };
  if (r.image) {
    defaults.image = r.image;
  }
  const image =
    condor?.universe === 'container' ||
    (spark !== undefined && spark.master.startsWith('k8s://'));
  return {
    defaults,
    limits,
    supports: {
      cpus: !local,
      memoryMB: !local,
      gpus: !local,
      walltimeMinutes: true,
      image
    }
  };
}

/**
 * The request's resources with the defaults filled in.
 *
 * @throws BadJobRequest naming the field that passes the backend's limit.
 */
export function resolveResources(
  asked: BurstResources | undefined,
  info: BurstBackendResources,
  backendId: string
): BurstResourceValues {
  const out: BurstResourceValues = { ...info.defaults };
  const keys = ['cpus', 'memoryMB', 'gpus', 'walltimeMinutes'] as const;
  for (const key of keys) {
    const value = asked?.[key];
    if (value === undefined) {
      continue;
    }
    if (value > info.limits[key]) {
      throw new BadJobRequest(
        `resources.${key} ${value} is more than backend "${backendId}" allows (${info.limits[key]})`
      );
    }
    out[key] = value;
  }
  if (asked?.image !== undefined) {
    if (!info.supports.image) {
      throw new BadJobRequest(
        `backend "${backendId}" does not run container images (resources.image)`
      );
    }
    out.image = asked.image;
  }
  return out;
}
