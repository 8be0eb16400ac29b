/**
 * Small formatting helpers shared by every mlinfn package.
 *
 * Units are SI symbols (kB, MB, s, min), which are not translated.
 */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/**
 * Format a number with at most `digits` decimals, dropping a trailing `.0`.
 */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) {
    return '–';
  }
  const fixed = value.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * Format an amount of bytes with decimal (SI) units: `formatBytes(12_300_000)` is `"12.3 MB"`.
 *
 * @param bytes - The amount, in bytes.
 * @param digits - The most decimals shown (default 1; none for plain bytes).
 */
export function formatBytes(bytes: number, digits = 1): string {
  if (!Number.isFinite(bytes)) {
    return '–';
  }
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // 999.96 kB would print as "1000 kB": carry it over to the next unit.
  if (unit < BYTE_UNITS.length - 1 && Number(value.toFixed(digits)) >= 1000) {
    value /= 1000;
    unit++;
  }
  return `${sign}${formatNumber(value, unit === 0 ? 0 : digits)} ${BYTE_UNITS[unit]}`;
}

/**
 * Format a transfer rate: `formatRate(4_100_000)` is `"4.1 MB/s"`.
 *
 * @param bytesPerSecond - The rate, in bytes per second.
 */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * Format a duration for people: `"7 s"`, `"2 min 5 s"`, `"3 h 12 min"`, `"2 d 4 h"`.
 *
 * @param seconds - The duration, in seconds; negative values count as zero.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) {
    return '–';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's']
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, symbol] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) {
      parts.push(`${n} ${symbol}`);
    }
    if (parts.length === 2) {
      break;
    }
  }
  // "2 min 0 s" reads better as "2 min".
  return parts.filter((p, i) => i === 0 || !p.startsWith('0 ')).join(' ');
}

/**
 * Format a percentage: `formatPercent(0.423)` is `"42 %"`.
 *
 * @param fraction - A fraction, 1 being 100 %.
 * @param digits - The most decimals shown (default 0).
 */
export function formatPercent(fraction: number, digits = 0): string {
  return `${formatNumber(fraction * 100, digits)} %`;
}
