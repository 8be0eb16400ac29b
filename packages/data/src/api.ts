import type {
  DataBucketsResponse,
  DataCacheResponse,
  DataEndpointsResponse,
  DataMountsResponse,
  DataObjectDetails,
  DataObjectsQuery,
  DataObjectsResponse,
  DataPresignRequest,
  DataPresignResponse,
  DataStageEntry,
  DataStageRequest,
  DataUploadCompleteRequest,
  DataUploadCompleteResponse,
  DataUploadCreateRequest,
  DataUploadCreateResponse,
  DataUploadPartsRequest,
  DataUploadPartsResponse,
  DataUploadStatus,
  IBridgeClient
} from '@mlinfn/common';

/**
 * The bridge's data REST API (docs/data.md), one method per route. Every call goes through
 * the bridge client (tickets, Jupyter's auth); failures reject with a `BridgeError`.
 */
export class DataApi {
  /**
   * Create the API on a bridge client.
   */
  constructor(client: Pick<IBridgeClient, 'request'>) {
    this._client = client;
  }

  /**
   * The configured endpoints and the state of their credentials.
   */
  endpoints(): Promise<DataEndpointsResponse> {
    return this._get('api/data/endpoints');
  }

  /**
   * The buckets of an endpoint (its allow-list, or ListBuckets).
   */
  buckets(endpoint: string): Promise<DataBucketsResponse> {
    return this._get(`${Private.endpoint(endpoint)}/buckets`);
  }

  /**
   * One page of a listing.
   */
  objects(
    endpoint: string,
    query: DataObjectsQuery
  ): Promise<DataObjectsResponse> {
    return this._get(`${Private.endpoint(endpoint)}/objects`, query);
  }

  /**
   * One object's details (its HEAD).
   */
  object(
    endpoint: string,
    bucket: string,
    key: string
  ): Promise<DataObjectDetails> {
    return this._get(`${Private.endpoint(endpoint)}/object`, { bucket, key });
  }

  /**
   * A pre-signed GET or PUT URL and its real expiry.
   */
  presign(
    endpoint: string,
    body: DataPresignRequest
  ): Promise<DataPresignResponse> {
    return this._post(`${Private.endpoint(endpoint)}/presign`, body);
  }

  /**
   * Start a multipart upload; the answer says how to send the parts.
   */
  createUpload(
    endpoint: string,
    body: DataUploadCreateRequest
  ): Promise<DataUploadCreateResponse> {
    return this._post(`${Private.endpoint(endpoint)}/uploads`, body);
  }

  /**
   * Pre-signed URLs for some parts (browser mode).
   */
  signParts(
    endpoint: string,
    uploadId: string,
    body: DataUploadPartsRequest
  ): Promise<DataUploadPartsResponse> {
    return this._post(`${Private.upload(endpoint, uploadId)}/parts`, body);
  }

  /**
   * Send one part through the bridge (bridge mode). The body is a slice of the file: the
   * whole file is never read into memory.
   */
  putPart(
    endpoint: string,
    uploadId: string,
    partNumber: number,
    bucket: string,
    key: string,
    body: Blob
  ): Promise<DataUploadStatus> {
    const url = Private.withQuery(
      `${Private.upload(endpoint, uploadId)}/parts/${partNumber}`,
      { bucket, key }
    );
    return this._request<DataUploadStatus>(url, {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'application/octet-stream' }
    });
  }

  /**
   * The parts S3 already holds (to resume).
   */
  uploadStatus(
    endpoint: string,
    uploadId: string,
    bucket: string,
    key: string
  ): Promise<DataUploadStatus> {
    return this._get(Private.upload(endpoint, uploadId), { bucket, key });
  }

  /**
   * Complete an upload.
   */
  completeUpload(
    endpoint: string,
    uploadId: string,
    body: DataUploadCompleteRequest
  ): Promise<DataUploadCompleteResponse> {
    return this._post(`${Private.upload(endpoint, uploadId)}/complete`, body);
  }

  /**
   * Abort an upload (S3 drops its parts).
   */
  abortUpload(
    endpoint: string,
    uploadId: string,
    bucket: string,
    key: string
  ): Promise<void> {
    return this._request<void>(
      Private.withQuery(Private.upload(endpoint, uploadId), { bucket, key }),
      { method: 'DELETE' }
    );
  }

  /**
   * Stage an object into the local cache (progress on the `data` channel).
   */
  stage(body: DataStageRequest): Promise<DataStageEntry> {
    return this._post('api/data/stage', body);
  }

  /**
   * What the cache holds.
   */
  cache(): Promise<DataCacheResponse> {
    return this._get('api/data/cache');
  }

  /**
   * Remove an entry from the cache.
   */
  removeCached(id: string): Promise<void> {
    return this._request<void>(`api/data/cache/${encodeURIComponent(id)}`, {
      method: 'DELETE'
    });
  }

  /**
   * The mounts, their health and the configured CVMFS repositories.
   */
  mounts(): Promise<DataMountsResponse> {
    return this._get('api/data/mounts');
  }

  private _get<T>(path: string, query?: object): Promise<T> {
    return this._request<T>(query ? Private.withQuery(path, query) : path);
  }

  private _post<T>(path: string, body: object): Promise<T> {
    return this._request<T>(path, {
      method: 'POST',
      body: JSON.stringify(body)
    });
  }

  private _request<T>(path: string, init: RequestInit = {}): Promise<T> {
    // 'no-cache' still asks the bridge every time, but stops ServerConnection from appending
    // its `?<timestamp>` cache buster (it does for 'no-store'), which the bridge's strict
    // query schemas refuse.
    if (init.method === 'DELETE') {
      // ServerConnection labels a request without a type as JSON, and the bridge (fastify)
      // answers 400 to an empty JSON body, while jupyter-server-proxy refuses a DELETE with a
      // body: label the empty body as bytes, which the bridge reads as nothing.
      init = {
        ...init,
        headers: { 'Content-Type': 'application/octet-stream' }
      };
    }
    return this._client.request<T>(path, { ...init, cache: 'no-cache' });
  }

  private _client: Pick<IBridgeClient, 'request'>;
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The path of an endpoint's routes.
   */
  export function endpoint(id: string): string {
    return `api/data/endpoints/${encodeURIComponent(id)}`;
  }

  /**
   * The path of an upload.
   */
  export function upload(id: string, uploadId: string): string {
    return `${endpoint(id)}/uploads/${encodeURIComponent(uploadId)}`;
  }

  /**
   * A path with a query string of the defined values.
   */
  export function withQuery(path: string, query: object): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) {
        params.set(name, String(value));
      }
    }
    const text = params.toString();
    return text ? `${path}?${text}` : path;
  }
}
