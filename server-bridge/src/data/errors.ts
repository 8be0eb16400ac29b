/**
 * The data module's one error type, and how storage (S3) failures become a status and one
 * sentence for the user: never a stack trace, never a key.
 */

/** A failure with the status and the sentence the REST answer carries. */
export class DataError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string
  ) {
    super(reason);
    this.name = 'DataError';
  }
}

/** What a login that STS refused tells the user (docs/data.md). */
export const LOGIN_AGAIN =
  'Your login has expired (the storage refused the access token): log in again to JupyterHub, then retry.';

/** S3 error names (the SDK's `name`, from the XML `Code`) and what they mean here. */
const BY_NAME: Record<string, [number, string]> = {
  NoSuchBucket: [404, 'there is no such bucket'],
  NoSuchKey: [404, 'there is no such object'],
  NotFound: [404, 'there is no such object'],
  NoSuchUpload: [
    404,
    'there is no such upload (it was completed or aborted, or it expired)'
  ],
  AccessDenied: [403, 'the storage refused access'],
  Forbidden: [403, 'the storage refused access'],
  AllAccessDisabled: [403, 'the storage refused access'],
  SignatureDoesNotMatch: [
    403,
    'the storage refused the signature (check the configured keys)'
  ],
  InvalidAccessKeyId: [403, 'the storage does not know the configured key'],
  InvalidPart: [400, 'a part is missing or its ETag does not match'],
  InvalidPartOrder: [400, 'the parts are not in ascending order'],
  EntityTooSmall: [
    400,
    'a part other than the last is smaller than the storage allows (5 MiB)'
  ],
  EntityTooLarge: [400, 'the object is larger than the storage allows'],
  InvalidRange: [416, 'the requested range is not in the object'],
  PreconditionFailed: [412, 'the object changed meanwhile'],
  BucketAlreadyExists: [409, 'the bucket already exists'],
  BucketNotEmpty: [409, 'the bucket is not empty'],
  SlowDown: [503, 'the storage asks to slow down; retry in a moment'],
  ServiceUnavailable: [503, 'the storage is unavailable; retry in a moment']
};

/** Names that mean temporary keys died: the caller drops them and asks STS again. */
export const EXPIRED_KEY_NAMES = new Set([
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidToken'
]);

/**
 * Turn whatever an S3 call threw into a DataError.
 *
 * @param err - an SDK ServiceException, a network error, a DataError.
 * @param what - what was being done, for the sentence ("listing the bucket").
 */
export function storageError(err: unknown, what: string): DataError {
  if (err instanceof DataError) {
    return err;
  }
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (EXPIRED_KEY_NAMES.has(name)) {
    return new DataError(403, LOGIN_AGAIN);
  }
  const known = BY_NAME[name];
  if (known) {
    return new DataError(known[0], `${what}: ${known[1]}`);
  }
  if (name === 'TimeoutError' || e?.code === 'ETIMEDOUT') {
    return new DataError(504, `${what}: the storage did not answer in time`);
  }
  if (
    e?.code &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(
      e.code
    )
  ) {
    return new DataError(
      502,
      `${what}: the storage could not be reached (${e.code})`
    );
  }
  if (status === 403) {
    return new DataError(403, `${what}: the storage refused access`);
  }
  if (status === 404) {
    return new DataError(404, `${what}: not found`);
  }
  if (status && status >= 400 && status < 500) {
    return new DataError(
      400,
      `${what}: the storage refused the request (${name || status})`
    );
  }
  return new DataError(
    502,
    `${what}: the storage failed (${name || status || 'no answer'})`
  );
}
