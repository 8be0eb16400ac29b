/**
 * The user settings of the Data panel (`schema/plugin.json`).
 */
export interface IDataSettings {
  /**
   * The lifetime first proposed for a pre-signed link, in hours.
   */
  defaultLinkExpiryHours: number;

  /**
   * Keys per listing page.
   */
  pageSize: number;

  /**
   * Upload parts in flight at once.
   */
  uploadConcurrency: number;

  /**
   * Retries per upload part before the upload stops.
   */
  uploadRetries: number;
}

/**
 * The defaults of `schema/plugin.json`, used until the settings are loaded.
 */
export const DEFAULT_SETTINGS: Readonly<IDataSettings> = Object.freeze({
  defaultLinkExpiryHours: 24,
  pageSize: 1000,
  uploadConcurrency: 4,
  uploadRetries: 3
});

/**
 * Settings from whatever the registry holds: a value of the right type and range is kept,
 * anything else falls back to its default.
 */
export function normalizeSettings(raw: unknown): IDataSettings {
  const source = (raw && typeof raw === 'object' ? raw : {}) as Record<
    string,
    unknown
  >;
  const number = (
    key: keyof IDataSettings,
    min: number,
    max: number,
    integer: boolean
  ) => {
    const value = source[key];
    return typeof value === 'number' &&
      value >= min &&
      value <= max &&
      (!integer || Number.isInteger(value))
      ? value
      : DEFAULT_SETTINGS[key];
  };
  return {
    defaultLinkExpiryHours: number(
      'defaultLinkExpiryHours',
      0.0167,
      168,
      false
    ),
    pageSize: number('pageSize', 10, 1000, true),
    uploadConcurrency: number('uploadConcurrency', 1, 8, true),
    uploadRetries: number('uploadRetries', 0, 10, true)
  };
}
