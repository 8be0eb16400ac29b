/**
 * One configured storage endpoint: its clients, its keys, its bucket allow-list, and what the
 * panel may know about it (never the keys).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { DataEndpoint } from '../schema-types';
import type { IEndpointConfig } from './config';
import { createCredentialSource, ICredentialSource } from './credentials';
import { DataError } from './errors';
import { maxLinkSeconds } from './presign-expiry';
import { createS3Client } from './s3';

/** A ready endpoint. */
export interface IEndpoint {
  readonly config: IEndpointConfig;
  /** For the bridge's own calls (internal url). */
  readonly s3: S3Client;
  /** Signs URLs for the public url with the endpoint's keys. */
  readonly presigner: S3Client;
  /** Signs URLs with the configured link key, if any. */
  readonly linkPresigner?: S3Client;
  readonly credentials: ICredentialSource;
  readonly linkCredentials?: ICredentialSource;
  /** Throw 403 unless the bucket is allowed. */
  checkBucket(bucket: string): void;
  describe(now?: number): DataEndpoint;
  dispose(): void;
}

export interface IEndpointOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  username?: string;
  maxSockets?: number;
}

/** Build an endpoint from its config. */
export function createEndpoint(
  config: IEndpointConfig,
  options: IEndpointOptions
): IEndpoint {
  const credentials = createCredentialSource(config.credentials, {
    endpointUrl: config.url,
    logger: options.logger.child({ endpoint: config.id }),
    env: options.env,
    username: options.username
  });
  const linkCredentials = config.linkCredentials
    ? createCredentialSource(config.linkCredentials, {
        endpointUrl: config.url,
        logger: options.logger.child({ endpoint: config.id }),
        env: options.env
      })
    : undefined;
  const common = { region: config.region, pathStyle: config.pathStyle };
  const s3 = createS3Client({
    ...common,
    url: config.url,
    credentials,
    maxSockets: options.maxSockets
  });
  const presigner = createS3Client({
    ...common,
    url: config.publicUrl,
    credentials
  });
  const linkPresigner = linkCredentials
    ? createS3Client({
        ...common,
        url: config.publicUrl,
        credentials: linkCredentials
      })
    : undefined;
  const allowed = config.buckets ? new Set(config.buckets) : undefined;
  return {
    config,
    s3,
    presigner,
    linkPresigner,
    credentials,
    linkCredentials,
    checkBucket(bucket) {
      if (allowed && !allowed.has(bucket)) {
        throw new DataError(
          403,
          `the bucket "${bucket}" is not one this endpoint is configured for`
        );
      }
    },
    describe(now = Date.now()) {
      const state = credentials.state();
      const signing = linkCredentials ? linkCredentials.state() : state;
      return {
        id: config.id,
        title: config.title,
        region: config.region,
        publicUrl: config.publicUrl,
        ...(config.buckets ? { buckets: config.buckets } : {}),
        credentials: state,
        linkMaxSeconds: maxLinkSeconds({
          nowMs: now,
          configMaxSeconds: config.linkMaxSeconds,
          credentialsExpireAt: signing.expiresAt
        }),
        browserUploads: config.browserUploads !== 'never'
      };
    },
    dispose() {
      credentials.dispose();
      linkCredentials?.dispose();
      for (const client of [s3, presigner, linkPresigner]) {
        client?.destroy();
      }
    }
  };
}
