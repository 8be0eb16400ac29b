/**
 * The data module's pure parts: key checks, expiry capping, CORS, part sizes, LRU, cache file
 * names, verification, storage error wording, config completion.
 */
import { createHash } from 'node:crypto';
import { chooseEvictions } from '../../src/data/cache/lru';
import { entryFiles, entryId, safeExtension } from '../../src/data/cache/paths';
import { rangeLayout } from '../../src/data/cache/download';
import {
  expectationFor,
  multipartEtag,
  partSizeCandidates,
  verdict
} from '../../src/data/cache/verifier';
import { DataConfigError, resolveDataConfig } from '../../src/data/config';
import { browserUploadProblem, originMatches } from '../../src/data/cors';
import { DataError, LOGIN_AGAIN, storageError } from '../../src/data/errors';
import {
  checkPresignable,
  hasDotSegments,
  keyProblem
} from '../../src/data/keys';
import {
  capExpiry,
  maxLinkSeconds,
  SIGV4_MAX_SECONDS
} from '../../src/data/presign-expiry';
import { choosePartSize, MAX_PARTS } from '../../src/data/uploads';

const MiB = 1024 * 1024;

test('keys: what S3 takes works, what it cannot carry is refused in words', () => {
  expect(keyProblem('a/../b c/ünï 数据.txt')).toBeUndefined();
  expect(keyProblem('k'.repeat(1024))).toBeUndefined();
  expect(keyProblem('é'.repeat(513))).toContain('1024 bytes');
  expect(keyProblem('bad\u0001key')).toContain('control characters');
  expect(keyProblem('lone \ud800 surrogate')).toContain('not valid Unicode');
  expect(hasDotSegments('a/./b')).toBe(true);
  expect(hasDotSegments('../a')).toBe(true);
  expect(hasDotSegments('a/..')).toBe(true);
  expect(hasDotSegments('a/...b/.hidden')).toBe(false);
  expect(() => checkPresignable('x/../y')).toThrow(/path segments/);
});

test('expiry: capped at 7 days, the config, and the keys', () => {
  const nowMs = 1_000_000_000_000;
  const limits = { nowMs, configMaxSeconds: SIGV4_MAX_SECONDS };
  expect(capExpiry(3600, limits)).toEqual({
    seconds: 3600,
    cappedBy: undefined
  });
  expect(capExpiry(10 * 86400, limits)).toEqual({
    seconds: SIGV4_MAX_SECONDS,
    cappedBy: 'sigv4-7-days'
  });
  expect(capExpiry(7200, { ...limits, configMaxSeconds: 3600 })).toEqual({
    seconds: 3600,
    cappedBy: 'config'
  });
  const keys = { ...limits, credentialsExpireAt: nowMs + 900 * 1000 };
  expect(capExpiry(86400, keys)).toEqual({
    seconds: 870,
    cappedBy: 'credentials'
  });
  expect(capExpiry(60, keys)).toEqual({ seconds: 60, cappedBy: undefined });
  expect(maxLinkSeconds(keys)).toBe(870);
  expect(() =>
    capExpiry(60, { ...limits, credentialsExpireAt: nowMs + 10000 })
  ).toThrow(DataError);
});

test('CORS: PUT from the origin and ETag exposed, or why not', () => {
  expect(originMatches('*', 'http://x')).toBe(true);
  expect(originMatches('https://*.infn.it', 'https://lab.cloud.infn.it')).toBe(
    true
  );
  expect(originMatches('https://*.infn.it', 'https://evil.example')).toBe(
    false
  );
  const rule = {
    AllowedMethods: ['PUT'],
    AllowedOrigins: ['https://lab.infn.it'],
    ExposeHeaders: ['ETag']
  };
  expect(browserUploadProblem([rule], 'https://lab.infn.it')).toBeUndefined();
  expect(browserUploadProblem([rule], undefined)).toContain(
    'origin is unknown'
  );
  expect(browserUploadProblem([], 'https://lab.infn.it')).toContain(
    'no CORS rules'
  );
  expect(
    browserUploadProblem(
      [{ ...rule, ExposeHeaders: [] }],
      'https://lab.infn.it'
    )
  ).toContain('ETag');
  expect(
    browserUploadProblem(
      [{ ...rule, AllowedMethods: ['GET'] }],
      'https://lab.infn.it'
    )
  ).toContain('PUT');
});

