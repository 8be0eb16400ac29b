/**
 * The data module: S3 endpoints (browse, pre-signed links, multipart uploads), the ephemeral
 * cache (staging), mounts and CVMFS, the kernel API. One interface for the composition root.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import type { IModuleRoutes } from '../http/app';
import type { DataChannelMessage, DataConfig } from '../schema-types';
import type { IChannelHandlers } from '../ws/hub';
import { Stager } from './cache/stager';
import { IDataConfig, resolveDataConfig } from './config';
import { createEndpoint, IEndpoint } from './endpoint';
import { IKernelApi, kernelLookupDirs, startKernelApi } from './kernel-api';
import { MountMonitor } from './mounts/monitor';
import { registerDataRoutes } from './routes';
import { Uploads } from './uploads';

/** The pushed channel's name. */
export const DATA_CHANNEL = 'data';

export interface IDataModuleOptions {
  /** The `data` section as written (undefined: nothing configured). */
  config: DataConfig | undefined;
  stateDir: string;
  logger: Logger;
  routes: IModuleRoutes;
  publish(channel: string, payload: DataChannelMessage): void;
  /** Tests: where environment variables (key names) are read. */
  env?: NodeJS.ProcessEnv;
  /** Tests: the mountinfo file. */
  mountInfoPath?: string;
}

/** What the composition root holds. */
export interface IDataModule {
  readonly config: IDataConfig;
  /** The `data` channel's handlers (snapshot of active stagings). */
  readonly channel: IChannelHandlers;
  /** Load the cache index, open the kernel API. */
  start(): Promise<void>;
  /** Stop downloads (resumable), close the kernel API, release clients. */
  close(): Promise<void>;
}

/** Build the module and register its routes. */
export function createDataModule(options: IDataModuleOptions): IDataModule {
  const config = resolveDataConfig(options.config, options.stateDir);
  const logger = options.logger;
  const username = safeUsername();
  const endpoints = new Map<string, IEndpoint>(
    config.endpoints.map(e => [
      e.id,
      createEndpoint(e, {
        logger,
        env: options.env,
        username,
        maxSockets: Math.max(
          32,
          config.cache.connections * config.cache.maxConcurrentStages * 2
        )
      })
    ])
  );
  const publish = (message: DataChannelMessage) =>
    options.publish(DATA_CHANNEL, message);
  const stager = new Stager({
    config: config.cache,
    logger,
    endpoint: id => endpoints.get(id),
    publish
  });
  const mounts = new MountMonitor({
    config: config.mounts,
    mountInfoPath: options.mountInfoPath
  });
  const uploads = new Uploads(config.uploads.partSizeBytes);
  registerDataRoutes({
    routes: options.routes,
    endpoints,
    uploads,
    stager,
    mounts,
    logger
  });
  let kernelApi: IKernelApi | undefined;
  let started: Promise<void> | undefined;

  return {
    config,
    channel: {
      snapshot: (): DataChannelMessage => ({
        type: 'snapshot',
        stages: stager.active()
      })
    },
    start() {
      started ??= (async () => {
        await stager.start();
        // Without endpoints there is nothing to stage: no socket, no file.
        if (config.kernelApi.enabled && endpoints.size > 0) {
          try {
            kernelApi = await startKernelApi({
              stateDir: options.stateDir,
              stager,
              logger,
              alsoIn: kernelLookupDirs(options.stateDir, process.env)
            });
          } catch (err) {
            logger.warn(
              { err: (err as Error).message },
              'data: the kernel API could not start; mlinfn_lab.data.stage() will not work'
            );
          }
        }
      })();
      return started;
    },
    async close() {
      await started?.catch(() => undefined);
      await kernelApi?.close();
      await stager.close();
      for (const endpoint of endpoints.values()) {
        endpoint.dispose();
      }
    }
  };
}

function safeUsername(): string {
  try {
    return process.env.JUPYTERHUB_USER || os.userInfo().username;
  } catch {
    return 'user';
  }
}
