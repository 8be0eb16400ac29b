/**
 * What every GPU source produces: one reading of the devices and of the processes on them.
 */
import type { MetricsGpu, MetricsGpuDevice } from '../../schema-types';

/** A process holding memory on a GPU, as the driver reports it (host pid). */
export interface IGpuProcess {
  pid: number;
  gpuIndex: number;
  gpuUuid: string | null;
  usedMemoryBytes: number | null;
  /** MIG GPU instance the process runs in; null outside MIG. */
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
}

/** One reading from a GPU source. */
export interface IGpuReading {
  /** When it was taken, ms since the epoch. */
  time: number;
  devices: MetricsGpuDevice[];
  /** Null when the source does not list processes (DCGM alone). */
  processes: IGpuProcess[] | null;
}

/** A source's state: ok, or why there is nothing. */
export interface IGpuSourceState {
  status: MetricsGpu['status'];
  message: string | null;
}

/**
 * A number from an nvidia-smi field such as `15360 MiB`, `37 %`, `45 C` or `28.47 W`.
 *
 * `N/A`, `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `[Insufficient Permissions]` and any
 * other text give null: a missing figure is never shown as 0 or NaN.
 */
export function smiNumber(text: string | undefined): number | null {
  if (text === undefined) {
    return null;
  }
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z%]*)\s*$/.exec(text);
  if (!m) {
    return null;
  }
  const v = Number(m[1]);
  if (!Number.isFinite(v)) {
    return null;
  }
  switch (m[2]) {
    case 'KiB':
      return v * 1024;
    case 'MiB':
      return v * 1024 * 1024;
    case 'GiB':
      return v * 1024 ** 3;
    default:
      return v;
  }
}
