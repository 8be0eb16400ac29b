/**
 * PUT a body to a pre-signed URL and resolve with the ETag S3 answers.
 */
export type PutToUrl = (
  url: string,
  body: Blob,
  options: {
    /** Called with the bytes sent so far. */
    onProgress?: (sent: number) => void;
    /** Aborts the request. */
    signal?: AbortSignal;
  }
) => Promise<string>;

/**
 * PUT with `XMLHttpRequest`, the one browser API that reports upload progress.
 *
 * The ETag header is readable only when the bucket's CORS exposes it; the bridge checks that
 * before it offers browser mode, so a missing ETag here is an error, not a silent success.
 */
export const putToUrl: PutToUrl = (url, body, options) =>
  new Promise<string>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = event => options.onProgress?.(event.loaded);
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(
          new Error(
            `Storage refused a part (HTTP ${xhr.status}): ${Private.s3Code(xhr.responseText)}`
          )
        );
        return;
      }
      const etag = xhr.getResponseHeader('ETag');
      if (!etag) {
        reject(
          new Error(
            "Storage did not show the part's ETag: the bucket's CORS rules must expose the ETag header."
          )
        );
        return;
      }
      resolve(etag);
    };
    xhr.onerror = () =>
      reject(
        new Error('The connection to storage failed while sending a part.')
      );
    xhr.onabort = () => reject(new Error('The part was cancelled.'));
    options.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(body);
  });

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The `<Code>` of an S3 XML error, or a short excerpt.
   */
  export function s3Code(text: string): string {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    return code ?? (text.slice(0, 120) || 'no details');
  }
}
