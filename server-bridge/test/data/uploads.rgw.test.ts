/**
 * Against the real Ceph RGW rig: multipart upload of a 200 MB file, with the browser PUTting
 * parts to pre-signed URLs (bucket CORS exposes ETag) and with the parts sent through the
 * bridge (no CORS); resume from the stored parts; abort.
 */
import {
  GetObjectCommand,
  PutBucketCorsCommand,
  S3Client
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { IDataBridge, qs, startDataBridge } from './bridge';
import {
  bucketName,
  dropBucket,
  makeBucket,
  RigEnv,
  rigWithKeys,
  staticEndpoint
} from './rig';

jest.setTimeout(300000);

const ORIGIN = 'http://lab.example.org:8000';
const SIZE = 200 * 1024 * 1024 + 12345;
let env: RigEnv;
let s3: S3Client;
let bridge: IDataBridge;
const withCors = bucketName('cors');
const noCors = bucketName('nocors');

beforeAll(async () => {
  ({ env, s3 } = await rigWithKeys());
  await makeBucket(s3, withCors);
  await makeBucket(s3, noCors);
  // PutBucketCors needs a checksum: Content-MD5 (RGW refuses the SDK's CRC32).
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: withCors,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ['http://*.example.org:8000'],
            AllowedMethods: ['GET', 'PUT'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag']
          }
        ]
      }
    })
  );
  bridge = await startDataBridge({
    endpoints: [staticEndpoint(env, 'rgw')]
  });
});

afterAll(async () => {
  await bridge?.close();
  await dropBucket(s3, withCors).catch(() => undefined);
  await dropBucket(s3, noCors).catch(() => undefined);
  s3?.destroy();
});

/** The bytes of part n (1-based) of the test file: deterministic, never all in memory. */
function partBytes(n: number, partSize: number): Buffer {
  const start = (n - 1) * partSize;
  const length = Math.min(partSize, SIZE - start);
  const out = Buffer.alloc(length);
  let seed = createHash('sha256').update(`part-${n}`).digest();
  for (let offset = 0; offset < length; offset += seed.length) {
    seed.copy(out, offset, 0, Math.min(seed.length, length - offset));
    if (offset % 65536 === 0) {
      seed = createHash('sha256').update(seed).digest();
    }
  }
  return out;
}

