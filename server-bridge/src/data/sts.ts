/**
 * STS AssumeRoleWithWebIdentity: an OIDC access token in, temporary S3 keys out.
 *
 * A plain form POST (the call is unsigned: the token is the credential), for two reasons the
 * SDK's STS client does not cover: MinIO's claim-based form has no RoleArn at all, and Ceph
 * RGW answers errors as S3-style XML (`<Error><Code>`, no `<ErrorResponse>`), which the SDK
 * reports as `Unknown`. Both forms and both error shapes are parsed here.
 */
import { DataError, LOGIN_AGAIN } from './errors';

/** Temporary keys. */
export interface ITemporaryKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ms since the epoch. */
  expiresAt: number;
}

export interface IAssumeRoleRequest {
  stsUrl: string;
  token: string;
  /** Absent for MinIO's claim-based policies. */
  roleArn?: string;
  roleSessionName: string;
  durationSeconds: number;
  timeoutMs?: number;
}

/** Codes that mean the token itself is no good: the user must log in again. */
const LOGIN_CODES = new Set([
  'AccessDenied',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidIdentityToken',
  'InvalidIdentityTokenException',
  'IDPRejectedClaim',
  'IDPRejectedClaimException'
]);

/** The form body of the request (exported for the unit tests). */
export function assumeRoleForm(request: IAssumeRoleRequest): URLSearchParams {
  const form = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    WebIdentityToken: request.token,
    RoleSessionName: request.roleSessionName,
    DurationSeconds: String(request.durationSeconds)
  });
  if (request.roleArn) {
    form.set('RoleArn', request.roleArn);
  }
  return form;
}

/** Exchange a token for keys. */
export async function assumeRoleWithWebIdentity(
  request: IAssumeRoleRequest
): Promise<ITemporaryKeys> {
  let response: Response;
  try {
    response = await fetch(request.stsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: assumeRoleForm(request).toString(),
      signal: AbortSignal.timeout(request.timeoutMs ?? 15000)
    });
  } catch (err) {
    const name = (err as Error)?.name;
    throw new DataError(
      name === 'TimeoutError' ? 504 : 502,
      name === 'TimeoutError'
        ? 'the storage login service (STS) did not answer in time'
        : 'the storage login service (STS) could not be reached'
    );
  }
  return parseStsResponse(response.status, await response.text());
}

/**
 * Read an AssumeRoleWithWebIdentity answer (AWS, MinIO and Ceph RGW forms).
 *
 * @throws DataError: 403 with "log in again" when the token was refused.
 */
export function parseStsResponse(status: number, xml: string): ITemporaryKeys {
  if (status >= 200 && status < 300) {
    const accessKeyId = tag(xml, 'AccessKeyId');
    const secretAccessKey = tag(xml, 'SecretAccessKey');
    const sessionToken = tag(xml, 'SessionToken');
    const expiration = tag(xml, 'Expiration');
    const expiresAt = expiration ? Date.parse(expiration) : NaN;
    if (!accessKeyId || !secretAccessKey || !sessionToken || isNaN(expiresAt)) {
      throw new DataError(
        502,
        'the storage login service (STS) answered without usable keys'
      );
    }
    return { accessKeyId, secretAccessKey, sessionToken, expiresAt };
  }
  const code = tag(xml, 'Code') ?? '';
  if (status === 401 || status === 403 || LOGIN_CODES.has(code)) {
    return fail(403, LOGIN_AGAIN);
  }
  const message = tag(xml, 'Message');
  return fail(
    status >= 500 ? 502 : 403,
    `the storage login service (STS) refused the token (${code || status}${
      message ? `: ${message.slice(0, 200)}` : ''
    })`
  );
}

function fail(status: number, reason: string): never {
  throw new DataError(status, reason);
}

/** The text of the first `<name>` element (no attributes in these documents). */
function tag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml);
  return match ? unescapeXml(match[1].trim()) : undefined;
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g,
    (_m, e: string) => {
      switch (e) {
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'amp':
          return '&';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
        default:
          return String.fromCodePoint(
            e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
          );
      }
    }
  );
}

/**
 * The `exp` of a JWT (seconds since the epoch), read without verifying: only to say "log in
 * again" before asking STS with a token that has obviously expired. STS does the verifying.
 */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const payload = JSON.parse(
      Buffer.from(parts[1], 'base64url').toString('utf8')
    );
    return typeof payload?.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}
