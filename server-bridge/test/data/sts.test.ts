/**
 * STS on recorded answers (Ceph RGW from the rig, MinIO's claim-based form and AWS's error form
 * as their documentation gives them), the request form with and without RoleArn, and the key
 * source's refresh rules with an STS double.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import {
  createCredentialSource,
  sessionName
} from '../../src/data/credentials';
import { DataError, LOGIN_AGAIN } from '../../src/data/errors';
import {
  assumeRoleForm,
  IAssumeRoleRequest,
  ITemporaryKeys,
  jwtExpiry,
  parseStsResponse
} from '../../src/data/sts';

const fixture = (name: string) =>
  readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const logger = pino({ level: 'silent' });

function jwt(claims: object): string {
  const part = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(claims)}.c2ln`;
}

test('recorded RGW answer: keys and an expiry with nanoseconds', () => {
  const keys = parseStsResponse(200, fixture('sts-rgw-ok.xml'));
  expect(keys.accessKeyId).toBe('FtyrVArkYoXOb520Owt');
  expect(keys.sessionToken.length).toBeGreaterThan(100);
  expect(keys.expiresAt).toBe(Date.parse('2026-11-25T12:45:10.047Z'));
});

test("MinIO's claim-based answer (no RoleArn) parses the same", () => {
  const keys = parseStsResponse(200, fixture('sts-minio-ok.xml'));
  expect(keys).toMatchObject({
    accessKeyId: 'Y4RJU1RNFGK48LGO9I2S',
    secretAccessKey: 'EXAMPLE-SECRET-KEY-NOT-A-REAL-ONE-0000000',
    expiresAt: Date.parse('2019-08-08T20:26:12Z')
  });
});

test('refusals: RGW 403 AccessDenied and AWS ExpiredTokenException say log in again; others say why', () => {
  const reason = (status: number, xml: string) => {
    try {
      parseStsResponse(status, xml);
    } catch (err) {
      return err as DataError;
    }
    throw new Error('no error');
  };
  expect(reason(403, fixture('sts-rgw-denied.xml'))).toMatchObject({
    status: 403,
    reason: LOGIN_AGAIN
  });
  expect(reason(400, fixture('sts-aws-expired.xml'))).toMatchObject({
    status: 403,
    reason: LOGIN_AGAIN
  });
  const minio = reason(400, fixture('sts-minio-invalid.xml'));
  expect(minio.reason).toContain(
    'InvalidParameterValue: Token does not contain policy claim'
  );
  expect(reason(200, '<nothing/>').status).toBe(502);
  expect(reason(503, 'down').status).toBe(502);
});

test('the request form: RoleArn only when configured', () => {
  const base: IAssumeRoleRequest = {
    stsUrl: 'http://sts',
    token: 't',
    roleSessionName: 'mlinfn-alice',
    durationSeconds: 900
  };
  expect(Object.fromEntries(assumeRoleForm(base))).toEqual({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    WebIdentityToken: 't',
    RoleSessionName: 'mlinfn-alice',
    DurationSeconds: '900'
  });
  expect(
    assumeRoleForm({ ...base, roleArn: 'arn:aws:iam:::role/r' }).get('RoleArn')
  ).toBe('arn:aws:iam:::role/r');
  expect(sessionName('alice@infn.it (x)')).toBe('mlinfn-alice@infn.it--x-');
  expect(jwtExpiry(jwt({ exp: 123 }))).toBe(123);
  expect(jwtExpiry('garbage')).toBeUndefined();
});

test('the key source: one exchange shared, refreshed before expiry and when the token file changes', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sts-'));
  const tokenFile = path.join(dir, 'token');
  let now = 1_000_000_000_000;
  writeFileSync(tokenFile, jwt({ exp: now / 1000 + 3600, n: 1 }));
  const calls: IAssumeRoleRequest[] = [];
  const assumeRole = async (
    request: IAssumeRoleRequest
  ): Promise<ITemporaryKeys> => {
    calls.push(request);
    await new Promise(r => setTimeout(r, 10));
    return {
      accessKeyId: `AK${calls.length}`,
      secretAccessKey: 's',
      sessionToken: 't',
      expiresAt: now + 900_000
    };
  };
  const source = createCredentialSource(
    { kind: 'sts', tokenFile, refreshBeforeSeconds: 300 },
    {
      endpointUrl: 'http://minio:9000',
      logger,
      assumeRole,
      now: () => now,
      username: 'alice'
    }
  );
  try {
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect(a!.accessKeyId).toBe('AK1');
    expect(b!.accessKeyId).toBe('AK1');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      stsUrl: 'http://minio:9000',
      roleArn: undefined,
      roleSessionName: 'mlinfn-alice'
    });
    now += 500_000;
    expect((await source.get())!.accessKeyId).toBe('AK1');
    now += 200_000; // within 300 s of expiry
    expect((await source.get())!.accessKeyId).toBe('AK2');
    writeFileSync(tokenFile, jwt({ exp: now / 1000 + 3600, n: 2 }));
    expect((await source.get())!.accessKeyId).toBe('AK3');
    expect(source.state()).toMatchObject({
      kind: 'sts',
      state: 'ok',
      expiresAt: now + 900_000
    });
    writeFileSync(tokenFile, jwt({ exp: now / 1000 - 1 }));
    await expect(source.get()).rejects.toMatchObject({
      status: 403,
      reason: LOGIN_AGAIN
    });
    expect(source.state()).toMatchObject({ state: 'expired' });
    expect(calls).toHaveLength(3);
  } finally {
    source.dispose();
  }
});

test('static keys: environment names or a key file, never the values in the state', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keys-'));
  const keyFile = path.join(dir, 'keys.json');
  writeFileSync(
    keyFile,
    JSON.stringify({ accessKeyId: 'AK', secretAccessKey: 'SECRET' })
  );
  const fromFile = createCredentialSource(
    { kind: 'static', keyFile },
    { endpointUrl: 'x', logger }
  );
  expect(await fromFile.get()).toMatchObject({
    accessKeyId: 'AK',
    secretAccessKey: 'SECRET'
  });
  expect(JSON.stringify(fromFile.state())).not.toContain('SECRET');
  writeFileSync(keyFile, 'not json!');
  await expect(fromFile.get()).rejects.toMatchObject({
    reason: expect.stringContaining('not JSON')
  });
  const fromEnv = createCredentialSource(
    { kind: 'static', accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
    { endpointUrl: 'x', logger, env: { K: 'AK' } }
  );
  expect(fromEnv.state()).toMatchObject({
    state: 'missing',
    message: expect.stringContaining('S is empty')
  });
});
