/**
 * Against the real Ceph RGW rig: staging into the local cache (single-part MD5, multipart
 * md5-of-md5s, stored SHA-256), one download for two requests, a staging killed midway (the
 * bridge process SIGKILLed) resumes and verifies, an object changed mid-staging (412) starts
 * over cleanly, LRU eviction under the quota, deleting entries.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestSocket, ticket } from '../helpers';
import { IDataBridge, startDataBridge } from './bridge';
import { buildBundle, launchBridge } from './child';
import {
  bucketName,
  childKeyEnv,
  dropBucket,
  makeBucket,
  RigEnv,
  rigWithKeys,
  staticEndpoint
} from './rig';

jest.setTimeout(300000);

const MiB = 1024 * 1024;
let env: RigEnv;
let s3: S3Client;
let bridge: IDataBridge;
const bucket = bucketName('stage');

const endpoint = (id: string, url: string) => staticEndpoint(env, id, { url });

beforeAll(async () => {
  ({ env, s3 } = await rigWithKeys(['--rate-limit', '10m']));
  await makeBucket(s3, bucket);
  bridge = await startDataBridge({
    endpoints: [
      endpoint('rgw', env.S3_ENDPOINT),
      endpoint('slow', env.S3_ENDPOINT_RATE_LIMITED)
    ],
    cache: { chunkBytes: MiB, connections: 3, quotaBytes: 64 * MiB }
  });
});

afterAll(async () => {
  await bridge?.close();
  await dropBucket(s3, bucket).catch(() => undefined);
  s3?.destroy();
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function stageUntilDone(b: IDataBridge, endpointId: string, key: string) {
  const first = await b.send('POST', '/api/data/stage', {
    endpoint: endpointId,
    bucket,
    key
  });
  expect([200, 202]).toContain(first.status);
  for (;;) {
    const cache = await b.get('/api/data/cache');
    const entry = cache.body.entries.find((e: any) => e.id === first.body.id);
    if (
      entry &&
      (entry.state === 'ready' ||
        (entry.state === 'failed' && !entry.error?.startsWith('interrupted')))
    ) {
      return { first: first.body, entry };
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

test('a single-part object is staged, verified by its MD5 ETag, and served from the cache next time', async () => {
  const body = randomBytes(5 * MiB + 123);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'data/events.root',
      Body: body
    })
  );
  const { entry } = await stageUntilDone(bridge, 'rgw', 'data/events.root');
  expect(entry).toMatchObject({
    state: 'ready',
    verified: 'md5',
    size: body.length,
    etag: md5(body)
  });
  expect(
    entry.localPath.startsWith(path.join(bridge.stateDir, 'data-cache'))
  ).toBe(true);
  expect(entry.localPath.endsWith('.root')).toBe(true);
  expect(md5(await readFile(entry.localPath))).toBe(md5(body));
  const again = await bridge.send('POST', '/api/data/stage', {
    endpoint: 'rgw',
    bucket,
    key: 'data/events.root'
  });
  expect(again.status).toBe(200);
  expect(again.body.localPath).toBe(entry.localPath);
});

/** Upload `parts` as one multipart object. */
async function putMultipart(key: string, parts: Buffer[]) {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })
  );
  const etags = [];
  for (let i = 0; i < parts.length; i++) {
    const out = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: i + 1,
        Body: parts[i]
      })
    );
    etags.push({ PartNumber: i + 1, ETag: out.ETag });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: etags }
    })
  );
}

test('a multipart object is verified by md5-of-md5s, one with a stored SHA-256 by that', async () => {
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)];
  await putMultipart('data/multi.bin', parts);
  const multi = await stageUntilDone(bridge, 'rgw', 'data/multi.bin');
  expect(multi.entry).toMatchObject({
    state: 'ready',
    verified: 'multipart-md5'
  });
  expect(multi.entry.etag).toMatch(/-3$/);
  expect(md5(await readFile(multi.entry.localPath))).toBe(
    md5(Buffer.concat(parts))
  );

  const body = randomBytes(2 * MiB);
  const sha256 = createHash('sha256').update(body).digest('hex');
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'data/hashed.csv',
      Body: body,
      Metadata: { sha256 }
    })
  );
  const hashed = await stageUntilDone(bridge, 'rgw', 'data/hashed.csv');
  expect(hashed.entry).toMatchObject({ state: 'ready', verified: 'sha256' });
  // A stored checksum that does not match: the copy is refused and deleted.
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'data/lying.csv',
      Body: body,
      Metadata: { sha256: '0'.repeat(64) }
    })
  );
  const lying = await stageUntilDone(bridge, 'rgw', 'data/lying.csv');
  expect(lying.entry.state).toBe('failed');
  expect(lying.entry.error).toContain('SHA-256');
});

