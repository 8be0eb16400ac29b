/**
 * Calls back to the Jupyter server extension, for what only Jupyter knows (docs/protocol.md,
 * "Calls back to the Jupyter server").
 */
import { createHmac } from 'node:crypto';
import { describeAjvError, validators } from '../schemas';
import type { KernelsResponse } from '../schema-types';

/** The Jupyter server, as the bridge sees it. */
export interface IJupyterClient {
  /** The running kernels, their pids and the notebooks they serve. */
  listKernels(): Promise<KernelsResponse>;
}

/** A call back to Jupyter failed: unreachable, timed out, refused or answered nonsense. */
export class JupyterCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JupyterCallError';
  }
}

/** The `X-Mlinfn-Bridge-Auth` header: `<unix seconds>.<hex HMAC_SHA256(secret, "bridge:" + seconds)>`. */
export function bridgeAuthHeader(secret: Buffer, nowSeconds: number): string {
  const seconds = String(Math.floor(nowSeconds));
  const mac = createHmac('sha256', secret)
    .update(`bridge:${seconds}`)
    .digest('hex');
  return `${seconds}.${mac}`;
}

/**
 * Make a client for the Jupyter server.
 *
 * @param serverUrl - `MLINFN_SERVER_URL`: the server's URL with its base URL, ending in `/`.
 * @param secret - the signing secret shared with the server extension.
 * @param timeoutMs - how long one call may take.
 */
export function createJupyterClient(
  serverUrl: string,
  secret: Buffer,
  timeoutMs = 5000
): IJupyterClient {
  const base = serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`;
  return {
    async listKernels() {
      const url = `${base}mlinfn/bridge/kernels`;
      let response: Response;
      try {
        response = await fetch(url, {
          headers: {
            'X-Mlinfn-Bridge-Auth': bridgeAuthHeader(secret, Date.now() / 1000),
            Accept: 'application/json'
          },
          signal: AbortSignal.timeout(timeoutMs)
        });
      } catch (err) {
        const name = (err as Error).name;
        throw new JupyterCallError(
          name === 'TimeoutError'
            ? `Jupyter did not answer within ${timeoutMs} ms`
            : `cannot reach Jupyter: ${(err as Error).message}`
        );
      }
      if (!response.ok) {
        throw new JupyterCallError(
          `Jupyter answered ${response.status} for ${url}`
        );
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new JupyterCallError(
          'Jupyter answered something that is not JSON'
        );
      }
      if (!validators.kernels(body)) {
        throw new JupyterCallError(
          `Jupyter's kernel list is invalid: ${describeAjvError(validators.kernels.errors, 'the body')}`
        );
      }
      return body;
    }
  };
}
