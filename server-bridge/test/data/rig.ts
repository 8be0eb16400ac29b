/**
 * The real Ceph RGW rig for the data integration tests: started (idempotent, quick when it
 * runs) by scripts/rigs/ceph-rgw.sh, its env read, an admin S3 client, and a fresh bucket per
 * test file. The shared rig is never stopped here.
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  DeleteBucketCommand,
  S3Client
} from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { addContentMd5 } from '../../src/data/s3';
import type { DataEndpointConfig } from '../../src/schema-types';

const run = promisify(execFile);
export const REPO = path.resolve(__dirname, '..', '..', '..');
const RIG = path.join(REPO, 'scripts', 'rigs', 'ceph-rgw.sh');

/** The rig's environment (S3_*, OIDC_*). */
export type RigEnv = Record<string, string>;

/** Start the rig (or find it running) and read its env. */
export async function startRig(args: string[] = []): Promise<RigEnv> {
  await run('bash', [RIG, 'start', ...args], {
    timeout: 300000,
    maxBuffer: 1 << 24
  });
  const { stdout } = await run('bash', [RIG, 'env'], { timeout: 30000 });
  const env: RigEnv = {};
  for (const line of stdout.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) {
      env[m[1]] = m[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** An admin client on the rig. */
export function adminClient(env: RigEnv, endpoint = env.S3_ENDPOINT): S3Client {
  const client = new S3Client({
    endpoint,
    region: env.S3_REGION,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: {
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY
    }
  });
  addContentMd5(client);
  return client;
}

/** The variables the endpoints of `staticEndpoint` read their keys from. */
const KEY_ENV = {
  accessKeyIdEnv: 'MLINFN_TEST_S3_KEY',
  secretAccessKeyEnv: 'MLINFN_TEST_S3_SECRET'
};

/**
 * The rig started and read, its admin keys put where `staticEndpoint`'s credentials look
 * (the in-process bridge reads them from this process's environment), and an admin client.
 */
export async function rigWithKeys(
  args: string[] = []
): Promise<{ env: RigEnv; s3: S3Client }> {
  const env = await startRig(args);
  process.env[KEY_ENV.accessKeyIdEnv] = env.S3_ACCESS_KEY_ID;
  process.env[KEY_ENV.secretAccessKeyEnv] = env.S3_SECRET_ACCESS_KEY;
  return { env, s3: adminClient(env) };
}

/** The keys of `rigWithKeys`, for a bridge run in a child process. */
export function childKeyEnv(env: RigEnv): Record<string, string> {
  return {
    [KEY_ENV.accessKeyIdEnv]: env.S3_ACCESS_KEY_ID,
    [KEY_ENV.secretAccessKeyEnv]: env.S3_SECRET_ACCESS_KEY
  };
}

/** A bridge endpoint on the rig (`url`: the rate-limited front, say) with the admin keys. */
export function staticEndpoint(
  env: RigEnv,
  id: string,
  extra: Partial<DataEndpointConfig> = {}
): DataEndpointConfig {
  return {
    id,
    url: env.S3_ENDPOINT,
    region: env.S3_REGION,
    credentials: { kind: 'static', ...KEY_ENV },
    ...extra
  };
}

/** A fresh bucket name. */
export function bucketName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Make a bucket. */
export async function makeBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Empty and remove a bucket (DeleteObjects: Content-MD5 through addContentMd5). */
export async function dropBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (list.Contents ?? []).map(o => ({ Key: o.Key! }));
    if (keys.length === 0) {
      break;
    }
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } })
    );
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await collectGarbage();
}

/**
 * Free the space of deleted objects now: RGW's garbage collector waits hours by default, and
 * the rig's memstore OSD (4 GiB, in memory) would fill up over a few runs of the large tests.
 */
export async function collectGarbage(): Promise<void> {
  const rigDir =
    process.env.MLINFN_RIG_DIR || path.join(REPO, '.cache', 'rigs', 'rgw');
  await run('radosgw-admin', ['gc', 'process', '--include-all'], {
    env: { ...process.env, CEPH_CONF: path.join(rigDir, 'ceph.conf') },
    timeout: 120000
  }).catch(() => undefined);
}

/** Sign a test token with the rig's issuer. */
export async function signToken(
  env: RigEnv,
  flags: string[] = []
): Promise<string> {
  const { stdout } = await run(
    'python3',
    [
      path.join(REPO, 'scripts', 'rigs', 'oidc-issuer.py'),
      'sign',
      '--dir',
      env.OIDC_RIG_DIR,
      ...flags
    ],
    { timeout: 30000 }
  );
  return stdout.trim();
}
