/**
 * The `collab` config section with its defaults filled in from
 * schema/collab-config.schema.json (the one place the defaults are written).
 */
import collabConfigSchema from '../../../schema/collab-config.schema.json';
import type { CollabConfig } from '../schema-types';

/** Every key of the section, present. */
export type ResolvedCollabConfig = Required<CollabConfig>;

/** The section as written (validated already), completed with the schema's defaults. */
export function resolveCollabConfig(
  config: CollabConfig | undefined
): ResolvedCollabConfig {
  const defaults: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(collabConfigSchema.properties)) {
    defaults[key] = (spec as { default?: unknown }).default;
  }
  return { ...defaults, ...(config ?? {}) } as ResolvedCollabConfig;
}
