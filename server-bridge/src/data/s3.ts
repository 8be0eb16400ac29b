/**
 * S3 clients for one endpoint: one for the bridge's own calls (the internal `url`) and one
 * that only signs URLs for the `publicUrl` (SigV4 signs the Host, so a URL must be signed for
 * the host that will be asked).
 *
 * Checksums are `WHEN_REQUIRED` both ways: otherwise current SDKs sign an empty-body CRC32 into
 * pre-signed PUTs and send CRC32 checksums that Ceph RGW (Pacific) and MinIO reject. Where S3
 * requires a checksum (DeleteObjects, PutBucketCors...), those servers want Content-MD5: the
 * middleware below replaces the SDK's CRC32 with it.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { ICredentialSource } from './credentials';
import { DataError } from './errors';

/** Commands whose body S3 wants checksummed; RGW and MinIO accept only Content-MD5. */
const MD5_COMMANDS = new Set([
  'DeleteObjectsCommand',
  'PutBucketCorsCommand',
  'PutBucketLifecycleConfigurationCommand',
  'PutBucketPolicyCommand',
  'PutObjectLockConfigurationCommand',
  'PutBucketReplicationCommand'
]);

export interface IS3ClientOptions {
  url: string;
  region: string;
  pathStyle: boolean;
  credentials: ICredentialSource;
  /** Parallel connections kept open (the cache's ranged GETs use several). */
  maxSockets?: number;
}

/** An S3 client with the bridge's settings. */
export function createS3Client(options: IS3ClientOptions): S3Client {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 32
  };
  const client = new S3Client({
    endpoint: options.url,
    region: options.region,
    forcePathStyle: options.pathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: 10000,
      requestTimeout: 60000,
      httpAgent: new Agent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions)
    },
    credentials: async () => {
      const keys = await options.credentials.get();
      if (!keys) {
        // Anonymous: the SDK still wants keys; empty ones skip nothing, so refuse clearly.
        throw new DataError(
          403,
          'this endpoint has no keys for this operation'
        );
      }
      return {
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        sessionToken: keys.sessionToken,
        // The SDK memoizes keys until 5 minutes before `expiration`; "now" makes it ask
        // again on every call, so a changed token file or dropped keys count at once (the
        // source caches them itself).
        expiration: new Date()
      };
    }
  });
  addContentMd5(client);
  return client;
}

/** Replace the SDK's flexible checksum with Content-MD5 on the commands that need one. */
export function addContentMd5(client: S3Client): void {
  client.middlewareStack.addRelativeTo(
    (next: any, context: any) => async (args: any) => {
      const request = args.request;
      if (MD5_COMMANDS.has(context.commandName) && request?.headers) {
        const body = request.body;
        if (typeof body === 'string' || body instanceof Uint8Array) {
          for (const name of Object.keys(request.headers)) {
            const lower = name.toLowerCase();
            if (
              lower.startsWith('x-amz-checksum-') ||
              lower === 'x-amz-sdk-checksum-algorithm' ||
              lower === 'content-md5'
            ) {
              delete request.headers[name];
            }
          }
          request.headers['content-md5'] = createHash('md5')
            .update(body)
            .digest('base64');
        }
      }
      return next(args);
    },
    {
      relation: 'before',
      toMiddleware: 'httpSigningMiddleware',
      name: 'mlinfnContentMd5',
      override: true
    }
  );
}

/** An ETag without its quotes. */
export function bareEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}
