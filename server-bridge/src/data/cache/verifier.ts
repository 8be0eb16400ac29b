/**
 * Checking a staged copy against what the storage says about the object, fed the bytes in
 * order: the MD5 of a single-part upload's ETag, the `md5-of-md5s-N` of a multipart upload's
 * ETag (part boundaries from the object's part layout), or a stored SHA-256.
 */
import { createHash, Hash } from 'node:crypto';
import type { DataStageEntry } from '../../schema-types';

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

/** The md5-of-md5s of bytes fed in order, for one part size. */
class MultipartHash {
  constructor(private readonly _partSize: number) {}

  update(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      const take = Math.min(
        this._partSize - this._inPart,
        bytes.length - offset
      );
      this._hash.update(bytes.subarray(offset, offset + take));
      this._inPart += take;
      offset += take;
      if (this._inPart === this._partSize) {
        this._close();
      }
    }
  }

  digest(): string {
    if (this._inPart > 0 || this._digests.length === 0) {
      this._close();
    }
    const all = createHash('md5').update(Buffer.concat(this._digests));
    return `${all.digest('hex')}-${this._digests.length}`;
  }

  private _close(): void {
    this._digests.push(this._hash.digest());
    this._hash = createHash('md5');
    this._inPart = 0;
  }

  private _hash: Hash = createHash('md5');
  private _inPart = 0;
  private readonly _digests: Buffer[] = [];
}

/** Hashes bytes fed in order and says whether they match. */
export class Verifier {
  constructor(readonly expectation: Expectation) {
    if (expectation.kind === 'sha256') {
      this._hash = createHash('sha256');
    } else if (expectation.kind === 'md5') {
      this._hash = createHash('md5');
    } else if (expectation.kind === 'multipart-md5') {
      this._multipart = expectation.partSizes.map(p => new MultipartHash(p));
    }
  }

  /** How the result was checked. */
  get method(): NonNullable<DataStageEntry['verified']> {
    return this.expectation.kind;
  }

  /** The next bytes of the object. */
  update(bytes: Uint8Array): void {
    this._hash?.update(bytes);
    for (const m of this._multipart) {
      m.update(bytes);
    }
  }

  /** The mismatch in words, or undefined when the copy is right. */
  finish(): string | undefined {
    const e = this.expectation;
    switch (e.kind) {
      case 'none':
        return undefined;
      case 'md5': {
        const got = this._hash!.digest('hex');
        return got === e.md5
          ? undefined
          : `MD5 ${got} does not match the ETag ${e.md5}`;
      }
      case 'sha256': {
        const got = this._hash!.digest('hex');
        return got === e.sha256
          ? undefined
          : `SHA-256 ${got} does not match the stored ${e.sha256}`;
      }
      case 'multipart-md5': {
        const got = this._multipart.map(m => m.digest());
        return got.includes(e.etag)
          ? undefined
          : `the parts' MD5s (${got.join(', ')}) do not give the ETag ${e.etag}`;
      }
    }
  }

  private _hash: Hash | undefined;
  private _multipart: MultipartHash[] = [];
}