function multipartEtag(partCount: number, partSize: number): string {
  const digests = [];
  for (let n = 1; n <= partCount; n++) {
    digests.push(createHash('md5').update(partBytes(n, partSize)).digest());
  }
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${partCount}`;
}

async function firstBytesOf(bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-31' })
  );
  return Buffer.from(await out.Body!.transformToByteArray());
}

test('browser mode: 200 MB in parts PUT to pre-signed URLs, ETags from the answers', async () => {
  const key = 'uploads/browser big.bin';
  const created = await bridge.raw(
    'POST',
    '/api/data/endpoints/rgw/uploads',
    { 'Content-Type': 'application/json', Origin: ORIGIN },
    JSON.stringify({
      bucket: withCors,
      key,
      size: SIZE,
      contentType: 'application/octet-stream'
    })
  );
  expect(created.status).toBe(200);
  const { uploadId, mode, partSize, partCount } = created.body;
  expect(mode).toBe('browser');
  expect(partCount).toBe(Math.ceil(SIZE / partSize));
  const parts: Array<{ partNumber: number; etag: string }> = [];
  const numbers = Array.from({ length: partCount }, (_, i) => i + 1);
  const urls = await bridge.send(
    'POST',
    `/api/data/endpoints/rgw/uploads/${encodeURIComponent(uploadId)}/parts`,
    {
      bucket: withCors,
      key,
      partNumbers: numbers
    }
  );
  expect(urls.status).toBe(200);
  expect(urls.body.parts).toHaveLength(partCount);
  for (const { partNumber, url } of urls.body.parts) {
    expect(url.startsWith(env.S3_ENDPOINT)).toBe(true);
    const res = await fetch(url, {
      method: 'PUT',
      body: partBytes(partNumber, partSize)
    });
    expect(res.status).toBe(200);
    parts.push({ partNumber, etag: res.headers.get('etag')! });
  }
  const done = await bridge.send(
    'POST',
    `/api/data/endpoints/rgw/uploads/${encodeURIComponent(uploadId)}/complete`,
    { bucket: withCors, key, parts }
  );
  expect(done.status).toBe(200);
  expect(done.body).toEqual({
    bucket: withCors,
    key,
    size: SIZE,
    etag: multipartEtag(partCount, partSize)
  });
  expect(await firstBytesOf(withCors, key)).toEqual(
    partBytes(1, partSize).subarray(0, 32)
  );
});

test('an origin the CORS rules do not allow gets bridge mode, with the reason', async () => {
  const created = await bridge.raw(
    'POST',
    '/api/data/endpoints/rgw/uploads',
    { 'Content-Type': 'application/json', Origin: 'http://elsewhere.test' },
    JSON.stringify({ bucket: withCors, key: 'uploads/x', size: 10 })
  );
  expect(created.body.mode).toBe('bridge');
  expect(created.body.modeReason).toContain(
    'do not allow PUT from http://elsewhere.test'
  );
  const aborted = await bridge.send(
    'DELETE',
    `/api/data/endpoints/rgw/uploads/${encodeURIComponent(created.body.uploadId)}?${qs({ bucket: withCors, key: 'uploads/x' })}`
  );
  expect(aborted.status).toBe(204);
  const gone = await bridge.get(
    `/api/data/endpoints/rgw/uploads/${encodeURIComponent(created.body.uploadId)}?${qs({ bucket: withCors, key: 'uploads/x' })}`
  );
  expect(gone.status).toBe(404);
});

test('bridge mode: 200 MB in bounded parts through the bridge, resumed from the stored parts', async () => {
  const key = 'uploads/bridge/ünï big.bin';
  const created = await bridge.raw(
    'POST',
    '/api/data/endpoints/rgw/uploads',
    { 'Content-Type': 'application/json', Origin: ORIGIN },
    JSON.stringify({ bucket: noCors, key, size: SIZE })
  );
  expect(created.status).toBe(200);
  const { uploadId, mode, modeReason, partSize, partCount } = created.body;
  expect(mode).toBe('bridge');
  expect(modeReason).toContain('no CORS rules');
  const partPath = (n: number) =>
    `/api/data/endpoints/rgw/uploads/${encodeURIComponent(uploadId)}/parts/${n}?${qs({ bucket: noCors, key })}`;
  const status = () =>
    bridge.get(
      `/api/data/endpoints/rgw/uploads/${encodeURIComponent(uploadId)}?${qs({ bucket: noCors, key })}`
    );

  // A part of the wrong size, a JSON body: refused.
  const wrong = await bridge.raw(
    'PUT',
    partPath(1),
    { 'Content-Type': 'application/octet-stream' },
    Buffer.alloc(10)
  );
  expect(wrong.status).toBe(400);
  expect(wrong.body.reason).toContain(`must be ${partSize} bytes`);
  const json = await bridge.raw(
    'PUT',
    partPath(1),
    { 'Content-Type': 'application/json' },
    '{}'
  );
  expect(json.status).toBe(415);

  const half = Math.floor(partCount / 2);
  for (let n = 1; n <= half; n++) {
    const res = await bridge.raw(
      'PUT',
      partPath(n),
      { 'Content-Type': 'application/octet-stream' },
      partBytes(n, partSize)
    );
    expect(res.status).toBe(200);
    expect(res.body.parts[0]).toMatchObject({ partNumber: n, size: partSize });
  }
  // "The page was reloaded": what is stored already?
  const stored = await status();
  expect(stored.status).toBe(200);
  expect(stored.body.parts.map((p: any) => p.partNumber)).toEqual(
    Array.from({ length: half }, (_, i) => i + 1)
  );
  for (let n = half + 1; n <= partCount; n++) {
    const res = await bridge.raw(
      'PUT',
      partPath(n),
      { 'Content-Type': 'application/octet-stream' },
      partBytes(n, partSize)
    );
    expect(res.status).toBe(200);
  }
  // Complete without a parts list: the bridge uses what S3 holds.
  const done = await bridge.send(
    'POST',
    `/api/data/endpoints/rgw/uploads/${encodeURIComponent(uploadId)}/complete`,
    { bucket: noCors, key }
  );
  expect(done.status).toBe(200);
  expect(done.body.size).toBe(SIZE);
  expect(done.body.etag).toBe(multipartEtag(partCount, partSize));
});