test('part sizes grow to fit 10,000 parts', () => {
  expect(choosePartSize(200 * MiB, 8 * MiB)).toBe(8 * MiB);
  expect(choosePartSize(1, 1)).toBe(5 * MiB);
  const huge = 200 * 1024 * MiB;
  const part = choosePartSize(huge, 8 * MiB);
  expect(Math.ceil(huge / part)).toBeLessThanOrEqual(MAX_PARTS);
  expect(part % MiB).toBe(0);
});

test('LRU: oldest idle entries go first, active ones never', () => {
  const entries = [
    { id: 'a', size: 4, lastUsedAt: 1, active: false },
    { id: 'b', size: 4, lastUsedAt: 3, active: false },
    { id: 'c', size: 4, lastUsedAt: 0, active: true },
    { id: 'd', size: 4, lastUsedAt: 2, active: false }
  ];
  expect(chooseEvictions(entries, 4, 20)).toEqual([]);
  expect(chooseEvictions(entries, 4, 16)).toEqual(['a']);
  expect(chooseEvictions(entries, 8, 16)).toEqual(['a', 'd']);
  expect(chooseEvictions(entries, 13, 16)).toBeUndefined();
});

test('cache names are hashes; nothing a client sends becomes a path', () => {
  const id = entryId('rgw', 'bucket', '../../etc/passwd');
  expect(id).toMatch(/^[0-9a-f]{40}$/);
  expect(entryId('rgw', 'bucket', 'a')).not.toBe(
    entryId('rgw', 'bucket2', 'a')
  );
  expect(safeExtension('x/events.root')).toBe('.root');
  expect(safeExtension('x/archive.TAR.GZ')).toBe('.tar.gz');
  expect(safeExtension('x/../../evil/.bashrc')).toBe('');
  expect(safeExtension('x/name.with/slash')).toBe('');
  expect(safeExtension('x/a.verylongextension')).toBe('');
  const files = entryFiles('/cache', id, '.csv');
  expect(files.ready).toBe(`/cache/objects/${id}.csv`);
  expect(files.partial).toBe(`/cache/partial/${id}.part`);
  expect(() => entryFiles('/cache', '../x', '')).toThrow();
  expect(() => entryFiles('/cache', id, '/../x')).toThrow();
});

test('verification: MD5, md5-of-md5s over candidate layouts, SHA-256', () => {
  const body = Buffer.alloc(13 * MiB, 7);
  const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
  const single = expectationFor(md5(body), body.length, {});
  expect(single.kind).toBe('md5');
  expect(verdict(single, { plain: md5(body) })).toBeUndefined();
  expect(verdict(single, { plain: md5(body.subarray(1)) })).toContain(
    'does not match the ETag'
  );

  const parts = [
    body.subarray(0, 5 * MiB),
    body.subarray(5 * MiB, 10 * MiB),
    body.subarray(10 * MiB)
  ];
  const etag = `${createHash('md5')
    .update(Buffer.concat(parts.map(p => createHash('md5').update(p).digest())))
    .digest('hex')}-3`;
  expect(multipartEtag(parts.map(md5))).toBe(etag);
  expect(partSizeCandidates(body.length, 3)).toContain(5 * MiB);
  expect(partSizeCandidates(body.length, 3, 5 * MiB)).toEqual([5 * MiB]);
  const multi = expectationFor(etag, body.length, {});
  expect(multi.kind).toBe('multipart-md5');
  // Any candidate layout that gives the ETag verifies the copy.
  expect(
    verdict(multi, { layouts: [[md5(body)], parts.map(md5)] })
  ).toBeUndefined();
  expect(verdict(multi, { layouts: [[md5(body)]] })).toContain(
    'do not give the ETag'
  );

  const sha256 = createHash('sha256').update(body).digest('hex');
  const hashed = expectationFor('whatever-2', body.length, { sha256 });
  expect(hashed.kind).toBe('sha256');
  expect(verdict(hashed, { plain: sha256 })).toBeUndefined();
  expect(expectationFor('not-an-md5', 10, {}).kind).toBe('none');
  expect(verdict({ kind: 'none' }, {})).toBeUndefined();
});

