/**
 * The composition root: config, logger, auth, HTTP app, WebSocket hub and channels, wired
 * together; `start()` listens, `close()` shuts down cleanly.
 */
import type { FastifyInstance } from 'fastify';
import { chmod, lstat, unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AuthMode } from './auth/authenticate';
// burst: cells run on HTCondor, Spark or a local process.
import { createBurstModule } from './burst/index';
// collab: the room server and the document layer it saves through.
import { createCollabModule, ICollabModule } from './collab/index';
import { resolveCollabConfig } from './collab/config';
import {
  adapterFor,
  createContentsEventStream,
  createFileAgent,
  IContentsEventStream
} from './collab/document/index';
import type { ResolvedConfig } from './config';
// data: S3 endpoints, the staging cache, mounts, the kernel API.
import { createDataModule, DATA_CHANNEL, IDataModule } from './data/index';
import { buildApp, IModuleRoutes } from './http/app';
import { createJupyterClient, IJupyterClient } from './jupyter/client';
import { createLogger } from './logging';
import {
  createMetricsModule,
  IMetricsPaths,
  METRICS_CHANNEL
} from './metrics/index';
import { createMetrics } from './prometheus';
import { registerSystemChannel } from './system/channel';
import { Hub } from './ws/hub';

/** Where the bridge listens: a unix socket (proxy) or a TCP host and port (standalone, tests). */
export type ListenTarget = { path: string } | { host: string; port: number };

/** Everything the bridge is made from. */
export interface IBridgeOptions {
  mode: AuthMode;
  config: ResolvedConfig;
  listen: ListenTarget;
  /** Defaults to JSON lines on stdout at config.logLevel. */
  logger?: Logger;
  /** `MLINFN_SERVER_URL`, for calls back to Jupyter (proxy mode). */
  serverUrl?: string;
  /** Alternative roots of /proc, cgroups, nvidia-smi... for the monitor (tests, benchmarks). */
  metricsPaths?: IMetricsPaths;
  /** Tests shorten these; the protocol's values are the defaults. */
  authTimeoutMs?: number;
  pingIntervalMs?: number;
  /** collab: the Jupyter root dir; default $MLINFN_ROOT_DIR, else the cwd. */
  rootDir?: string;
}

/** A bridge, built but not yet listening. */
export interface IBridge {
  app: FastifyInstance;
  /** How feature modules add REST routes (authenticated, 4xx in the bridge's shape). */
  routes: IModuleRoutes;
  hub: Hub;
  /** collab: the room server (`/collab/<room>`). */
  collab: ICollabModule;
  /** data: storage endpoints, staging cache, mounts. */
  data: IDataModule;
  logger: Logger;
  /** Present in proxy mode when the server URL is known. */
  jupyter?: IJupyterClient;
  /** Listen; resolves to the address (`host:port` or the socket path). */
  start(): Promise<string>;
  /** Stop accepting, close WebSockets with 1001, close the server. */
  close(): Promise<void>;
}

/** Build a bridge from its options. */
export function createBridge(options: IBridgeOptions): IBridge {
  const { mode, config, listen } = options;
  const startedAt = Date.now();
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const { app, routes } = buildApp({
    mode,
    config,
    logger,
    metrics,
    startedAt
  });
  const hub = new Hub({
    mode,
    limits: config.limits,
    logger,
    metrics,
    authTimeoutMs: options.authTimeoutMs,
    pingIntervalMs: options.pingIntervalMs
  });
  const stopSystem = registerSystemChannel(
    hub,
    config.systemIntervalSeconds,
    startedAt
  );
  // collab: rooms at /collab/<room>; the upgrade path picks the room server or the hub.
  const rootDir =
    options.rootDir ?? (process.env.MLINFN_ROOT_DIR || process.cwd());
  const collab = createCollabModule({
    config: config.collab,
    stateDir: config.stateDir,
    rootDir,
    logger,
    registry: metrics.registry,
    adapterFor,
    fileAgent: createFileAgent(rootDir, {
      timeoutMs: resolveCollabConfig(config.collab).fileTimeoutMs
    }),
    auth: mode
  });
  let contentsEvents: IContentsEventStream | undefined;
  app.server.on('upgrade', (req, socket, head) => {
    if (collab.handles(req.url)) {
      collab.handleUpgrade(req, socket, head);
    } else {
      hub.handleUpgrade(req, socket, head);
    }
  });
  const jupyter =
    mode.kind === 'proxy' && options.serverUrl
      ? createJupyterClient(options.serverUrl, mode.policy.secret)
      : undefined;
  // burst: REST routes under /api/burst, job states and logs on the `burst` channel.
  const burst = createBurstModule({
    config: config.burst,
    stateDir: config.stateDir,
    rootDir,
    logger,
    routes,
    hub,
    collab,
    serverUrl: options.serverUrl
  });
  // Standalone, there is no Jupyter server to ask: the monitor shows the host and GPUs only.
  const listKernels = jupyter
    ? () => jupyter.listKernels()
    : async () => ({ kernels: [] });
  const monitor = createMetricsModule({
    config: config.metrics,
    listKernels,
    logger,
    registry: metrics.registry,
    publish: (channel, payload) => hub.publish(channel, payload),
    paths: options.metricsPaths
  });
  hub.registerChannel(METRICS_CHANNEL, monitor.channel);
  // data: REST routes under /api/data, staging progress on the `data` channel.
  const data = createDataModule({
    config: config.data,
    stateDir: config.stateDir,
    logger,
    routes,
    publish: (channel, payload) => hub.publish(channel, payload)
  });
  hub.registerChannel(DATA_CHANNEL, data.channel);

  return {
    app,
    routes,
    hub,
    collab,
    data,
    logger,
    jupyter,
    async start() {
      let address: string;
      await data.start(); // data: the cache index before the first request
      if ('path' in listen) {
        await removeStaleSocket(listen.path);
        await app.listen({ path: listen.path });
        // Only this user may connect: the proxy reaches the socket as the same user.
        await chmod(listen.path, 0o600);
        address = listen.path;
      } else {
        await app.listen({ host: listen.host, port: listen.port });
        const info = app.server.address() as AddressInfo;
        address = `${info.address}:${info.port}`;
      }
      monitor.start();
      await burst.start(); // burst: the job store, then reconcile with the backends
      // collab: Jupyter's contents events (saves, renames, deletions) move and refresh rooms.
      if (mode.kind === 'proxy' && options.serverUrl && collab.enabled) {
        contentsEvents = createContentsEventStream({
          serverUrl: options.serverUrl,
          secret: mode.policy.secret,
          onEvent: event => void collab.onContentsEvent(event),
          onConnect: () => collab.checkAllRooms(),
          onDisconnect: reason =>
            logger.debug({ reason }, 'contents events stream down')
        });
      }
      logger.info({ address, mode: mode.kind }, 'listening');
      return address;
    },
    async close() {
      stopSystem();
      monitor.stop();
      await burst.close(); // burst: stop polling; jobs go on and are found again
      // collab: flush every room's log, save every room, close its sockets (1001).
      contentsEvents?.close();
      await collab.close();
      await data.close(); // data: downloads stop resumable, kernel API closes
      await hub.close();
      await app.close();
      if ('path' in listen) {
        await unlink(listen.path).catch(() => undefined);
      }
      logger.info('closed');
    }
  };
}

/** A socket file left by a crashed bridge blocks listen; anything else there is not ours. */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) {
    return;
  }
  if (!stat.isSocket()) {
    throw new Error(`${path} exists and is not a socket`);
  }
  await unlink(path);
}
