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
  | { kind: 'multipart-md5'; etag: string; parts: number; partSize: number }
  | { kind: 'sha256'; sha256: string }
  | { kind: 'none' };

/**
 * What to check, from the object's ETag and metadata.
 *
 * @param partSize - the first part's size of a multipart object (HeadObject PartNumber=1),
 *   when known.
 */
export function expectationFor(
  etag: string,
  size: number,
  metadata: Record<string, string>,
  partSize?: number
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
  if (multi && partSize && partSize > 0) {
    const parts = Number(multi[1]);
    const last = size - partSize * (parts - 1);
    // Only a uniform layout (every part but the last of partSize) can be recomputed.
    if (parts >= 1 && last > 0 && last <= partSize) {
      return { kind: 'multipart-md5', etag: e, parts, partSize };
    }
  }
  return { kind: 'none' };
}

/** Hashes bytes fed in order and says whether they match. */
export class Verifier {
  constructor(readonly expectation: Expectation) {
    if (expectation.kind === 'sha256') {
      this._hash = createHash('sha256');
    } else if (expectation.kind !== 'none') {
      this._hash = createHash('md5');
    }
  }

  /** How the result was checked. */
  get method(): NonNullable<DataStageEntry['verified']> {
    return this.expectation.kind;
  }

  /** The next bytes of the object. */
  update(bytes: Uint8Array): void {
    if (!this._hash) {
      return;
    }
    const e = this.expectation;
    if (e.kind !== 'multipart-md5') {
      this._hash.update(bytes);
      return;
    }
    let offset = 0;
    while (offset < bytes.length) {
      const room = e.partSize - this._inPart;
      const take = Math.min(room, bytes.length - offset);
      this._hash.update(bytes.subarray(offset, offset + take));
      this._inPart += take;
      offset += take;
      if (this._inPart === e.partSize) {
        this._closePart();
      }
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
        if (this._inPart > 0) {
          this._closePart();
        }
        const got = `${createHash('md5').update(Buffer.concat(this._digests)).digest('hex')}-${
          this._digests.length
        }`;
        return got === e.etag
          ? undefined
          : `the parts' MD5s give ${got}, not the ETag ${e.etag}`;
      }
    }
  }

  private _closePart(): void {
    this._digests.push(this._hash!.digest());
    this._hash = createHash('md5');
    this._inPart = 0;
  }

  private _hash: Hash | undefined;
  private _inPart = 0;
  private readonly _digests: Buffer[] = [];
}
