/**
 * The data module's REST routes (docs/data.md): each validates its input against schema/,
 * checks the caller's Jupyter permissions, and answers `{"error", "reason"}` on failure.
 */
import { hasPermission } from '../auth/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { IModuleRoutes } from '../http/app';
import type { BridgeIdentity, DataEndpointsResponse } from '../schema-types';
import type { Stager } from './cache/stager';
import type { IEndpoint } from './endpoint';
import { listBuckets, listObjects, objectDetails } from './browse';
import { DataError, EXPIRED_KEY_NAMES } from './errors';
import type { MountMonitor } from './mounts/monitor';
import { presign } from './presign';
import { MAX_BRIDGE_PART_BYTES, Uploads } from './uploads';
import { dataValidators as v } from './validators';

export interface IDataRouteDeps {
  routes: IModuleRoutes;
  endpoints: Map<string, IEndpoint>;
  uploads: Uploads;
  stager: Stager;
  mounts: MountMonitor;
  logger: Logger;
}

type Need = 'read' | 'write';

/** Register every route. */
export function registerDataRoutes(deps: IDataRouteDeps): void {
  const { routes, endpoints, uploads, stager, mounts, logger } = deps;

  /** Run a handler, turning DataErrors (and anything else) into the bridge's error shape. */
  const guarded =
    (
      need: Need,
      handler: (
        req: FastifyRequest,
        reply: FastifyReply,
        user: BridgeIdentity
      ) => unknown
    ) =>
    async (req: FastifyRequest, reply: FastifyReply, user: BridgeIdentity) => {
      if (!hasPermission(user, 'contents', need)) {
        return routes.fail(
          reply,
          403,
          need === 'write'
            ? 'Your permissions on this server allow reading files, not writing them.'
            : 'Your permissions on this server do not allow reading files.'
        );
      }
      try {
        return await handler(req, reply, user);
      } catch (err) {
        if (err instanceof DataError) {
          return routes.fail(
            reply,
            err.status === 499 ? 409 : err.status,
            err.reason
          );
        }
        logger.error({ err }, 'data: request failed');
        return routes.fail(
          reply,
          500,
          'the bridge failed to answer this request; see its log'
        );
      }
    };

  const endpointOf = (req: FastifyRequest): IEndpoint => {
    const id = (req.params as { endpoint?: string }).endpoint ?? '';
    const endpoint = endpoints.get(id);
    if (!endpoint) {
      throw new DataError(404, `there is no storage endpoint "${id}"`);
    }
    return endpoint;
  };

  /** Drop temporary keys the storage called expired, so the next call asks STS again. */
  const withKeys = async <T>(
    endpoint: IEndpoint,
    work: () => Promise<T>
  ): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      const name = (err as { name?: string })?.name ?? '';
      if (
        EXPIRED_KEY_NAMES.has(name) ||
        (err instanceof DataError && err.status === 403)
      ) {
        endpoint.credentials.invalidate();
      }
      throw err;
    }
  };

  const base = '/api/data/endpoints/:endpoint';

  routes.add(
    'GET',
    '/api/data/endpoints',
    guarded('read', (): DataEndpointsResponse => ({
      endpoints: [...endpoints.values()].map(e => e.describe())
    }))
  );

  routes.add(
    'GET',
    `${base}/buckets`,
    guarded('read', req => {
      const endpoint = endpointOf(req);
      return withKeys(endpoint, () => listBuckets(endpoint));
    })
  );

  routes.add(
    'GET',
    `${base}/objects`,
    guarded('read', (req, reply) => {
      const endpoint = endpointOf(req);
      const query = { ...(req.query as object) };
      if (!routes.check(v.objectsQuery, query, reply, 'the query')) {
        return reply;
      }
      return withKeys(endpoint, () => listObjects(endpoint, query));
    })
  );

  routes.add(
    'GET',
    `${base}/object`,
    guarded('read', (req, reply) => {
      const endpoint = endpointOf(req);
      const query = { ...(req.query as object) };
      if (!routes.check(v.objectQuery, query, reply, 'the query')) {
        return reply;
      }
      return withKeys(endpoint, () =>
        objectDetails(endpoint, query.bucket, query.key)
      );
    })
  );

  routes.add(
    'POST',
    `${base}/presign`,
    guarded('read', (req, reply, user) => {
      const endpoint = endpointOf(req);
      if (!routes.check(v.presignRequest, req.body, reply)) {
        return reply;
      }
      const body = req.body;
      if (body.method === 'PUT' && !hasPermission(user, 'contents', 'write')) {
        throw new DataError(
          403,
          'Your permissions on this server allow reading files, not writing them.'
        );
      }
      return withKeys(endpoint, () => presign(endpoint, body));
    })
  );

  routes.add(
    'POST',
    `${base}/uploads`,
    guarded('write', (req, reply) => {
      const endpoint = endpointOf(req);
      if (!routes.check(v.uploadCreate, req.body, reply)) {
        return reply;
      }
      const body = req.body;
      const origin =
        typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      return withKeys(endpoint, () => uploads.create(endpoint, body, origin));
    })
  );

  routes.add(
    'POST',
    `${base}/uploads/:uploadId/parts`,
    guarded('write', (req, reply) => {
      const endpoint = endpointOf(req);
      if (!routes.check(v.uploadParts, req.body, reply)) {
        return reply;
      }
      const body = req.body;
      return withKeys(endpoint, () =>
        uploads.partUrls(endpoint, uploadIdOf(req), body)
      );
    })
  );

  routes.add(
    'PUT',
    `${base}/uploads/:uploadId/parts/:partNumber`,
    guarded('write', (req, reply) => {
      const endpoint = endpointOf(req);
      const query = { ...(req.query as object) };
      if (!routes.check(v.objectQuery, query, reply, 'the query')) {
        return reply;
      }
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw new DataError(
          400,
          'send the part as a non-empty application/octet-stream body'
        );
      }
      const partNumber = Number(
        (req.params as { partNumber: string }).partNumber
      );
      return withKeys(endpoint, () =>
        uploads.putPart(
          endpoint,
          uploadIdOf(req),
          query.bucket,
          query.key,
          partNumber,
          body
        )
      );
    }),
    { binaryBodyLimit: MAX_BRIDGE_PART_BYTES }
  );

  routes.add(
    'GET',
    `${base}/uploads/:uploadId`,
    guarded('write', (req, reply) => {
      const endpoint = endpointOf(req);
      const query = { ...(req.query as object) };
      if (!routes.check(v.objectQuery, query, reply, 'the query')) {
        return reply;
      }
      return withKeys(endpoint, () =>
        uploads.status(endpoint, uploadIdOf(req), query.bucket, query.key)
      );
    })
  );

  routes.add(
    'POST',
    `${base}/uploads/:uploadId/complete`,
    guarded('write', (req, reply) => {
      const endpoint = endpointOf(req);
      if (!routes.check(v.uploadComplete, req.body, reply)) {
        return reply;
      }
      const body = req.body;
      return withKeys(endpoint, () =>
        uploads.complete(endpoint, uploadIdOf(req), body)
      );
    })
  );

  routes.add(
    'DELETE',
    `${base}/uploads/:uploadId`,
    guarded('write', async (req, reply) => {
      const endpoint = endpointOf(req);
      const query = { ...(req.query as object) };
      if (!routes.check(v.objectQuery, query, reply, 'the query')) {
        return reply;
      }
      await withKeys(endpoint, () =>
        uploads.abort(endpoint, uploadIdOf(req), query.bucket, query.key)
      );
      return reply.code(204).send();
    })
  );

  routes.add(
    'POST',
    '/api/data/stage',
    guarded('read', async (req, reply) => {
      if (!routes.check(v.stageRequest, req.body, reply)) {
        return reply;
      }
      const { endpoint, bucket, key } = req.body;
      const entry = await stager.stage(endpoint, bucket, key);
      return reply.code(entry.state === 'ready' ? 200 : 202).send(entry);
    })
  );

  routes.add(
    'GET',
    '/api/data/cache',
    guarded('read', () => stager.list())
  );

  routes.add(
    'DELETE',
    '/api/data/cache/:id',
    guarded('read', async (req, reply) => {
      const id = (req.params as { id: string }).id;
      if (!/^[0-9a-f]{40}$/.test(id)) {
        throw new DataError(404, 'there is no such cache entry');
      }
      await stager.remove(id);
      return reply.code(204).send();
    })
  );

  routes.add(
    'GET',
    '/api/data/mounts',
    guarded('read', () => mounts.snapshot())
  );
}

function uploadIdOf(req: FastifyRequest): string {
  const id = (req.params as { uploadId?: string }).uploadId ?? '';
  if (!id || id.length > 1024) {
    throw new DataError(400, 'the upload id is missing or too long');
  }
  return id;
}
