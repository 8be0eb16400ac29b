/**
 * Browsing: buckets, one page of a listing (folders and objects), an object's details.
 */
import {
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command
} from '@aws-sdk/client-s3';
import type {
  DataBucketsResponse,
  DataObjectDetails,
  DataObjectsQuery,
  DataObjectsResponse
} from '../schema-types';
import type { IEndpoint } from './endpoint';
import { storageError } from './errors';
import { checkKey, hasDotSegments, shortKey } from './keys';
import { bareEtag } from './s3';

/** Buckets: the allow-list when configured, else ListBuckets. */
export async function listBuckets(
  endpoint: IEndpoint
): Promise<DataBucketsResponse> {
  if (endpoint.config.buckets) {
    return {
      buckets: endpoint.config.buckets.map(name => ({ name })),
      fromConfig: true
    };
  }
  try {
    const out = await endpoint.s3.send(new ListBucketsCommand({}));
    return {
      buckets: (out.Buckets ?? []).map(b => ({
        name: b.Name ?? '',
        ...(b.CreationDate ? { creationDate: b.CreationDate.getTime() } : {})
      })),
      fromConfig: false
    };
  } catch (err) {
    throw storageError(err, 'listing the buckets');
  }
}

/** One page of a listing. */
export async function listObjects(
  endpoint: IEndpoint,
  query: DataObjectsQuery
): Promise<DataObjectsResponse> {
  endpoint.checkBucket(query.bucket);
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter ?? '/';
  try {
    const out = await endpoint.s3.send(
      new ListObjectsV2Command({
        Bucket: query.bucket,
        Prefix: prefix || undefined,
        Delimiter: delimiter || undefined,
        ContinuationToken: query.continuationToken || undefined,
        MaxKeys: query.maxKeys ?? 1000
      })
    );
    return {
      bucket: query.bucket,
      prefix,
      delimiter,
      prefixes: (out.CommonPrefixes ?? []).map(p => p.Prefix ?? ''),
      objects: (out.Contents ?? []).map(o => ({
        key: o.Key ?? '',
        size: o.Size ?? 0,
        lastModified: o.LastModified?.getTime() ?? 0,
        etag: bareEtag(o.ETag),
        ...(o.StorageClass ? { storageClass: o.StorageClass } : {})
      })),
      ...(out.IsTruncated && out.NextContinuationToken
        ? { nextContinuationToken: out.NextContinuationToken }
        : {})
    };
  } catch (err) {
    throw storageError(err, `listing the bucket "${query.bucket}"`);
  }
}

/** An object's HEAD. */
export async function objectDetails(
  endpoint: IEndpoint,
  bucket: string,
  key: string
): Promise<DataObjectDetails> {
  endpoint.checkBucket(bucket);
  checkKey(key);
  try {
    const out = await endpoint.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key })
    );
    const etag = bareEtag(out.ETag);
    const parts = /-(\d+)$/.exec(etag);
    return {
      bucket,
      key,
      size: out.ContentLength ?? 0,
      lastModified: out.LastModified?.getTime() ?? 0,
      etag,
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
      ...(out.StorageClass ? { storageClass: out.StorageClass } : {}),
      ...(parts ? { partsCount: Number(parts[1]) } : {}),
      metadata: Object.fromEntries(
        Object.entries(out.Metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v])
      ),
      presignable: !hasDotSegments(key)
    };
  } catch (err) {
    throw storageError(err, `reading "${shortKey(key)}"`);
  }
}
