/**
 * Formatting of the monitor's figures, on top of @mlinfn/common's helpers. Units are SI
 * symbols, which are not translated; a figure that is not known is never written as 0.
 */
import { formatBytes, formatNumber } from '@mlinfn/common';

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * The text written for a figure that is not known.
 */
export const UNKNOWN = '—';

/**
 * Two amounts of bytes in the unit of the larger: `formatBytePair(3.2e9, 16e9)` is
 * `"3.2 / 16 GB"`. An unknown side is written `—`.
 */
export function formatBytePair(
  used: number | null,
  total: number | null
): string {
  if (total === null || !Number.isFinite(total)) {
    return `${used === null ? UNKNOWN : formatBytes(used)} / ${UNKNOWN}`;
  }
  let unit = 0;
  let divisor = 1;
  while (total / divisor >= 1000 && unit < BYTE_UNITS.length - 1) {
    divisor *= 1000;
    unit++;
  }
  const digits = unit === 0 ? 0 : 1;
  const left =
    used === null || !Number.isFinite(used)
      ? UNKNOWN
      : formatNumber(used / divisor, digits);
  return `${left} / ${formatNumber(total / divisor, digits)} ${BYTE_UNITS[unit]}`;
}

/**
 * A percentage already in percent: `formatPercentValue(42.4)` is `"42 %"`; `—` when unknown.
 */
export function formatPercentValue(
  percent: number | null | undefined,
  digits = 0
): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) {
    return UNKNOWN;
  }
  return `${formatNumber(percent, digits)} %`;
}

/**
 * An amount of bytes, or `—` when unknown.
 */
export function formatBytesOrUnknown(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined || !Number.isFinite(bytes)
    ? UNKNOWN
    : formatBytes(bytes);
}

/**
 * A number with a unit, or `—` when unknown: `formatWithUnit(46, '°C')` is `"46 °C"`.
 */
export function formatWithUnit(
  value: number | null | undefined,
  unit: string,
  digits = 0
): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? UNKNOWN
    : `${formatNumber(value, digits)} ${unit}`;
}

/**
 * The file name of a path: `basename('a/b/c.ipynb')` is `"c.ipynb"`.
 */
export function basename(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length ? parts[parts.length - 1] : path;
}
