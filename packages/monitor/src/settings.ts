import { IMonitorSettings } from './tokens';

/**
 * The defaults of `schema/plugin.json`, used until the settings are loaded (and when there is
 * no setting registry).
 */
export const DEFAULT_SETTINGS: Readonly<IMonitorSettings> = Object.freeze({
  refreshInterval: 1,
  memoryWarningPercent: 90,
  gpuMemoryWarningPercent: 90,
  showCpu: true,
  showMemory: true,
  showGpu: true,
  notifications: true
});

/**
 * Settings from whatever the registry holds: each value of the right type and range is kept,
 * anything else falls back to its default (the registry validates, but a hand-edited user
 * file may still hold an older shape).
 */
export function normalizeSettings(raw: unknown): IMonitorSettings {
  const source = (raw && typeof raw === 'object' ? raw : {}) as Record<
    string,
    unknown
  >;
  const number = (key: keyof IMonitorSettings, min: number, max: number) => {
    const value = source[key];
    return typeof value === 'number' && value >= min && value <= max
      ? value
      : (DEFAULT_SETTINGS[key] as number);
  };
  const flag = (key: keyof IMonitorSettings) => {
    const value = source[key];
    return typeof value === 'boolean'
      ? value
      : (DEFAULT_SETTINGS[key] as boolean);
  };
  return {
    refreshInterval: number('refreshInterval', 0.5, 60),
    memoryWarningPercent: number('memoryWarningPercent', 10, 100),
    gpuMemoryWarningPercent: number('gpuMemoryWarningPercent', 10, 100),
    showCpu: flag('showCpu'),
    showMemory: flag('showMemory'),
    showGpu: flag('showGpu'),
    notifications: flag('notifications')
  };
}
