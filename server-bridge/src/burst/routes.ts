/**
 * burst: the REST routes (docs/burst.md). Every body and query is checked against its schema
 * first; every refusal is a 4xx with a reason in words.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IModuleRoutes } from '../http/app';
import type {
  BridgeIdentity,
  BurstBackendsResponse,
  BurstLogResponse
} from '../schema-types';
import type { BurstJobs } from './jobs';
import { hasPermission } from '../auth/identity';
import { readLog } from './log';
import { burstValidators as v } from './schemas';
import { BackendUnavailable, BadJobRequest, IJobRecord } from './types';

const LOG_PAGE_BYTES = 1024 * 1024;
const JOB_ID = /^[a-z0-9]{8,40}$/;

/** Add the routes. */
export function registerBurstRoutes(
  routes: IModuleRoutes,
  burst: BurstJobs
): void {
  const need = (
    reply: FastifyReply,
    user: BridgeIdentity,
    checks: [string, string][]
  ): boolean => {
    for (const [resource, action] of checks) {
      if (!hasPermission(user, resource, action)) {
        routes.fail(
          reply,
          403,
          `running cells elsewhere needs ${resource}:${action} permission`
        );
        return false;
      }
    }
    return true;
  };

  const findJob = async (
    req: FastifyRequest,
    reply: FastifyReply
  ): Promise<IJobRecord | undefined> => {
    await burst.loaded;
    const id = (req.params as { id?: string }).id ?? '';
    const record = JOB_ID.test(id) ? burst.store.get(id) : undefined;
    if (!record) {
      routes.fail(
        reply,
        404,
        `no burst job ${JSON.stringify(id.slice(0, 64))}`
      );
    }
    return record;
  };

  const refuse = (reply: FastifyReply, err: unknown) => {
    if (err instanceof BadJobRequest) {
      return routes.fail(reply, err.status, err.message);
    }
    if (err instanceof BackendUnavailable) {
      return routes.fail(reply, 503, err.message);
    }
    burst.logger.error({ err: String(err) }, 'burst: request failed');
    return routes.fail(
      reply,
      500,
      'the bridge failed to handle this job; see its log'
    );
  };

  routes.add(
    'GET',
    '/api/burst/backends',
    (_req, reply, user): BurstBackendsResponse | FastifyReply => {
      if (!need(reply, user, [['kernels', 'read']])) {
        return reply;
      }
      return {
        backends: [...burst.backends.values()].map(b => b.info()),
        defaultBackend: burst.config.defaultBackend
      };
    }
  );

  routes.add('GET', '/api/burst/jobs', async (_req, reply, user) => {
    if (!need(reply, user, [['kernels', 'read']])) {
      return reply;
    }
    await burst.loaded;
    return { jobs: burst.store.all().map(r => r.job) };
  });

  routes.add('POST', '/api/burst/jobs', async (req, reply, user) => {
    if (
      !need(reply, user, [
        ['kernels', 'execute'],
        ['contents', 'read']
      ])
    ) {
      return reply;
    }
    if (!routes.check(v.jobRequest, req.body, reply)) {
      return reply;
    }
    try {
      const job = await burst.submit(req.body, user);
      return reply.code(201).send(job);
    } catch (err) {
      return refuse(reply, err);
    }
  });

  routes.add('GET', '/api/burst/jobs/:id', async (req, reply, user) => {
    if (!need(reply, user, [['kernels', 'read']])) {
      return reply;
    }
    const record = await findJob(req, reply);
    return record ? burst.jobWithOutputs(record) : reply;
  });

  routes.add('DELETE', '/api/burst/jobs/:id', async (req, reply, user) => {
    if (!need(reply, user, [['kernels', 'execute']])) {
      return reply;
    }
    const record = await findJob(req, reply);
    if (!record) {
      return reply;
    }
    if (!['completed', 'failed', 'cancelled'].includes(record.job.state)) {
      return routes.fail(
        reply,
        409,
        'the job has not finished: cancel it first'
      );
    }
    await burst.forget(record);
    return reply.code(204).send();
  });

  routes.add(
    'GET',
    '/api/burst/jobs/:id/log',
    async (req, reply, user): Promise<BurstLogResponse | FastifyReply> => {
      if (!need(reply, user, [['kernels', 'read']])) {
        return reply;
      }
      if (!routes.check(v.logQuery, req.query, reply, 'the query')) {
        return reply;
      }
      const record = await findJob(req, reply);
      if (!record) {
        return reply;
      }
      const offset = Number((req.query as { offset?: string }).offset ?? 0);
      const file = burst.backends.get(record.job.backend)?.logPath(record);
      const piece = await readLog(file, offset, LOG_PAGE_BYTES);
      const finished = ['completed', 'failed', 'cancelled'].includes(
        record.job.state
      );
      return {
        id: record.job.id,
        offset: Math.min(offset, piece.next),
        nextOffset: piece.next,
        text: piece.text,
        complete: finished && piece.next >= piece.size,
        liveLogs: record.job.liveLogs
      };
    }
  );

  routes.add('POST', '/api/burst/jobs/:id/cancel', async (req, reply, user) => {
    if (!need(reply, user, [['kernels', 'execute']])) {
      return reply;
    }
    if (!routes.check(v.emptyBody, req.body ?? {}, reply)) {
      return reply;
    }
    const record = await findJob(req, reply);
    if (!record) {
      return reply;
    }
    try {
      await burst.cancel(record);
    } catch (err) {
      return routes.fail(
        reply,
        502,
        `the backend did not cancel the job: ${(err as Error).message}`
      );
    }
    return record.job;
  });

  routes.add(
    'POST',
    '/api/burst/jobs/:id/resubmit',
    async (req, reply, user) => {
      if (
        !need(reply, user, [
          ['kernels', 'execute'],
          ['contents', 'read']
        ])
      ) {
        return reply;
      }
      if (!routes.check(v.emptyBody, req.body ?? {}, reply)) {
        return reply;
      }
      const record = await findJob(req, reply);
      if (!record) {
        return reply;
      }
      // The stored request passes the schema again (resources as they were resolved).
      const request = { ...record.request };
      if (!routes.check(v.jobRequest, request, reply, 'the stored request')) {
        return reply;
      }
      try {
        const job = await burst.submit(request, user, record.job.id);
        return reply.code(201).send(job);
      } catch (err) {
        return refuse(reply, err);
      }
    }
  );

  routes.add('POST', '/api/burst/jobs/:id/ack', async (req, reply, user) => {
    if (!need(reply, user, [['kernels', 'read']])) {
      return reply;
    }
    if (!routes.check(v.ack, req.body, reply)) {
      return reply;
    }
    const record = await findJob(req, reply);
    if (!record) {
      return reply;
    }
    const answer = await burst.acknowledge(record, req.body.delivered);
    if (answer === 'conflict') {
      return routes.fail(
        reply,
        409,
        record.job.hasOutputs
          ? `the outputs were already delivered (${record.job.delivery})`
          : 'the job has no outputs to deliver'
      );
    }
    return record.job;
  });
}
