import { ICollabSettings } from './tokens';

/**
 * The defaults of `schema/plugin.json`, used until the settings are loaded (and when there is
 * no setting registry).
 */
export const DEFAULT_SETTINGS: Readonly<ICollabSettings> = Object.freeze({
  collaborative: false,
  notifyDiskMerges: true
});

/**
 * Settings from whatever the registry holds: each value of the right type is kept, anything
 * else falls back to its default.
 */
export function normalizeSettings(raw: unknown): ICollabSettings {
  const source = (raw && typeof raw === 'object' ? raw : {}) as Record<
    string,
    unknown
  >;
  const flag = (key: keyof ICollabSettings) =>
    typeof source[key] === 'boolean'
      ? (source[key] as boolean)
      : DEFAULT_SETTINGS[key];
  return {
    collaborative: flag('collaborative'),
    notifyDiskMerges: flag('notifyDiskMerges')
  };
}