test('two requests for the same object download it once, and progress is pushed', async () => {
  const body = randomBytes(40 * MiB);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'data/shared.parquet',
      Body: body
    })
  );
  const socket = new TestSocket(`${bridge.wsUrl}`);
  await socket.opened;
  socket.send({ type: 'auth', ticket: ticket() });
  await socket.nextOfType('ready');
  socket.send({ type: 'subscribe', channel: 'data' });
  await socket.nextOfType('subscribed');
  const snapshot = await socket.nextOfType('data');
  expect(snapshot.payload.type).toBe('snapshot');
  const request = { endpoint: 'slow', bucket, key: 'data/shared.parquet' };
  const [a, b] = await Promise.all([
    bridge.send('POST', '/api/data/stage', request),
    bridge.send('POST', '/api/data/stage', request)
  ]);
  expect(a.status).toBe(202);
  expect(b.status).toBe(202);
  expect(b.body.id).toBe(a.body.id);
  expect(b.body.createdAt).toBe(a.body.createdAt);
  const messages: any[] = [];
  for (;;) {
    const m = await socket.nextOfType('data');
    if (m.payload.id === a.body.id) {
      messages.push(m.payload);
      if (m.payload.state === 'ready' || m.payload.state === 'failed') {
        break;
      }
    }
  }
  socket.close();
  expect(messages.at(-1)).toMatchObject({
    state: 'ready',
    bytes: body.length,
    size: body.length
  });
  // One staging: one "queued" start, and progress in between with a rate.
  expect(messages.filter(m => m.state === 'queued')).toHaveLength(1);
  const downloading = messages.filter(m => m.state === 'downloading');
  expect(downloading.length).toBeGreaterThanOrEqual(1);
  expect(downloading.every(m => m.bytes <= m.size && m.rate >= 0)).toBe(true);
  expect(messages.some(m => m.rate > 0)).toBe(true);
  const cache = await bridge.get('/api/data/cache');
  expect(
    cache.body.entries.filter((e: any) => e.key === 'data/shared.parquet')
  ).toHaveLength(1);
});

// nginx's limit_rate lets each request send one second's worth (10 MB) at once: ranges of 12
// MiB through it take about a second each, so these stagings are still running when the test
// acts on them.
const slowCache = (connections: number) => ({
  chunkBytes: 12 * MiB,
  connections,
  quotaBytes: 256 * MiB
});

test('an object overwritten mid-staging (If-Match answers 412) is staged again from the start', async () => {
  const slow = await startDataBridge({
    endpoints: [endpoint('slow', env.S3_ENDPOINT_RATE_LIMITED)],
    cache: slowCache(1)
  });
  try {
    await overwrittenMidStaging(slow);
  } finally {
    await slow.close();
  }
});

async function overwrittenMidStaging(bridge: IDataBridge) {
  const before = randomBytes(40 * MiB);
  const after = randomBytes(9 * MiB);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'data/changing.h5',
      Body: before
    })
  );
  const started = await bridge.send('POST', '/api/data/stage', {
    endpoint: 'slow',
    bucket,
    key: 'data/changing.h5'
  });
  expect(started.status).toBe(202);
  for (;;) {
    const cache = await bridge.get('/api/data/cache');
    const entry = cache.body.entries.find((e: any) => e.id === started.body.id);
    if (entry.bytes > 2 * MiB) {
      break;
    }
    await new Promise(r => setTimeout(r, 50));
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'data/changing.h5',
      Body: after
    })
  );
  const { entry } = await stageUntilDone(bridge, 'slow', 'data/changing.h5');
  expect(entry).toMatchObject({
    state: 'ready',
    etag: md5(after),
    size: after.length,
    verified: 'md5'
  });
  expect(md5(await readFile(entry.localPath))).toBe(md5(after));
}

