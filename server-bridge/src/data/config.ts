/**
 * The `data` config section with every default filled in (schema/data-config.schema.json).
 * The bridge's config validator fills defaults only inside objects that are present, so the
 * module completes its own section here.
 */
import path from 'node:path';
import type {
  DataAnonymousCredentialsConfig,
  DataConfig,
  DataEndpointConfig,
  DataStaticCredentialsConfig,
  DataStsCredentialsConfig
} from '../schema-types';

/** Any credentials section. */
export type CredentialsConfig =
  | DataStaticCredentialsConfig
  | DataStsCredentialsConfig
  | DataAnonymousCredentialsConfig;

/** One endpoint, completed. */
export interface IEndpointConfig {
  id: string;
  title: string;
  url: string;
  publicUrl: string;
  region: string;
  pathStyle: boolean;
  buckets?: string[];
  credentials: CredentialsConfig;
  linkCredentials?: DataStaticCredentialsConfig;
  linkMaxSeconds: number;
  browserUploads: 'auto' | 'never';
  origin?: string;
}

/** The data section, completed. */
export interface IDataConfig {
  endpoints: IEndpointConfig[];
  cache: {
    dir: string;
    quotaBytes: number;
    connections: number;
    chunkBytes: number;
    maxConcurrentStages: number;
  };
  uploads: { partSizeBytes: number };
  mounts: {
    probeTimeoutMs: number;
    cacheSeconds: number;
    cvmfsRoot: string;
    cvmfsRepos: string[];
    includeFsTypes: string[];
  };
  kernelApi: { enabled: boolean };
}

/** A data section that cannot be used (the message names the key). */
export class DataConfigError extends Error {
  constructor(message: string) {
    super(`config error: data.${message}`);
    this.name = 'DataConfigError';
  }
}

/**
 * Complete the section.
 *
 * @param raw - the section as validated against the schema, or undefined.
 * @param stateDir - the bridge's state directory (the cache's default home).
 */
export function resolveDataConfig(
  raw: DataConfig | undefined,
  stateDir: string
): IDataConfig {
  const seen = new Set<string>();
  const endpoints = (raw?.endpoints ?? []).map((e, i) => {
    if (seen.has(e.id)) {
      throw new DataConfigError(`endpoints/${i}/id: "${e.id}" is used twice`);
    }
    seen.add(e.id);
    checkCredentials(e.credentials, `endpoints/${i}/credentials`);
    if (e.linkCredentials) {
      checkCredentials(e.linkCredentials, `endpoints/${i}/linkCredentials`);
    }
    return resolveEndpoint(e);
  });
  const cache = raw?.cache ?? {};
  const mounts = raw?.mounts ?? {};
  return {
    endpoints,
    cache: {
      dir: path.resolve(cache.dir ?? path.join(stateDir, 'data-cache')),
      quotaBytes: cache.quotaBytes ?? 10 * 1024 ** 3,
      connections: cache.connections ?? 4,
      chunkBytes: cache.chunkBytes ?? 16 * 1024 ** 2,
      maxConcurrentStages: cache.maxConcurrentStages ?? 2
    },
    uploads: { partSizeBytes: raw?.uploads?.partSizeBytes ?? 8 * 1024 ** 2 },
    mounts: {
      probeTimeoutMs: mounts.probeTimeoutMs ?? 3000,
      cacheSeconds: mounts.cacheSeconds ?? 10,
      cvmfsRoot: mounts.cvmfsRoot ?? '/cvmfs',
      cvmfsRepos: mounts.cvmfsRepos ?? [],
      includeFsTypes: mounts.includeFsTypes ?? []
    },
    kernelApi: { enabled: raw?.kernelApi?.enabled ?? true }
  };
}

function resolveEndpoint(e: DataEndpointConfig): IEndpointConfig {
  const url = e.url.replace(/\/+$/, '');
  return {
    id: e.id,
    title: e.title ?? e.id,
    url,
    publicUrl: (e.publicUrl ?? url).replace(/\/+$/, ''),
    region: e.region ?? 'us-east-1',
    pathStyle: e.pathStyle ?? true,
    buckets: e.buckets,
    credentials: e.credentials as CredentialsConfig,
    linkCredentials: e.linkCredentials,
    linkMaxSeconds: e.linkMaxSeconds ?? 604800,
    browserUploads: e.browserUploads ?? 'auto',
    origin: e.origin
  };
}

/** What the schema cannot say: which keys each kind needs together. */
function checkCredentials(c: CredentialsConfig, where: string): void {
  if (c.kind === 'static') {
    const envs =
      c.accessKeyIdEnv !== undefined || c.secretAccessKeyEnv !== undefined;
    if (c.keyFile !== undefined && envs) {
      throw new DataConfigError(
        `${where}: give keyFile or the *Env names, not both`
      );
    }
    if (
      c.keyFile === undefined &&
      !(c.accessKeyIdEnv && c.secretAccessKeyEnv)
    ) {
      throw new DataConfigError(
        `${where}: static keys need keyFile, or both accessKeyIdEnv and secretAccessKeyEnv`
      );
    }
  } else if (c.kind === 'sts') {
    if ((c.tokenEnv === undefined) === (c.tokenFile === undefined)) {
      throw new DataConfigError(
        `${where}: sts needs exactly one of tokenEnv and tokenFile`
      );
    }
  }
}
