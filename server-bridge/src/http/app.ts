/**
 * The bridge's HTTP API (fastify): /healthz, /metrics, /api/whoami, /api/log.
 *
 * Every answer that is not a success is `{"error", "reason"}` with a 4xx status; nothing a
 * client sends reaches a stack trace or a fastify default error shape.
 */
import type { ValidateFunction } from 'ajv';
import Fastify, {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  LogController
} from 'fastify';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { authenticate, AuthMode } from '../auth/authenticate';
import type { ResolvedConfig } from '../config';
import { safeUrl } from '../logging';
import type { IBridgeMetrics } from '../prometheus';
import { describeAjvError, validators } from '../schemas';
import type {
  BridgeIdentity,
  HealthResponse,
  WhoAmIResponse
} from '../schema-types';
import { VERSION } from '../version';
import { endWithError, errorBody } from './errors';

/** What the HTTP app needs from the composition root. */
export interface IAppOptions {
  mode: AuthMode;
  config: ResolvedConfig;
  logger: Logger;
  metrics: IBridgeMetrics;
  /** When the bridge started (ms since the epoch), for uptime. */
  startedAt: number;
}

/** Routes that, through the proxy, need no ticket: Jupyter's own auth has already applied. */
const PROXY_OPEN_ROUTES = new Set(['/healthz', '/metrics']);

/** A feature module's route handler: the request, the reply, and the verified caller. */
export type ModuleRouteHandler = (
  req: FastifyRequest,
  reply: FastifyReply,
  user: BridgeIdentity
) => unknown;

/**
 * How a feature module (data, burst...) adds its REST routes: authenticated like every other
 * route, 405 for a wrong method, errors in the one `{"error", "reason"}` shape.
 */
export interface IModuleRoutes {
  /** Add a route; `url` is a fastify path such as `/api/data/objects/:endpoint`. */
  add(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    handler: ModuleRouteHandler,
    options?: IModuleRouteOptions
  ): void;
  /**
   * Validate a body (or query) with an ajv validator; on failure answer 400 with the reason
   * and return false.
   */
  check<T>(
    validate: ValidateFunction<T>,
    value: unknown,
    reply: FastifyReply,
    what?: string
  ): value is T;
  /** Answer `{"error", "reason"}` with a status. */
  fail(reply: FastifyReply, status: number, reason: string): FastifyReply;
}

/** How a module route differs from the JSON default. */
export interface IModuleRouteOptions {
  /**
   * The route takes an `application/octet-stream` body (a Buffer in `req.body`) of at most
   * this many bytes, instead of JSON (data: upload parts sent through the bridge).
   */
  binaryBodyLimit?: number;
}

/** The HTTP app and the way modules add routes to it. */
export interface IBridgeApp {
  app: FastifyInstance;
  routes: IModuleRoutes;
}

