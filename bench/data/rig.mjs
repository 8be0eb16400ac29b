// The benchmark's S3 side: the Ceph RGW rig (with its rate-limited nginx front), an admin
// client, objects of a given size (multipart, parts generated on the fly), a bucket of N keys.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand
} from '@aws-sdk/client-s3';
import { ROOT } from '../lib/jupyter.mjs';

const RIG = path.join(ROOT, 'scripts', 'rigs', 'ceph-rgw.sh');

/** Start the rig with nginx rate-limited at `rate` (idempotent) and read its env. */
export function startRig(rate) {
  execFileSync('bash', [RIG, 'start', '--rate-limit', rate], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300000
  });
  const out = execFileSync('bash', [RIG, 'env'], { encoding: 'utf8' });
  const env = {};
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) {
      env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
    }
  }
  return env;
}

export function adminClient(env) {
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: {
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY
    }
  });
}

export async function ensureBucket(s3, bucket) {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** An object of `size` random bytes, uploaded in 8 MiB parts (kept when it is already there). */
export async function ensureObject(s3, bucket, key, size) {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key })
    );
    if (head.ContentLength === size) {
      return;
    }
  } catch {
    // not there yet
  }
  const partSize = 8 * 1024 * 1024;
  if (size <= partSize) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: randomBytes(size)
      })
    );
    return;
  }
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })
  );
  const parts = [];
  for (let n = 1, offset = 0; offset < size; n++, offset += partSize) {
    const out = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: n,
        Body: randomBytes(Math.min(partSize, size - offset))
      })
    );
    parts.push({ PartNumber: n, ETag: out.ETag });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts }
    })
  );
}

/** A bucket with `count` empty keys (`k/000000`...), made once and kept: a marker says done. */
export async function ensureManyKeys(s3, bucket, count, log) {
  await ensureBucket(s3, bucket);
  const marker = `zz-complete-${count}`;
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: marker }));
    return;
  } catch {
    // build it
  }
  log(`# creating ${count} keys in ${bucket} (once; kept for later runs)`);
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `k/${String(i).padStart(6, '0')}`,
          Body: Buffer.alloc(0)
        })
      );
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: marker, Body: Buffer.alloc(0) })
  );
  log(`#   made in ${Math.round((Date.now() - t0) / 1000)} s`);
}

/** The direct anchor: walk a listing with the SDK, page by page. */
export async function directListing(s3, bucket, prefix) {
  const t0 = performance.now();
  let first;
  let token;
  let keys = 0;
  do {
    const out = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        Delimiter: '/',
        ContinuationToken: token,
        MaxKeys: 1000
      })
    );
    first ??= performance.now() - t0;
    keys += out.Contents?.length ?? 0;
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return { firstMs: first, fullMs: performance.now() - t0, keys };
}

/** Delete objects and let RGW free their space now (its garbage collector waits hours). */
export async function removeObjects(s3, bucket, keys) {
  for (const key of keys) {
    await s3
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
      .catch(() => undefined);
  }
  const rigDir =
    process.env.MLINFN_RIG_DIR || path.join(ROOT, '.cache', 'rigs', 'rgw');
  try {
    execFileSync('radosgw-admin', ['gc', 'process', '--include-all'], {
      env: { ...process.env, CEPH_CONF: path.join(rigDir, 'ceph.conf') },
      stdio: 'ignore',
      timeout: 120000
    });
  } catch {
    // best effort
  }
}
