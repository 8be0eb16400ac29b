/**
 * burst: the `burst` config section with its defaults filled in (from
 * schema/burst-config.schema.json, the one place they are written), and the backend list the
 * module serves: the configured ones, plus `local` unless turned off (always when none is
 * configured).
 */
import burstConfigSchema from '../../../schema/burst-config.schema.json';
import type {
  BurstConfig,
  BurstHTCondorBackendConfig,
  BurstLocalBackendConfig,
  BurstSparkBackendConfig
} from '../schema-types';

/** One backend's config, whatever its kind. */
export type BackendConfig =
  | BurstLocalBackendConfig
  | BurstHTCondorBackendConfig
  | BurstSparkBackendConfig;

/** Every top-level key present; `backends` holds the local one when it is offered. */
export type ResolvedBurstConfig = Required<
  Omit<BurstConfig, 'defaultBackend' | 'backends'>
> & {
  backends: BackendConfig[];
  defaultBackend: string;
};

/** The id of the implicit local backend. */
export const LOCAL_ID = 'local';

/** The section as written (validated already), completed with the schema's defaults. */
export function resolveBurstConfig(
  config: BurstConfig | undefined
): ResolvedBurstConfig {
  const defaults: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(burstConfigSchema.properties)) {
    defaults[key] = (spec as { default?: unknown }).default;
  }
  const merged = { ...defaults, ...(config ?? {}) } as BurstConfig;
  const backends: BackendConfig[] = [...(merged.backends ?? [])];
  const hasLocal = backends.some(b => b.kind === 'local');
  if (!hasLocal && (backends.length === 0 || merged.localBackend !== false)) {
    backends.push({ id: LOCAL_ID, kind: 'local', title: 'This machine' });
  }
  const ids = new Set<string>();
  for (const backend of backends) {
    if (ids.has(backend.id)) {
      throw new Error(`burst: two backends have the id "${backend.id}"`);
    }
    ids.add(backend.id);
  }
  const defaultBackend =
    merged.defaultBackend && ids.has(merged.defaultBackend)
      ? merged.defaultBackend
      : backends[0].id;
  return {
    ...(merged as Required<BurstConfig>),
    backends,
    defaultBackend
  };
}