/** Build the fastify app (not listening yet). */
export function buildApp(options: IAppOptions): IBridgeApp {
  const { mode, config, logger, metrics } = options;
  // Verified identities by request; a WeakMap avoids widening fastify's request type.
  const identities = new WeakMap<FastifyRequest, BridgeIdentity>();
  // Known paths and their methods, to answer 405 rather than 404 for a wrong method.
  const routes = new Map<string, Set<string>>();

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's request log would print the URL with a `?token=`; ours strips it (onResponse).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.maxBodyBytes,
    return503OnClosing: true,
    clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
      // Malformed HTTP never reaches a route: answer in our shape and hang up.
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? 431
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 408
            : 400;
      endWithError(socket, status, 'the request is not valid HTTP');
    }
  });
  // Only JSON bodies: without the text/plain parser every other type is refused with 415.
  app.removeContentTypeParser('text/plain');
  // Binary bodies, only for the routes that ask for them (the onRequest hook refuses the rest).
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body)
  );

  const send = (reply: FastifyReply, status: number, reason: string) =>
    reply.code(status).type('application/json').send(errorBody(status, reason));

  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    const open =
      mode.kind === 'proxy' &&
      route !== undefined &&
      PROXY_OPEN_ROUTES.has(route);
    if (!open) {
      const result = authenticate(req.raw, mode);
      if (!result.ok) {
        return send(reply, 401, result.reason);
      }
      identities.set(req, result.identity);
    }
    const binary = (req.routeOptions.config as { binaryBody?: boolean })
      ?.binaryBody;
    if (
      route !== undefined &&
      (req.method === 'POST' || req.method === 'PUT') &&
      !(binary ? isOctetStream : isJson)(req.headers['content-type'])
    ) {
      return send(
        reply,
        415,
        binary
          ? 'send the body as application/octet-stream'
          : 'send the body as application/json'
      );
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status: String(reply.statusCode)
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    req.log.debug(
      {
        method: req.method,
        url: safeUrl(req.url),
        status: reply.statusCode,
        ms: reply.elapsedTime
      },
      'request'
    );
  });

  app.setErrorHandler((err: any, req, reply) => {
    const status: number = err?.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return send(reply, status, clientErrorReason(status, err, config));
    }
    req.log.error({ err, url: safeUrl(req.url) }, 'request failed');
    return send(
      reply,
      500,
      'the bridge failed to answer this request; see its log'
    );
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = routes.get(path);
    if (allowed) {
      reply.header('Allow', [...allowed].join(', '));
      return send(reply, 405, `${path} does not answer ${req.method}`);
    }
    return send(reply, 404, 'no such path on the bridge');
  });

  const addRoute = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    handler: (req: FastifyRequest, reply: FastifyReply) => unknown,
    binaryBodyLimit?: number
  ) => {
    const methods = routes.get(url) ?? new Set<string>();
    methods.add(method);
    if (method === 'GET') {
      methods.add('HEAD');
    }
    routes.set(url, methods);
    app.route({
      method,
      url,
      ...(binaryBodyLimit
        ? { bodyLimit: binaryBodyLimit, config: { binaryBody: true } }
        : {}),
      handler: async (req, reply) => handler(req, reply)
    });
  };

  addRoute('GET', '/healthz', (): HealthResponse => ({
    status: 'ok',
    version: VERSION,
    uptimeSeconds: (Date.now() - options.startedAt) / 1000
  }));

  addRoute('GET', '/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  addRoute('GET', '/api/whoami', (req): WhoAmIResponse => ({
    user: identities.get(req)!,
    mode: mode.kind,
    version: VERSION
  }));

  addRoute('POST', '/api/log', (req, reply) => {
    const body = req.body;
    if (!validators.logRequest(body)) {
      return send(
        reply,
        400,
        describeAjvError(validators.logRequest.errors, 'the body')
      );
    }
    const user = identities.get(req)!.username;
    logger[body.level](
      { client: true, user, source: body.source, details: body.details },
      body.message
    );
    return reply.code(204).send();
  });

  // A plain GET of the WebSocket path: real upgrades never reach fastify's routes.
  addRoute('GET', '/ws', (_req, reply) =>
    send(reply, 426, 'open /ws as a WebSocket')
  );

  const routesApi: IModuleRoutes = {
    add(method, url, handler, options) {
      addRoute(
        method,
        url,
        (req, reply) => handler(req, reply, identities.get(req)!),
        options?.binaryBodyLimit
      );
    },
    check<T>(
      validate: ValidateFunction<T>,
      value: unknown,
      reply: FastifyReply,
      what = 'the body'
    ): value is T {
      if (validate(value)) {
        return true;
      }
      send(reply, 400, describeAjvError(validate.errors, what));
      return false;
    },
    fail: send
  };

  return { app, routes: routesApi };
}

function isOctetStream(contentType: string | undefined): boolean {
  return (
    (contentType ?? '').split(';')[0].trim().toLowerCase() ===
    'application/octet-stream'
  );
}

function isJson(contentType: string | undefined): boolean {
  return (
    (contentType ?? '').split(';')[0].trim().toLowerCase() ===
    'application/json'
  );
}

/** One sentence for a client error fastify raised (bad JSON, too large, wrong type...). */
function clientErrorReason(
  status: number,
  err: any,
  config: ResolvedConfig
): string {
  switch (status) {
    case 413:
      return `the body is larger than ${config.limits.maxBodyBytes} bytes`;
    case 415:
      return 'send the body as application/json';
    case 400:
      if (String(err?.code ?? '').startsWith('FST_ERR_CTP')) {
        return `the body is not valid JSON: ${String(err.message).slice(0, 200)}`;
      }
      return `the request is invalid: ${String(err?.message ?? '').slice(0, 200)}`;
    default:
      return String(err?.message ?? 'the request was refused').slice(0, 200);
  }
}
