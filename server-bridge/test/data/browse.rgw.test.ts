/**
 * Against the real Ceph RGW rig: browsing, object details, pre-signed GET and PUT through the
 * bridge's URLs (RGW verifies SigV4 and expiry), awkward keys, bad input.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { IDataBridge, qs, startDataBridge } from './bridge';
import {
  bucketName,
  dropBucket,
  makeBucket,
  RigEnv,
  rigWithKeys,
  staticEndpoint
} from './rig';

jest.setTimeout(120000);

let env: RigEnv;
let s3: S3Client;
let bridge: IDataBridge;
const bucket = bucketName('browse');
const other = bucketName('hidden');

beforeAll(async () => {
  ({ env, s3 } = await rigWithKeys());
  await makeBucket(s3, bucket);
  await makeBucket(s3, other);
  bridge = await startDataBridge({
    endpoints: [
      staticEndpoint(env, 'rgw', { title: 'Test RGW', buckets: [bucket] }),
      {
        id: 'nokeys',
        url: env.S3_ENDPOINT,
        credentials: {
          kind: 'static',
          accessKeyIdEnv: 'MLINFN_TEST_UNSET_KEY',
          secretAccessKeyEnv: 'MLINFN_TEST_UNSET_SECRET'
        }
      }
    ]
  });
});

afterAll(async () => {
  await bridge?.close();
  await dropBucket(s3, bucket).catch(() => undefined);
  await dropBucket(s3, other).catch(() => undefined);
  s3?.destroy();
});

const put = (
  key: string,
  body: string | Buffer,
  metadata?: Record<string, string>
) =>
  s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      Metadata: metadata
    })
  );

test('endpoints are described without their keys', async () => {
  const res = await bridge.get('/api/data/endpoints');
  expect(res.status).toBe(200);
  const rgw = res.body.endpoints.find((e: any) => e.id === 'rgw');
  expect(rgw).toMatchObject({
    title: 'Test RGW',
    region: env.S3_REGION,
    buckets: [bucket],
    credentials: { kind: 'static', state: 'ok' },
    linkMaxSeconds: 604800,
    browserUploads: true
  });
  const nokeys = res.body.endpoints.find((e: any) => e.id === 'nokeys');
  expect(nokeys.credentials.state).toBe('missing');
  expect(nokeys.credentials.message).toContain('MLINFN_TEST_UNSET_KEY');
  const text = JSON.stringify(res.body);
  expect(text).not.toContain(env.S3_SECRET_ACCESS_KEY);
  expect(text).not.toContain(env.S3_ACCESS_KEY_ID);
  expect(bridge.lines.join('\n')).not.toContain(env.S3_SECRET_ACCESS_KEY);
});

test('buckets: the allow-list; another bucket is refused', async () => {
  const res = await bridge.get('/api/data/endpoints/rgw/buckets');
  expect(res.body).toEqual({ buckets: [{ name: bucket }], fromConfig: true });
  const hidden = await bridge.get(
    `/api/data/endpoints/rgw/objects?${qs({ bucket: other })}`
  );
  expect(hidden.status).toBe(403);
  expect(hidden.body.reason).toContain(
    'not one this endpoint is configured for'
  );
  const all = await bridge.get('/api/data/endpoints/nokeys/buckets');
  expect(all.status).toBe(503);
  expect(all.body.reason).toContain('MLINFN_TEST_UNSET_KEY');
});

test('listing: folders, objects, pages with continuation tokens', async () => {
  for (let i = 0; i < 7; i++) {
    await put(`list/file-${i}.txt`, `content ${i}`);
  }
  await put('list/sub/a.csv', 'a,b\n1,2\n');
  const first = await bridge.get(
    `/api/data/endpoints/rgw/objects?${qs({ bucket, prefix: 'list/', maxKeys: 3 })}`
  );
  expect(first.status).toBe(200);
  const seen: string[] = [...first.body.objects.map((o: any) => o.key)];
  const prefixes: string[] = [...first.body.prefixes];
  let token = first.body.nextContinuationToken;
  expect(token).toBeTruthy();
  while (token) {
    const page = await bridge.get(
      `/api/data/endpoints/rgw/objects?${qs({ bucket, prefix: 'list/', maxKeys: 3, continuationToken: token })}`
    );
    expect(page.status).toBe(200);
    seen.push(...page.body.objects.map((o: any) => o.key));
    prefixes.push(...page.body.prefixes);
    token = page.body.nextContinuationToken;
  }
  expect(seen.sort()).toEqual(
    Array.from({ length: 7 }, (_, i) => `list/file-${i}.txt`)
  );
  expect(prefixes).toEqual(['list/sub/']);
  const obj = first.body.objects[0];
  expect(obj).toMatchObject({
    size: 9,
    etag: expect.stringMatching(/^[0-9a-f]{32}$/)
  });
  expect(obj.lastModified).toBeGreaterThan(0);
});

test('object details: size, ETag, content type, metadata', async () => {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'details/table.csv',
      Body: 'x,y\n',
      ContentType: 'text/csv',
      Metadata: { origin: 'test' }
    })
  );
  const res = await bridge.get(
    `/api/data/endpoints/rgw/object?${qs({ bucket, key: 'details/table.csv' })}`
  );
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    key: 'details/table.csv',
    size: 4,
    contentType: 'text/csv',
    metadata: { origin: 'test' },
    presignable: true
  });
  const missing = await bridge.get(
    `/api/data/endpoints/rgw/object?${qs({ bucket, key: 'details/none' })}`
  );
  expect(missing.status).toBe(404);
});

test('pre-signed GET and PUT work; expired and tampered URLs are refused by RGW', async () => {
  await put('share/hello.txt', 'hello world');
  const get = await bridge.send('POST', '/api/data/endpoints/rgw/presign', {
    bucket,
    key: 'share/hello.txt',
    method: 'GET',
    expiresSeconds: 600
  });
  expect(get.status).toBe(200);
  expect(get.body).toMatchObject({
    method: 'GET',
    expiresSeconds: 600,
    signedWith: 'session'
  });
  expect(get.body.url.startsWith(`${env.S3_ENDPOINT}/${bucket}/`)).toBe(true);
  expect(get.body.url).not.toContain(env.S3_SECRET_ACCESS_KEY);
  const fetched = await fetch(get.body.url);
  expect(fetched.status).toBe(200);
  expect(await fetched.text()).toBe('hello world');

  const tampered = get.body.url
    .replace('share%2Fhello.txt', 'share%2Fhellp.txt')
    .replace('share/hello.txt', 'share/hellp.txt');
  expect(tampered).not.toBe(get.body.url);
  expect((await fetch(tampered)).status).toBe(403);
  const badSignature = get.body.url.replace(
    /X-Amz-Signature=([0-9a-f])/,
    (_m: string, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`
  );
  expect((await fetch(badSignature)).status).toBe(403);

  const short = await bridge.send('POST', '/api/data/endpoints/rgw/presign', {
    bucket,
    key: 'share/hello.txt',
    method: 'GET',
    expiresSeconds: 1
  });
  expect(short.status).toBe(200);
  await new Promise(resolve => setTimeout(resolve, 2500));
  expect((await fetch(short.body.url)).status).toBe(403);

  const putUrl = await bridge.send('POST', '/api/data/endpoints/rgw/presign', {
    bucket,
    key: 'share/uploaded.bin',
    method: 'PUT',
    expiresSeconds: 600
  });
  expect(putUrl.status).toBe(200);
  const uploaded = await fetch(putUrl.body.url, {
    method: 'PUT',
    body: 'from a link'
  });
  expect(uploaded.status).toBe(200);
  const details = await bridge.get(
    `/api/data/endpoints/rgw/object?${qs({ bucket, key: 'share/uploaded.bin' })}`
  );
  expect(details.body.size).toBe('from a link'.length);
});

test('a requested expiry beyond 7 days is capped, and says so', async () => {
  const res = await bridge.send('POST', '/api/data/endpoints/rgw/presign', {
    bucket,
    key: 'share/hello.txt',
    method: 'GET',
    expiresSeconds: 604800
  });
  expect(res.status).toBe(200);
  expect(res.body.expiresSeconds).toBe(604800);
  const over = await bridge.send('POST', '/api/data/endpoints/rgw/presign', {
    bucket,
    key: 'share/hello.txt',
    method: 'GET',
    expiresSeconds: 604801
  });
  expect(over.status).toBe(400);
  expect(over.body.reason).toContain('expiresSeconds');
});

test('awkward keys: ../, unicode, spaces, 1024 bytes work; . and .. segments are refused for links only', async () => {
  const keys = [
    'weird/../escape.txt',
    'weird/ünïcödé 数据 🚀.txt',
    'weird/with spaces and +plus & amp.txt',
    'weird/' + 'k'.repeat(1024 - 'weird/'.length)
  ];
  for (const key of keys) {
    await put(key, `body of ${key.length}`);
    const details = await bridge.get(
      `/api/data/endpoints/rgw/object?${qs({ bucket, key })}`
    );
    expect(details.status).toBe(200);
    expect(details.body.key).toBe(key);
    const link = await bridge.send('POST', '/api/data/endpoints/rgw/presign', {
      bucket,
      key,
      method: 'GET',
      expiresSeconds: 60
    });
    if (key.includes('/../')) {
      expect(details.body.presignable).toBe(false);
      expect(link.status).toBe(400);
      expect(link.body.reason).toContain('"." or ".." path segments');
    } else {
      expect(link.status).toBe(200);
      const fetched = await fetch(link.body.url);
      expect(fetched.status).toBe(200);
      expect(await fetched.text()).toBe(`body of ${key.length}`);
    }
  }
  const listed = await bridge.get(
    `/api/data/endpoints/rgw/objects?${qs({ bucket, prefix: 'weird/', delimiter: '' })}`
  );
  expect(listed.body.objects.map((o: any) => o.key).sort()).toEqual(
    [...keys].sort()
  );
  const tooLong = await bridge.get(
    `/api/data/endpoints/rgw/object?${qs({ bucket, key: 'é'.repeat(513) })}`
  );
  expect(tooLong.status).toBe(400);
  expect(tooLong.body.reason).toContain('1024 bytes');
});

test('bad bodies and queries get 400 with a reason', async () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['POST', '/api/data/endpoints/rgw/presign', { bucket, key: 'a' }, 'method'],
    [
      'POST',
      '/api/data/endpoints/rgw/presign',
      { bucket, key: 'a', method: 'DELETE', expiresSeconds: 5 },
      'method'
    ],
    [
      'POST',
      '/api/data/endpoints/rgw/presign',
      { bucket: 'UPPER', key: 'a', method: 'GET', expiresSeconds: 5 },
      'bucket'
    ],
    [
      'POST',
      '/api/data/endpoints/rgw/presign',
      { bucket, key: '', method: 'GET', expiresSeconds: 5 },
      'key'
    ],
    [
      'POST',
      '/api/data/endpoints/rgw/presign',
      {
        bucket,
        key: 'a',
        method: 'GET',
        expiresSeconds: 5,
        url: 'http://evil/'
      },
      'unknown key "url"'
    ],
    [
      'POST',
      '/api/data/endpoints/rgw/uploads',
      { bucket, key: 'a', size: -1 },
      'size'
    ],
    ['POST', '/api/data/stage', { endpoint: 'rgw', bucket }, 'key'],
    [
      'POST',
      '/api/data/endpoints/rgw/uploads/x/parts',
      { bucket, key: 'a', partNumbers: [0] },
      'partNumbers'
    ]
  ];
  for (const [method, p, body, words] of cases) {
    const res = await bridge.send(method, p, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.reason).toContain(words);
  }
  const q = await bridge.get(
    `/api/data/endpoints/rgw/objects?${qs({ bucket, maxKeys: 'lots' })}`
  );
  expect(q.status).toBe(400);
  expect(q.body.reason).toContain('maxKeys');
  const noBucket = await bridge.get('/api/data/endpoints/rgw/objects');
  expect(noBucket.status).toBe(400);
  const unknown = await bridge.get('/api/data/endpoints/elsewhere/buckets');
  expect(unknown.status).toBe(404);
  const notJson = await bridge.raw(
    'POST',
    '/api/data/stage',
    { 'Content-Type': 'text/plain' },
    'x'
  );
  expect(notJson.status).toBe(415);
});
