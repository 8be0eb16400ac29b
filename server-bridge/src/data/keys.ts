/**
 * Checks on the bucket names and object keys clients send. S3 keys are not paths: `../`,
 * spaces and unicode are legal and work for browsing, uploads and staging (nothing here ever
 * makes a key into a local path). Only pre-signing refuses `.`/`..` segments, because URL
 * normalisation (browsers, proxies, curl) rewrites them and the signature no longer matches.
 */
import { DataError } from './errors';

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** The problem with a key, in one sentence, or undefined when it is usable. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) {
    return 'the key is empty';
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return `the key is longer than S3 allows (${MAX_KEY_BYTES} bytes of UTF-8)`;
  }
  // A lone surrogate has no UTF-8 form: the key would silently change on the wire.
  if (LONE_SURROGATE.test(key)) {
    return 'the key is not valid Unicode';
  }
  // XML 1.0 (every S3 listing) cannot carry most control characters.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(key)) {
    return 'the key holds control characters, which S3 listings cannot carry';
  }
  return undefined;
}

/** Throw a 400 when a key cannot be used at all. */
export function checkKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) {
    throw new DataError(400, problem);
  }
}

/** Whether a key has `.` or `..` path segments (which URL normalisation rewrites). */
export function hasDotSegments(key: string): boolean {
  return key.split('/').some(segment => segment === '.' || segment === '..');
}

/** Throw a 400 when a key cannot be pre-signed. */
export function checkPresignable(key: string): void {
  checkKey(key);
  if (hasDotSegments(key)) {
    throw new DataError(
      400,
      'a key with "." or ".." path segments cannot be shared by a pre-signed URL: browsers and proxies rewrite such URLs, which breaks the signature (rename the object, or stage it instead)'
    );
  }
}

/** A key as it appears in a sentence: long ones shortened. */
export function shortKey(key: string): string {
  return key.length > 80 ? `${key.slice(0, 40)}…${key.slice(-30)}` : key;
}
