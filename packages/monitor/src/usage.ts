/**
 * How full things are, and how worrying that is: pure functions shared by the status bar,
 * the panel and the notifications.
 */
import type { MetricsGpuDevice, MetricsHost } from '@mlinfn/common';

/**
 * How close a figure is to its limit:
 * `ok`; `warning` within 10 points of the warning threshold; `critical` at or above it.
 */
export type UsageLevel = 'ok' | 'warning' | 'critical';

/**
 * How many points below the warning threshold the `warning` level starts.
 */
export const WARNING_MARGIN = 10;

/**
 * The level of a percentage against a warning threshold; `ok` when the percentage is unknown.
 */
export function usageLevel(
  percent: number | null,
  thresholdPercent: number
): UsageLevel {
  if (percent === null || !Number.isFinite(percent)) {
    return 'ok';
  }
  if (percent >= thresholdPercent) {
    return 'critical';
  }
  if (percent >= thresholdPercent - WARNING_MARGIN) {
    return 'warning';
  }
  return 'ok';
}

/**
 * The CPU never runs out (it only slows down), so its level is at most `warning`, from 90 %.
 */
export function cpuLevel(percent: number | null): UsageLevel {
  return percent !== null && percent >= 90 ? 'warning' : 'ok';
}

/**
 * The worse of two levels.
 */
export function worstLevel(a: UsageLevel, b: UsageLevel): UsageLevel {
  const rank: Record<UsageLevel, number> = { ok: 0, warning: 1, critical: 2 };
  return rank[a] >= rank[b] ? a : b;
}

/**
 * `used / total` in percent; `null` when either is unknown or the total is not positive.
 */
export function percentOf(
  used: number | null | undefined,
  total: number | null | undefined
): number | null {
  if (
    used === null ||
    used === undefined ||
    total === null ||
    total === undefined ||
    !(total > 0)
  ) {
    return null;
  }
  return (used / total) * 100;
}

/**
 * Host memory used, in percent of its limit.
 */
export function memoryPercent(host: MetricsHost): number | null {
  return percentOf(host.memUsedBytes, host.memLimitBytes);
}

/**
 * A GPU's memory used, in percent of its size.
 */
export function gpuMemoryPercent(device: MetricsGpuDevice): number | null {
  return percentOf(device.memoryUsedBytes, device.memoryTotalBytes);
}
