/**
 * Against the real Ceph RGW rig and its local OIDC issuer: the bridge exchanges an access
 * token (read from a file, re-read when it changes) for temporary keys by STS
 * AssumeRoleWithWebIdentity, uses them, caps links at their expiry; an expired, badly signed
 * or missing token says "log in again", never a stack trace.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IDataBridge, qs, startDataBridge } from './bridge';
import {
  adminClient,
  bucketName,
  dropBucket,
  makeBucket,
  RigEnv,
  signToken,
  startRig
} from './rig';

jest.setTimeout(120000);

let env: RigEnv;
let s3: S3Client;
let bridge: IDataBridge;
let tokenFile: string;
const bucket = bucketName('sts');

beforeAll(async () => {
  env = await startRig();
  s3 = adminClient(env);
  await makeBucket(s3, bucket);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'hello.txt',
      Body: 'hello sts'
    })
  );
  bridge = await startDataBridge({ endpoints: [] });
  await bridge.close();
  tokenFile = path.join(bridge.stateDir, 'access_token');
  await writeFile(tokenFile, await signToken(env, ['--ttl', '600']), {
    mode: 0o600
  });
  bridge = await startDataBridge(
    {
      endpoints: [
        {
          id: 'iam',
          url: env.S3_ENDPOINT,
          region: env.S3_REGION,
          credentials: {
            kind: 'sts',
            tokenFile,
            roleArn: env.S3_ROLE_ARN,
            durationSeconds: 900
          }
        }
      ]
    },
    {},
    bridge.stateDir
  );
});

afterAll(async () => {
  await bridge?.close();
  await dropBucket(s3, bucket).catch(() => undefined);
  s3?.destroy();
});

const listing = () =>
  bridge.get(`/api/data/endpoints/iam/objects?${qs({ bucket })}`);
const state = async () =>
  (await bridge.get('/api/data/endpoints')).body.endpoints[0].credentials;

test('a token from the issuer gives working temporary keys; links die with them', async () => {
  const res = await listing();
  expect(res.status).toBe(200);
  expect(res.body.objects.map((o: any) => o.key)).toEqual(['hello.txt']);
  const creds = await state();
  expect(creds).toMatchObject({ kind: 'sts', state: 'ok' });
  expect(creds.expiresAt).toBeGreaterThan(Date.now());
  expect(creds.expiresAt).toBeLessThanOrEqual(Date.now() + 905 * 1000);

  const link = await bridge.send('POST', '/api/data/endpoints/iam/presign', {
    bucket,
    key: 'hello.txt',
    method: 'GET',
    expiresSeconds: 7 * 24 * 3600
  });
  expect(link.status).toBe(200);
  expect(link.body.cappedBy).toBe('credentials');
  expect(link.body.expiresAt).toBeLessThanOrEqual(creds.expiresAt);
  expect(link.body.url).toContain('X-Amz-Security-Token=');
  const fetched = await fetch(link.body.url);
  expect(fetched.status).toBe(200);
  expect(await fetched.text()).toBe('hello sts');
  const endpoints = await bridge.get('/api/data/endpoints');
  expect(endpoints.body.endpoints[0].linkMaxSeconds).toBeLessThanOrEqual(900);
  expect(JSON.stringify(endpoints.body)).not.toMatch(/SessionToken|secret/i);
});

test('an expired token in the file: "log in again", then a fresh token works again', async () => {
  await writeFile(tokenFile, await signToken(env, ['--expired']));
  const res = await listing();
  expect(res.status).toBe(403);
  expect(res.body.reason).toContain('log in again');
  expect(res.body.reason).not.toMatch(/at .*\.js|Error:/);
  expect(await state()).toMatchObject({
    state: 'expired',
    message: expect.stringContaining('log in again')
  });

  await writeFile(tokenFile, await signToken(env, ['--ttl', '600']));
  expect((await listing()).status).toBe(200);
  expect((await state()).state).toBe('ok');
});

test('a token with a bad signature is refused by STS: "log in again"', async () => {
  await writeFile(tokenFile, await signToken(env, ['--bad-signature']));
  const res = await listing();
  expect(res.status).toBe(403);
  expect(res.body.reason).toContain('log in again');
  expect((await state()).state).toBe('expired');
  expect(bridge.lines.join('\n')).not.toContain(
    await signToken(env, ['--bad-signature'])
  );
});

test('no token file: "missing", with what to do', async () => {
  await rm(tokenFile);
  const res = await listing();
  expect(res.status).toBe(403);
  expect(res.body.reason).toContain('log in again');
  expect(await state()).toMatchObject({ state: 'missing' });
  await writeFile(tokenFile, await signToken(env, ['--ttl', '600']));
  expect((await listing()).status).toBe(200);
});