test('ranges of a multipart object with a known part size are whole parts', () => {
  const one = expectationFor(`${'a'.repeat(32)}-128`, 1024 * MiB, {});
  expect(rangeLayout(one, 16 * MiB)).toEqual({
    chunkBytes: 16 * MiB,
    partSize: 8 * MiB
  });
  expect(rangeLayout(one, MiB)).toEqual({
    chunkBytes: 8 * MiB,
    partSize: 8 * MiB
  });
  const five = expectationFor(`${'a'.repeat(32)}-3`, 13 * MiB, {}, 5 * MiB);
  expect(rangeLayout(five, 16 * MiB)).toEqual({
    chunkBytes: 15 * MiB,
    partSize: 5 * MiB
  });
  // Parts far larger than a range, a plain MD5, or several possible layouts: the configured
  // size, hashed in order.
  expect(
    rangeLayout(
      { kind: 'multipart-md5', etag: 'x-2', parts: 2, partSizes: [512 * MiB] },
      16 * MiB
    )
  ).toEqual({ chunkBytes: 16 * MiB });
  expect(rangeLayout({ kind: 'md5', md5: 'x' }, 16 * MiB)).toEqual({
    chunkBytes: 16 * MiB
  });
  expect(
    rangeLayout(
      { kind: 'multipart-md5', etag: 'x-2', parts: 2, partSizes: [5, 8] },
      16 * MiB
    )
  ).toEqual({ chunkBytes: 16 * MiB });
});

test('storage errors become a status and a sentence', () => {
  const named = (name: string, status?: number) =>
    Object.assign(new Error('x'), {
      name,
      $metadata: { httpStatusCode: status }
    });
  expect(storageError(named('NoSuchKey', 404), 'reading "a"')).toMatchObject({
    status: 404,
    reason: 'reading "a": there is no such object'
  });
  expect(storageError(named('ExpiredToken', 400), 'x')).toMatchObject({
    status: 403,
    reason: LOGIN_AGAIN
  });
  expect(storageError(named('Unknown', 403), 'x').status).toBe(403);
  expect(
    storageError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'x')
  ).toMatchObject({
    status: 502,
    reason: expect.stringContaining('could not be reached')
  });
  expect(storageError(named('InternalError', 500), 'x').status).toBe(502);
});

test('config: defaults, and the pairs the schema cannot check', () => {
  const c = resolveDataConfig(undefined, '/state');
  expect(c.cache.dir).toBe('/state/data-cache');
  expect(c.endpoints).toEqual([]);
  expect(c.kernelApi.enabled).toBe(true);
  const endpoint = {
    id: 'a',
    url: 'http://s3:9000/',
    credentials: { kind: 'none' as const }
  };
  expect(
    resolveDataConfig({ endpoints: [endpoint] }, '/s').endpoints[0]
  ).toMatchObject({
    url: 'http://s3:9000',
    publicUrl: 'http://s3:9000',
    region: 'us-east-1',
    pathStyle: true,
    title: 'a'
  });
  expect(() =>
    resolveDataConfig({ endpoints: [endpoint, endpoint] }, '/s')
  ).toThrow(DataConfigError);
  expect(() =>
    resolveDataConfig(
      {
        endpoints: [
          { ...endpoint, credentials: { kind: 'static', accessKeyIdEnv: 'A' } }
        ]
      },
      '/s'
    )
  ).toThrow(/both accessKeyIdEnv and secretAccessKeyEnv/);
  expect(() =>
    resolveDataConfig(
      { endpoints: [{ ...endpoint, credentials: { kind: 'sts' } }] },
      '/s'
    )
  ).toThrow(/exactly one of tokenEnv and tokenFile/);
});
