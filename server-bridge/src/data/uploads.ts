/**
 * Multipart uploads: started and completed by the bridge, parts sent either by the browser
 * straight to storage (pre-signed part URLs; needs CORS exposing ETag) or through the bridge in
 * bounded parts. Resumable: the parts S3 holds are the truth (ListParts).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetBucketCorsCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
  type CompletedPart
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  DataUploadCompleteRequest,
  DataUploadCompleteResponse,
  DataUploadCreateRequest,
  DataUploadCreateResponse,
  DataUploadPart,
  DataUploadPartsRequest,
  DataUploadPartsResponse,
  DataUploadStatus
} from '../schema-types';
import { browserUploadProblem } from './cors';
import type { IEndpoint } from './endpoint';
import { DataError, storageError } from './errors';
import { checkKey, shortKey } from './keys';
import { bareEtag } from './s3';

/** S3's limits. */
export const MAX_PARTS = 10000;
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** The largest part the bridge takes through itself (Jupyter's proxy buffers whole bodies). */
export const MAX_BRIDGE_PART_BYTES = 64 * 1024 * 1024;

/**
 * The part size for a file: the configured one, grown (in whole MiB) until the file fits in
 * S3's 10,000 parts.
 */
export function choosePartSize(size: number, configured: number): number {
  const mib = 1024 * 1024;
  let part = Math.max(configured, MIN_PART_BYTES);
  if (Math.ceil(size / part) > MAX_PARTS) {
    part = Math.ceil(size / MAX_PARTS / mib) * mib;
  }
  return part;
}

interface IUploadRecord {
  endpoint: string;
  bucket: string;
  key: string;
  size: number;
  partSize: number;
  partCount: number;
}

/** The uploads the bridge started (for bounds on bridge-mode parts). */
export class Uploads {
  constructor(private readonly _partSizeBytes: number) {}

  /** Start an upload and choose how its parts travel. */
  async create(
    endpoint: IEndpoint,
    request: DataUploadCreateRequest,
    origin: string | undefined
  ): Promise<DataUploadCreateResponse> {
    endpoint.checkBucket(request.bucket);
    checkKey(request.key);
    const partSize = choosePartSize(request.size, this._partSizeBytes);
    const partCount = Math.max(1, Math.ceil(request.size / partSize));
    let mode: 'browser' | 'bridge' = 'bridge';
    let modeReason: string | undefined;
    if (endpoint.config.browserUploads === 'never') {
      modeReason = 'browser uploads are turned off for this endpoint';
    } else if (request.mode === 'bridge') {
      modeReason = 'asked for';
    } else {
      modeReason = await this._corsProblem(
        endpoint,
        request.bucket,
        endpoint.config.origin ?? origin
      );
      mode = modeReason ? 'bridge' : 'browser';
    }
    if (mode === 'bridge' && partSize > MAX_BRIDGE_PART_BYTES) {
      throw new DataError(
        400,
        `the file is too large to upload through the bridge (${partCount} parts of more than ${MAX_BRIDGE_PART_BYTES} bytes); ${modeReason ?? ''}`
      );
    }
    let uploadId: string;
    try {
      const out = await endpoint.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: request.bucket,
          Key: request.key,
          ContentType: request.contentType || undefined
        })
      );
      uploadId = out.UploadId ?? '';
    } catch (err) {
      throw storageError(
        err,
        `starting the upload of "${shortKey(request.key)}"`
      );
    }
    this._records.set(uploadId, {
      endpoint: endpoint.config.id,
      bucket: request.bucket,
      key: request.key,
      size: request.size,
      partSize,
      partCount
    });
    return {
      uploadId,
      bucket: request.bucket,
      key: request.key,
      mode,
      ...(mode === 'bridge' && modeReason ? { modeReason } : {}),
      partSize,
      partCount
    };
  }

  /** Pre-signed URLs for some parts (browser mode). */
  async partUrls(
    endpoint: IEndpoint,
    uploadId: string,
    request: DataUploadPartsRequest,
    now = Date.now()
  ): Promise<DataUploadPartsResponse> {
    endpoint.checkBucket(request.bucket);
    checkKey(request.key);
    const keys = await endpoint.credentials.get();
    let seconds = request.expiresSeconds ?? 3600;
    if (keys?.expiresAt) {
      seconds = Math.max(
        1,
        Math.min(seconds, Math.floor((keys.expiresAt - now) / 1000) - 30)
      );
    }
    try {
      const parts = await Promise.all(
        request.partNumbers.map(async partNumber => ({
          partNumber,
          url: await getSignedUrl(
            endpoint.presigner,
            new UploadPartCommand({
              Bucket: request.bucket,
              Key: request.key,
              UploadId: uploadId,
              PartNumber: partNumber
            }),
            { expiresIn: seconds, signingDate: new Date(now) }
          )
        }))
      );
      return { parts, expiresAt: now + seconds * 1000 };
    } catch (err) {
      throw storageError(err, 'signing the part URLs');
    }
  }

  /** Send one part through the bridge (bridge mode). */
  async putPart(
    endpoint: IEndpoint,
    uploadId: string,
    bucket: string,
    key: string,
    partNumber: number,
    body: Buffer
  ): Promise<DataUploadStatus> {
    endpoint.checkBucket(bucket);
    checkKey(key);
    if (
      !Number.isInteger(partNumber) ||
      partNumber < 1 ||
      partNumber > MAX_PARTS
    ) {
      throw new DataError(400, `the part number must be 1 to ${MAX_PARTS}`);
    }
    const record = this._records.get(uploadId);
    if (record) {
      if (record.bucket !== bucket || record.key !== key) {
        throw new DataError(400, 'this upload is for another object');
      }
      if (partNumber > record.partCount) {
        throw new DataError(400, `this upload has ${record.partCount} parts`);
      }
      const expected =
        partNumber < record.partCount
          ? record.partSize
          : record.size - record.partSize * (record.partCount - 1);
      if (body.length !== expected) {
        throw new DataError(
          400,
          `part ${partNumber} must be ${expected} bytes, not ${body.length}`
        );
      }
    }
    try {
      const out = await endpoint.s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length
        })
      );
      return {
        uploadId,
        bucket,
        key,
        parts: [{ partNumber, etag: bareEtag(out.ETag), size: body.length }]
      };
    } catch (err) {
      throw storageError(err, `uploading part ${partNumber}`);
    }
  }

  /** The parts stored so far. */
  async status(
    endpoint: IEndpoint,
    uploadId: string,
    bucket: string,
    key: string
  ): Promise<DataUploadStatus> {
    endpoint.checkBucket(bucket);
    return {
      uploadId,
      bucket,
      key,
      parts: await this._listParts(endpoint, uploadId, bucket, key)
    };
  }

  /** Complete, then HEAD for the real ETag (RGW 16 answers an empty one to the completion). */
  async complete(
    endpoint: IEndpoint,
    uploadId: string,
    request: DataUploadCompleteRequest
  ): Promise<DataUploadCompleteResponse> {
    endpoint.checkBucket(request.bucket);
    checkKey(request.key);
    const parts: DataUploadPart[] =
      request.parts ??
      (await this._listParts(endpoint, uploadId, request.bucket, request.key));
    if (parts.length === 0) {
      throw new DataError(400, 'no part has been uploaded');
    }
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const completed: CompletedPart[] = sorted.map(p => ({
      PartNumber: p.partNumber,
      ETag: `"${bareEtag(p.etag)}"`
    }));
    try {
      await endpoint.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: request.bucket,
          Key: request.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed }
        })
      );
      this._records.delete(uploadId);
      const head = await endpoint.s3.send(
        new HeadObjectCommand({ Bucket: request.bucket, Key: request.key })
      );
      return {
        bucket: request.bucket,
        key: request.key,
        etag: bareEtag(head.ETag),
        size: head.ContentLength ?? 0
      };
    } catch (err) {
      throw storageError(
        err,
        `completing the upload of "${shortKey(request.key)}"`
      );
    }
  }

  /** Abort and free the stored parts. */
  async abort(
    endpoint: IEndpoint,
    uploadId: string,
    bucket: string,
    key: string
  ): Promise<void> {
    endpoint.checkBucket(bucket);
    try {
      await endpoint.s3.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId
        })
      );
      this._records.delete(uploadId);
    } catch (err) {
      throw storageError(err, 'aborting the upload');
    }
  }

  private async _listParts(
    endpoint: IEndpoint,
    uploadId: string,
    bucket: string,
    key: string
  ): Promise<DataUploadPart[]> {
    const parts: DataUploadPart[] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const out = await endpoint.s3.send(
          new ListPartsCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumberMarker: marker
          })
        );
        for (const p of out.Parts ?? []) {
          parts.push({
            partNumber: p.PartNumber ?? 0,
            etag: bareEtag(p.ETag),
            size: p.Size ?? 0
          });
        }
        if (!out.IsTruncated || !out.NextPartNumberMarker) {
          return parts;
        }
        marker = out.NextPartNumberMarker;
      }
    } catch (err) {
      throw storageError(err, 'listing the uploaded parts');
    }
  }

  private async _corsProblem(
    endpoint: IEndpoint,
    bucket: string,
    origin: string | undefined
  ): Promise<string | undefined> {
    try {
      const out = await endpoint.s3.send(
        new GetBucketCorsCommand({ Bucket: bucket })
      );
      return browserUploadProblem(out.CORSRules, origin);
    } catch (err) {
      const name = (err as { name?: string })?.name;
      if (name === 'NoSuchCORSConfiguration') {
        return browserUploadProblem(undefined, origin);
      }
      return `the bucket CORS rules could not be read (${name ?? 'error'})`;
    }
  }

  private readonly _records = new Map<string, IUploadRecord>();
}