test('least recently used entries are evicted under the quota; entries can be deleted', async () => {
  const small = await startDataBridge({
    endpoints: [endpoint('rgw', env.S3_ENDPOINT)],
    cache: { quotaBytes: 5 * MiB, chunkBytes: MiB }
  });
  try {
    for (const name of ['a', 'b', 'c']) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `lru/${name}.bin`,
          Body: randomBytes(2 * MiB)
        })
      );
    }
    const a = await stageUntilDone(small, 'rgw', 'lru/a.bin');
    await stageUntilDone(small, 'rgw', 'lru/b.bin');
    // Use a again: b is now the least recently used.
    expect(
      (
        await small.send('POST', '/api/data/stage', {
          endpoint: 'rgw',
          bucket,
          key: 'lru/a.bin'
        })
      ).status
    ).toBe(200);
    await stageUntilDone(small, 'rgw', 'lru/c.bin');
    const cache = await small.get('/api/data/cache');
    expect(cache.body.entries.map((e: any) => e.key).sort()).toEqual([
      'lru/a.bin',
      'lru/c.bin'
    ]);
    expect(cache.body.usedBytes).toBeLessThanOrEqual(5 * MiB);
    const tooBig = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'lru/big.bin',
        Body: randomBytes(6 * MiB)
      })
    );
    expect(tooBig.ETag).toBeTruthy();
    const refused = await small.send('POST', '/api/data/stage', {
      endpoint: 'rgw',
      bucket,
      key: 'lru/big.bin'
    });
    expect(refused.status).toBe(422);
    expect(refused.body.reason).toContain('larger than the whole cache');
    expect(
      (await small.send('DELETE', `/api/data/cache/${a.entry.id}`)).status
    ).toBe(204);
    await expect(readFile(a.entry.localPath)).rejects.toThrow();
    expect(
      (await small.send('DELETE', `/api/data/cache/${a.entry.id}`)).status
    ).toBe(404);
    expect(
      (await small.send('DELETE', '/api/data/cache/..%2F..%2Fetc')).status
    ).toBe(404);
  } finally {
    await small.close();
  }
});

test.each([
  ['single-part', 'md5'],
  ['multipart', 'multipart-md5']
])(
  'a %s staging killed midway (SIGKILL of the bridge) resumes after a restart and verifies',
  async (kind, verified) => {
    const bundle = await buildBundle();
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-data-kill-'));
    const body = randomBytes(72 * MiB);
    if (kind === 'multipart') {
      // Parts of 12 MiB: each range is one part, hashed as it streams (or, resumed, from disk).
      const parts = [0, 1, 2, 3, 4, 5].map(i =>
        body.subarray(i * 12 * MiB, (i + 1) * 12 * MiB)
      );
      await putMultipart('data/killed.npy', parts);
    } else {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'data/killed.npy',
          Body: body
        })
      );
    }
    const config = {
      stateDir,
      data: {
        endpoints: [endpoint('slow', env.S3_ENDPOINT_RATE_LIMITED)],
        cache: slowCache(2)
      }
    };
    const childEnv = childKeyEnv(env);
    const request = { endpoint: 'slow', bucket, key: 'data/killed.npy' };
    const first = await launchBridge(bundle, config, childEnv);
    const started = await first.json('POST', '/api/data/stage', request);
    expect(started.status).toBe(202);
    // Two ranges of 12 MiB in flight hold at most 24 MiB: beyond 30, at least one is complete.
    let before = 0;
    while (before < 30 * MiB) {
      const cache = await first.json('GET', '/api/data/cache');
      before = cache.body.entries.find(
        (e: any) => e.id === started.body.id
      ).bytes;
      await new Promise(r => setTimeout(r, 100));
    }
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = await launchBridge(bundle, config, childEnv);
    try {
      const listed = await second.json('GET', '/api/data/cache');
      const interrupted = listed.body.entries.find(
        (e: any) => e.id === started.body.id
      );
      expect(interrupted.state).toBe('failed');
      expect(interrupted.error).toContain('stage it again to resume');
      const resumed = await second.json('POST', '/api/data/stage', request);
      expect(resumed.status).toBe(202);
      // It starts from what the killed bridge had written, not from zero.
      expect(resumed.body.bytes).toBeGreaterThanOrEqual(12 * MiB);
      let entry: any;
      for (;;) {
        const cache = await second.json('GET', '/api/data/cache');
        entry = cache.body.entries.find((e: any) => e.id === started.body.id);
        if (entry.state === 'ready' || entry.state === 'failed') {
          break;
        }
        await new Promise(r => setTimeout(r, 100));
      }
      expect(entry).toMatchObject({
        state: 'ready',
        verified,
        size: body.length
      });
      expect(md5(await readFile(entry.localPath))).toBe(md5(body));
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  }
);
