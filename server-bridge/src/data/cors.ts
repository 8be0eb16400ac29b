/**
 * Whether a bucket's CORS rules let a browser on `origin` PUT parts straight to storage and
 * read each answer's ETag (needed to complete a multipart upload). The browser PUTs a bare
 * slice (no extra request headers), so AllowedHeaders does not matter.
 */
import type { CORSRule } from '@aws-sdk/client-s3';

/** Whether a rule's origin pattern (at most one `*`, as S3 allows) matches. */
export function originMatches(pattern: string, origin: string): boolean {
  if (pattern === '*') {
    return true;
  }
  const star = pattern.indexOf('*');
  if (star < 0) {
    return pattern.toLowerCase() === origin.toLowerCase();
  }
  const head = pattern.slice(0, star).toLowerCase();
  const tail = pattern.slice(star + 1).toLowerCase();
  const o = origin.toLowerCase();
  return (
    o.length >= head.length + tail.length &&
    o.startsWith(head) &&
    o.endsWith(tail)
  );
}

/** The reason browser uploads cannot work, or undefined when they can. */
export function browserUploadProblem(
  rules: CORSRule[] | undefined,
  origin: string | undefined
): string | undefined {
  if (!origin) {
    return 'the browser origin is unknown, so the bucket CORS rules cannot be checked';
  }
  if (!rules || rules.length === 0) {
    return 'the bucket has no CORS rules';
  }
  const put = rules.filter(
    r =>
      (r.AllowedMethods ?? []).some(m => m.toUpperCase() === 'PUT') &&
      (r.AllowedOrigins ?? []).some(o => originMatches(o, origin))
  );
  if (put.length === 0) {
    return `the bucket CORS rules do not allow PUT from ${origin}`;
  }
  // S3 applies the first matching rule.
  const exposes = (put[0].ExposeHeaders ?? []).some(
    h => h.toLowerCase() === 'etag' || h === '*'
  );
  if (!exposes) {
    return 'the bucket CORS rules do not expose the ETag header';
  }
  return undefined;
}
