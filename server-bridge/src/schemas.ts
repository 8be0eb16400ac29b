/**
 * The JSON Schemas of schema/ compiled once with ajv, and one way to put ajv's errors in words.
 *
 * The schemas are imported (not read from disk) so that the esbuild bundle carries them.
 */
import Ajv, { ErrorObject, Options, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import bridgeConfigSchema from '../../schema/bridge-config.schema.json';
// collab: the room server's config section.
import collabConfigSchema from '../../schema/collab-config.schema.json';
// data: storage endpoints, cache, mounts.
import dataConfigSchema from '../../schema/data-config.schema.json';
// burst: backends and limits (the config refers to the job request's definitions).
import burstConfigSchema from '../../schema/burst-config.schema.json';
import burstJobRequestSchema from '../../schema/burst-job-request.schema.json';
import kernelsSchema from '../../schema/kernels.schema.json';
import logRequestSchema from '../../schema/log-request.schema.json';
import metricsConfigSchema from '../../schema/metrics-config.schema.json';
import ticketSchema from '../../schema/ticket.schema.json';
import whoamiSchema from '../../schema/whoami.schema.json';
import wsClientMessageSchema from '../../schema/ws-client-message.schema.json';
import type {
  BridgeConfig,
  ClientLogRequest,
  KernelsResponse,
  TicketPayload,
  WsClientMessage
} from './schema-types';

/**
 * A new ajv instance with the bridge's defaults and the string formats: the one way the bridge
 * makes one. The schemas are not checked against the JSON Schema meta-schema at run time
 * (compiling it costs every bridge start a tenth of a second): the tests check every file of
 * schema/ against it instead.
 */
export function createAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    validateSchema: false,
    ...options
  });
  addFormats(ajv);
  return ajv;
}

/**
 * A validator compiled on its first call, not at start: most request bodies are never seen by
 * a given bridge, and compiling all of them would delay every start.
 */
export function lazyValidator<T>(
  compile: () => ValidateFunction<T>
): ValidateFunction<T> {
  let compiled: ValidateFunction<T> | undefined;
  const validate = ((data: unknown, ...rest: unknown[]) => {
    compiled ??= compile();
    const valid = (compiled as (...args: unknown[]) => boolean)(data, ...rest);
    validate.errors = compiled.errors;
    return valid;
  }) as ValidateFunction<T>;
  return validate;
}

const ajv = createAjv();
// Schemas refer to each other by $id: register them all before compiling.
for (const schema of [ticketSchema, whoamiSchema, wsClientMessageSchema]) {
  ajv.addSchema(schema);
}
const wsRef = (name: string): ValidateFunction<WsClientMessage> =>
  lazyValidator(() =>
    ajv.compile<WsClientMessage>({
      $ref: `${wsClientMessageSchema.$id}#/definitions/${name}`
    })
  );

/** Validators for every body and message the bridge accepts. */
export const validators = {
  ticket: lazyValidator(
    () =>
      ajv.getSchema<TicketPayload>(
        ticketSchema.$id
      ) as ValidateFunction<TicketPayload>
  ),
  logRequest: lazyValidator(() =>
    ajv.compile<ClientLogRequest>(logRequestSchema)
  ),
  kernels: lazyValidator(() => ajv.compile<KernelsResponse>(kernelsSchema))
};

/**
 * One validator per client message type. Validating against the schema's `oneOf` would report
 * every branch's failure; dispatching on `type` first gives the one error that matters.
 */
export const wsMessageValidators: Record<
  WsClientMessage['type'],
  ValidateFunction<WsClientMessage>
> = {
  auth: wsRef('auth'),
  ticket: wsRef('ticket'),
  subscribe: wsRef('subscribe'),
  unsubscribe: wsRef('unsubscribe')
};

/**
 * The config validator fills in the schema's defaults (`useDefaults`), so it has its own ajv
 * instance: the others must never change what they validate.
 */
export const validateConfig: ValidateFunction<BridgeConfig> = createAjv({
  useDefaults: true,
  // burst: backends pick their schema by `kind` (precise errors; defaults of one kind only).
  discriminator: true
})
  // Each feature's config section is its own schema, referred to by $id.
  .addSchema(metricsConfigSchema)
  .addSchema(collabConfigSchema) // collab
  .addSchema(dataConfigSchema) // data
  .addSchema(burstConfigSchema) // burst
  .addSchema(burstJobRequestSchema) // burst
  .compile<BridgeConfig>(bridgeConfigSchema);

/**
 * One readable sentence for the first ajv error, naming where it happened: a JSON pointer such
 * as `/limits/maxFrameBytes must be >= 1024`, or `unknown key "limits.maxFrameBytez"`.
 *
 * @param errors - ajv's `errors` after a failed validation.
 * @param what - the name of the whole value, used when the error is at its root.
 */
export function describeAjvError(
  errors: ErrorObject[] | null | undefined,
  what: string
): string {
  const err = errors?.[0];
  if (!err) {
    return `${what} is invalid`;
  }
  const segments = err.instancePath.split('/').slice(1);
  if (err.keyword === 'additionalProperties') {
    const key = (err.params as { additionalProperty: string })
      .additionalProperty;
    return `unknown key "${[...segments, key].join('.')}"`;
  }
  const where = segments.length ? err.instancePath : what;
  return `${where} ${err.message ?? 'is invalid'}`;
}
