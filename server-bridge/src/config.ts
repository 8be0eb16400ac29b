/**
 * The bridge's config file: read, validated against schema/bridge-config.schema.json, and
 * completed with the schema's defaults.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeAjvError, validateConfig } from './schemas';
import type {
  BridgeConfig,
  BridgeLimits,
  BurstConfig,
  CollabConfig,
  DataConfig,
  MetricsConfig
} from './schema-types';

/** A config with every default filled in. */
export type ResolvedConfig = Required<
  Omit<
    BridgeConfig,
    '$schema' | 'limits' | 'metrics' | 'collab' | 'data' | 'burst'
  >
> & {
  limits: Required<BridgeLimits>;
  /** The monitor's section, as written: its module fills in its own defaults. */
  metrics: MetricsConfig;
  /** collab: the room server's section as written, if any (src/collab fills in its defaults). */
  collab?: CollabConfig;
  /** data: the storage section as written, if any (src/data fills in its defaults). */
  data?: DataConfig;
  /** burst: the jobs section as written, if any (src/burst fills in its defaults). */
  burst?: BurstConfig;
};

/** A config that cannot be used; its message names the offending key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(`config error: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validate a parsed config value and fill in the defaults.
 *
 * @param raw - the parsed JSON (undefined: no config file, all defaults).
 * @param env - where the stateDir default comes from.
 * @throws ConfigError naming the first bad key.
 */
export function resolveConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env
): ResolvedConfig {
  const value = raw === undefined ? {} : raw;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('the config must be a JSON object');
  }
  // A copy, with `limits` present so that ajv's useDefaults fills in its keys too.
  const config: Record<string, unknown> = { limits: {}, ...value };
  if (!validateConfig(config)) {
    throw new ConfigError(
      describeAjvError(validateConfig.errors, 'the config')
    );
  }
  const valid = config as BridgeConfig;
  return {
    logLevel: valid.logLevel!,
    stateDir: valid.stateDir ?? defaultStateDir(env),
    limits: valid.limits as Required<BridgeLimits>,
    ticketMaxAgeSeconds: valid.ticketMaxAgeSeconds!,
    systemIntervalSeconds: valid.systemIntervalSeconds!,
    metrics: valid.metrics ?? {},
    collab: valid.collab, // collab
    data: valid.data, // data
    burst: valid.burst // burst
  };
}

/**
 * Read, parse and validate a config file.
 *
 * @param file - the path, or undefined for all defaults.
 * @throws ConfigError when the file cannot be read, is not JSON or is invalid.
 */
export function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): ResolvedConfig {
  if (!file) {
    return resolveConfig(undefined, env);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `${file} is not valid JSON: ${(err as Error).message}`
    );
  }
  return resolveConfig(parsed, env);
}

/** $MLINFN_STATE_DIR, else $XDG_STATE_HOME/mlinfn-bridge, else ~/.local/state/mlinfn-bridge. */
function defaultStateDir(env: NodeJS.ProcessEnv): string {
  if (env.MLINFN_STATE_DIR) {
    return env.MLINFN_STATE_DIR;
  }
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'mlinfn-bridge');
}
