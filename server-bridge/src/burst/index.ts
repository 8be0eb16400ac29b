/**
 * burst: run one notebook cell on HTCondor, Spark or a local process, follow it, cancel it,
 * and put its outputs back into the cell (docs/burst.md is the contract).
 *
 *     const burst = createBurstModule({ config: config.burst, stateDir, rootDir, logger,
 *                                       routes, hub, collab, serverUrl });
 *     await burst.start();   // load the store, reconcile with the backends, keep polling
 *     await burst.close();
 *
 * The backends are the source of truth; the store is a cache reconciled from them on start
 * and every `reconcileIntervalSeconds`. The jobs (jobs.ts) are built first; the channel
 * (channel.ts) and the REST routes (routes.ts) are given them, and none of them imports this
 * file.
 */
import type { IModuleRoutes } from '../http/app';
import { registerBurstChannel } from './channel';
import { BURST_CHANNEL, BurstJobs, IBurstJobsOptions } from './jobs';
import { registerBurstRoutes } from './routes';
import { BackendUnavailable, BadJobRequest } from './types';

/** What the module is made from. */
export interface IBurstModuleOptions extends IBurstJobsOptions {
  routes: IModuleRoutes;
}

/** The module as the composition root sees it. */
export interface IBurstModule {
  readonly enabled: boolean;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Build the module (routes and channel registered now; `start` loads and reconciles). */
export function createBurstModule(options: IBurstModuleOptions): IBurstModule {
  const jobs = new BurstJobs(options);
  if (jobs.enabled) {
    registerBurstChannel(options.hub, jobs);
    registerBurstRoutes(options.routes, jobs);
  }
  return jobs;
}

export { BURST_CHANNEL, BackendUnavailable, BadJobRequest, BurstJobs };
