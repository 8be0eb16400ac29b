/**
 * Pre-signed GET and PUT URLs for the endpoint's public URL, with their real expiry.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DataPresignRequest, DataPresignResponse } from '../schema-types';
import type { IEndpoint } from './endpoint';
import { DataError, storageError } from './errors';
import { checkPresignable } from './keys';
import { capExpiry } from './presign-expiry';

/** Sign a URL. */
export async function presign(
  endpoint: IEndpoint,
  request: DataPresignRequest,
  now = Date.now()
): Promise<DataPresignResponse> {
  endpoint.checkBucket(request.bucket);
  checkPresignable(request.key);
  const useLink = endpoint.linkPresigner !== undefined;
  const source = useLink ? endpoint.linkCredentials! : endpoint.credentials;
  const keys = await source.get();
  if (!keys) {
    throw new DataError(
      400,
      'this endpoint is anonymous: its objects are reached without a signature'
    );
  }
  const { seconds, cappedBy } = capExpiry(request.expiresSeconds, {
    nowMs: now,
    configMaxSeconds: endpoint.config.linkMaxSeconds,
    credentialsExpireAt: keys.expiresAt
  });
  const command =
    request.method === 'GET'
      ? new GetObjectCommand({ Bucket: request.bucket, Key: request.key })
      : new PutObjectCommand({
          Bucket: request.bucket,
          Key: request.key,
          ContentType: request.contentType
        });
  let url: string;
  try {
    url = await getSignedUrl(
      useLink ? endpoint.linkPresigner! : endpoint.presigner,
      command,
      { expiresIn: seconds, signingDate: new Date(now) }
    );
  } catch (err) {
    throw storageError(err, 'signing the URL');
  }
  return {
    url,
    method: request.method,
    expiresAt: now + seconds * 1000,
    expiresSeconds: seconds,
    ...(cappedBy ? { cappedBy } : {}),
    signedWith: useLink ? 'link' : 'session'
  };
}
