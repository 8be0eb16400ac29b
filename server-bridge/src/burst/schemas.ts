/**
 * burst: validators of the module's request bodies and queries, compiled once from schema/.
 * Its own ajv instance (no defaults filled in, no coercion): nothing here changes what it checks.
 */
import type { ValidateFunction } from 'ajv';
import { createAjv, lazyValidator } from '../schemas';
import burstAckSchema from '../../../schema/burst-ack.schema.json';
import burstBackendsSchema from '../../../schema/burst-backends.schema.json';
import burstConfigSchema from '../../../schema/burst-config.schema.json';
import burstJobRequestSchema from '../../../schema/burst-job-request.schema.json';
import burstJobSchema from '../../../schema/burst-job.schema.json';
import burstLogQuerySchema from '../../../schema/burst-log-query.schema.json';
import type {
  BurstAckRequest,
  BurstJobRequest,
  BurstLogQuery
} from '../schema-types';

const ajv = createAjv();
for (const schema of [
  burstConfigSchema,
  burstBackendsSchema,
  burstJobSchema,
  burstJobRequestSchema
]) {
  ajv.addSchema(schema);
}

/** Validators for what clients send to /api/burst/*. */
export const burstValidators = {
  jobRequest: lazyValidator(
    () =>
      ajv.getSchema<BurstJobRequest>(
        burstJobRequestSchema.$id
      ) as ValidateFunction<BurstJobRequest>
  ),
  ack: lazyValidator(() => ajv.compile<BurstAckRequest>(burstAckSchema)),
  logQuery: lazyValidator(() =>
    ajv.compile<BurstLogQuery>(burstLogQuerySchema)
  ),
  /** An empty-or-object body (cancel, resubmit). */
  emptyBody: lazyValidator(() =>
    ajv.compile<Record<string, never>>({
      type: 'object',
      additionalProperties: false
    })
  )
};
