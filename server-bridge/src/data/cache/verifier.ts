/**
 * Checking a staged copy against what the storage says about the object: the MD5 of a
 * single-part upload's ETag, the `md5-of-md5s-N` of a multipart upload's ETag (part boundaries
 * from the object's part layout), or a stored SHA-256. The digests themselves are computed in
 * the worker threads (range-worker.ts); this judges them.
 */
import { createHash } from 'node:crypto';

/** What the copy is checked against. */
export type Expectation =
  | { kind: 'md5'; md5: string }
  | { kind: 'multipart-md5'; etag: string; parts: number; partSizes: number[] }
  | { kind: 'sha256'; sha256: string }
  | { kind: 'none' };

const MiB = 1024 * 1024;
/** Part sizes uploaders commonly use (aws cli and boto3: 8 MiB; S3's minimum: 5 MiB...). */
const COMMON_PART_MIB = [8, 5, 16, 10, 15, 32, 50, 64, 100, 128, 256, 512];
/** Most layouts hashed at once (each costs one MD5 pass over the bytes). */
const MAX_CANDIDATES = 4;

/**
 * The part sizes a multipart object of `size` bytes in `parts` parts may have been uploaded
 * with. The first part's size (HeadObject PartNumber=1) settles it where the server supports
 * that (AWS, MinIO); Ceph RGW ignores PartNumber (it answers the whole object), so common
 * sizes that give exactly `parts` parts are tried instead.
 */
export function partSizeCandidates(
  size: number,
  parts: number,
  firstPart?: number
): number[] {
  const fits = (p: number) =>
    p > 0 && Math.ceil(size / p) === parts && size - p * (parts - 1) <= p;
  if (firstPart !== undefined && firstPart < size && fits(firstPart)) {
    return [firstPart];
  }
  const candidates = [
    ...COMMON_PART_MIB.map(m => m * MiB),
    Math.ceil(size / parts / MiB) * MiB,
    Math.ceil(size / parts)
  ];
  return [...new Set(candidates.filter(fits))].slice(0, MAX_CANDIDATES);
}

/**
 * What to check, from the object's ETag and metadata.
 *
 * @param firstPart - the first part's size of a multipart object, when the server said.
 */
export function expectationFor(
  etag: string,
  size: number,
  metadata: Record<string, string>,
  firstPart?: number
): Expectation {
  const sha = (
    metadata['sha256'] ??
    metadata['x-amz-meta-sha256'] ??
    ''
  ).toLowerCase();
  if (/^[0-9a-f]{64}$/.test(sha)) {
    return { kind: 'sha256', sha256: sha };
  }
  const e = etag.toLowerCase();
  if (/^[0-9a-f]{32}$/.test(e)) {
    return { kind: 'md5', md5: e };
  }
  const multi = /^[0-9a-f]{32}-(\d+)$/.exec(e);
  if (multi) {
    const parts = Number(multi[1]);
    const partSizes = partSizeCandidates(size, parts, firstPart);
    if (partSizes.length > 0) {
      return { kind: 'multipart-md5', etag: e, parts, partSizes };
    }
  }
  return { kind: 'none' };
}

/** What the worker threads computed over the staged bytes. */
export interface IDigests {
  /** The MD5 or SHA-256 (hex) of the whole copy. */
  plain?: string;
  /** For each of the expectation's part sizes, the MD5 (hex) of every part, in order. */
  layouts?: string[][];
}

/** The ETag of a multipart upload with these part MD5s (hex): `md5(md5s)-N`. */
export function multipartEtag(partMd5s: string[]): string {
  const all = createHash('md5');
  for (const hex of partMd5s.length > 0 ? partMd5s : [EMPTY_MD5]) {
    all.update(Buffer.from(hex, 'hex'));
  }
  return `${all.digest('hex')}-${Math.max(1, partMd5s.length)}`;
}

const EMPTY_MD5 = createHash('md5').digest('hex');

/** The mismatch in words, or undefined when the copy is right. */
export function verdict(
  expectation: Expectation,
  digests: IDigests
): string | undefined {
  const e = expectation;
  switch (e.kind) {
    case 'none':
      return undefined;
    case 'md5':
      return digests.plain === e.md5
        ? undefined
        : `MD5 ${digests.plain} does not match the ETag ${e.md5}`;
    case 'sha256':
      return digests.plain === e.sha256
        ? undefined
        : `SHA-256 ${digests.plain} does not match the stored ${e.sha256}`;
    case 'multipart-md5': {
      const got = (digests.layouts ?? []).map(multipartEtag);
      return got.includes(e.etag)
        ? undefined
        : `the parts' MD5s (${got.join(', ')}) do not give the ETag ${e.etag}`;
    }
  }
}
