/**
 * burst: the jobs: a request checked, bundled and handed to its backend; what the backends
 * report kept in the store and published on the `burst` channel; outputs delivered; the
 * backends reconciled on start and every `reconcileIntervalSeconds`.
 *
 * The backends are the source of truth; the store is a cache reconciled from them. The module
 * (index.ts) builds this and hands it to the channel and the REST routes.
 */
import { hasPermission } from '../auth/identity';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ICollabModule } from '../collab/index';
import { createFileAgent } from '../collab/document/file-agent';
import type { IFileAgent } from '../collab/document/types';
import type {
  BridgeIdentity,
  BurstConfig,
  BurstJob,
  BurstJobRequest,
  BurstOutput
} from '../schema-types';
import type { Hub } from '../ws/hub';
import { HTCondorBackend } from './backends/htcondor';
import { SubmitValueError } from './backends/condor-submit';
import { LocalBackend } from './backends/local';
import { SparkBackend } from './backends/spark';
import {
  bundleFiles,
  checkNotebookFile,
  copyInputs,
  IInputFile,
  listInputs,
  writeJobFiles
} from './bundle';
import { resolveBurstConfig, ResolvedBurstConfig } from './config';
import { Delivery, DeliveryError } from './delivery';
import { LogTails } from './log-tails';
import { defaultPython, pythonFilesDir } from './python-files';
import { resolveResources } from './resources';
import { checkRelative, realRoot } from './paths';
import { cleanOutputs, outcome, readResult } from './results';
import { JobStore } from './store';
import {
  BackendUnavailable,
  BadJobRequest,
  IBackendContext,
  IBurstBackend,
  IJobEnd,
  IJobRecord,
  INotebookCheck
} from './types';

/** The channel of job states and outputs; `burst/<job id>` carries one job's log. */
export const BURST_CHANNEL = 'burst';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** What the jobs are made from. */
export interface IBurstJobsOptions {
  config?: BurstConfig;
  stateDir: string;
  rootDir: string;
  logger: Logger;
  hub: Hub;
  /** Rooms that may have a notebook open (delivery goes through them). */
  collab?: ICollabModule;
  /** The Jupyter server's URL (its path is the base URL for the Spark UI proxy link). */
  serverUrl?: string;
  /** File IO under the root (default: a file agent of the module's own). */
  fileAgent?: IFileAgent;
}

/** The jobs and their backends, as the module, its channel and its routes use them. */
export class BurstJobs {
  constructor(options: IBurstJobsOptions) {
    this._options = options;
    this.config = resolveBurstConfig(options.config);
    this.logger = options.logger.child({ module: 'burst' });
    this.store = new JobStore(
      path.join(options.stateDir, this.config.stateSubdir),
      this.logger,
      this.config.keepFinishedJobs
    );
    this._files = options.fileAgent ?? createFileAgent(options.rootDir);
    this._ownFiles = !options.fileAgent;
    this._delivery = new Delivery(options.rootDir, this._files, options.collab);
    // Found once now, never in a request path (they look at the disk synchronously). A bridge
    // bundled away from mlinfn_lab/ still starts: its jobs are refused with the reason.
    try {
      pythonFilesDir();
    } catch (err) {
      this._pythonMissing = (err as Error).message;
      this.logger.warn(
        { reason: this._pythonMissing },
        'burst: jobs cannot run'
      );
    }
    defaultPython();
    const ctx = this._context();
    let basePath: string | undefined;
    if (options.serverUrl) {
      try {
        basePath = new URL(options.serverUrl.replace(/^http\+unix:/, 'http:'))
          .pathname;
        if (!basePath.endsWith('/')) {
          basePath += '/';
        }
      } catch {
        basePath = undefined;
      }
    }
    for (const backend of this.config.backends) {
      switch (backend.kind) {
        case 'local':
          this.backends.set(backend.id, new LocalBackend(backend, ctx));
          break;
        case 'htcondor':
          this.backends.set(backend.id, new HTCondorBackend(backend, ctx));
          break;
        case 'spark':
          this.backends.set(
            backend.id,
            new SparkBackend(backend, ctx, { basePath })
          );
          break;
      }
    }
    this.tails = new LogTails({
      hub: options.hub,
      channel: BURST_CHANNEL,
      logPath: id => {
        const record = this.store.get(id);
        return record
          ? this.backends.get(record.job.backend)?.logPath(record)
          : undefined;
      },
      finished: id => {
        const record = this.store.get(id);
        return !record || FINISHED.has(record.job.state);
      }
    });
  }

  readonly config: ResolvedBurstConfig;
  readonly logger: Logger;
  readonly store: JobStore;
  readonly backends = new Map<string, IBurstBackend>();
  readonly tails: LogTails;

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Resolves once the store is loaded (routes wait for it). */
  get loaded(): Promise<void> {
    return this._loaded;
  }

  async start(): Promise<void> {
    if (!this.config.enabled) {
      return;
    }
    this._markLoaded(this.store.load());
    await this._loaded;
    // Outputs that were waiting for an acknowledgement when the bridge stopped.
    for (const record of this.store.all()) {
      if (record.job.delivery === 'pending') {
        this._scheduleDelivery(
          record.job.id,
          this.config.deliveryAckSeconds * 1000
        );
      }
    }
    this.tails.start();
    void this._reconcileAll();
    this._timer = setInterval(
      () => void this._reconcileAll(),
      this.config.reconcileIntervalSeconds * 1000
    );
  }

  async close(): Promise<void> {
    this._closing = true;
    clearInterval(this._timer);
    this.tails.stop();
    for (const timer of this._deliveryTimers.values()) {
      clearTimeout(timer);
    }
    await this._reconciling;
    await Promise.all([...this._finishing.values()]);
    for (const backend of this.backends.values()) {
      await backend.close();
    }
    await this.store.flush();
    if (this._ownFiles) {
      await this._files.close();
    }
  }

  // ---- jobs -------------------------------------------------------------------------------

  /**
   * Check a request, build its bundle and hand it to its backend.
   *
   * @throws BadJobRequest, BackendUnavailable
   */
  async submit(
    request: BurstJobRequest,
    user: BridgeIdentity,
    resubmittedFrom?: string
  ): Promise<BurstJob> {
    const t0 = performance.now();
    await this._loaded;
    if (this._pythonMissing) {
      throw new BackendUnavailable(this._pythonMissing);
    }
    const backend = this.backends.get(request.backend);
    if (!backend) {
      throw new BadJobRequest(`no backend "${request.backend}"`, 404);
    }
    const info = backend.info();
    const resources = resolveResources(
      request.resources,
      info.resources,
      backend.id
    );
    const id = randomBytes(8).toString('hex');
    const sandbox = path.join(this.store.jobsDir, id);
    const full = {
      ...request,
      contextCells: request.contextCells ?? [],
      inputFiles: request.inputFiles ?? [],
      deliver: request.deliver ?? 'frontend',
      resources
    };
    const job: BurstJob = {
      id,
      backend: backend.id,
      backendKind: info.kind,
      backendTitle: info.title,
      notebookPath: request.notebookPath,
      cellId: request.cellId,
      user: user.username,
      state: 'queued',
      resources,
      liveLogs: info.liveLogs,
      createdAt: Date.now(),
      hasOutputs: false,
      delivery: 'none',
      logBytes: 0
    };
    if (resubmittedFrom) {
      job.resubmittedFrom = resubmittedFrom;
    }
    const record: IJobRecord = {
      job,
      request: full,
      sandbox,
      backendState: {},
      canWrite: hasPermission(user, 'contents', 'write')
    };
    // The job's folder (runner.py, bundle.json and the job's record) does not depend on the
    // input checks: it is written while they run, by the backend when it can do it ahead of
    // its submit (the HTCondor helper), else here. The record is so on disk before the backend
    // can know the job (a bridge that stops after the submit finds it again with its whole
    // request). A request that fails a check leaves nothing: its folder goes.
    const files = [
      ...bundleFiles({
        jobId: id,
        request: full,
        spark: info.kind === 'spark',
        maxProducedBytes: this.config.maxProducedBytes
      }),
      this.store.recordFile(record)
    ];
    const check: INotebookCheck = {
      root: await realRoot(this._options.rootDir),
      notebookPath: checkRelative(request.notebookPath, 'notebookPath')
    };
    const prepared = backend.prepare
      ? backend.prepare(record, files, check)
      : writeJobFiles(sandbox, files);
    prepared.catch(() => undefined); // handled below, once the checks are done
    // A backend that prepares checks the notebook itself before it writes or submits anything:
    // without inputs to copy first, its submit goes at once, behind the folder.
    let submitted: Promise<void> | undefined;
    const t1 = performance.now();
    if (backend.prepare && !full.inputFiles.length) {
      this.store.put(record, true);
      submitted = backend.submit(record);
      submitted.catch(() => undefined);
    }
    let inputs: IInputFile[];
    try {
      const folder = await checkNotebookFile(
        this._options.rootDir,
        request.notebookPath
      );
      inputs = await listInputs(
        this._options.rootDir,
        request.notebookPath,
        full.inputFiles,
        this.config.maxInputBytes,
        folder
      );
    } catch (err) {
      if (submitted) {
        // The backend refuses it too (same check); should it have been taken, it goes.
        if (
          await submitted.then(
            () => true,
            () => false
          )
        ) {
          await backend.cancel(record).catch(() => undefined);
        }
        await prepared.catch(() => undefined);
        await this.store.delete(id);
      } else {
        await prepared.catch(() => undefined);
        await rm(sandbox, { recursive: true, force: true });
      }
      throw err; // the check's refusal: it is what the user can fix
    }
    if (!submitted) {
      // The submit needs the folder now: the backend does not order it, or inputs go in it.
      try {
        await prepared;
        await copyInputs(sandbox, inputs);
        if (full.inputFiles.length && !inputs.length) {
          // Only empty folders: HTCondor still transfers `inputs`, so it must exist.
          await mkdir(path.join(sandbox, 'inputs'), { recursive: true });
        }
      } catch (err) {
        await rm(sandbox, { recursive: true, force: true });
        throw err;
      }
      this.store.put(record, true);
      submitted = backend.submit(record);
    }
    const [made, taken] = await Promise.allSettled([prepared, submitted]);
    if (made.status === 'rejected' || taken.status === 'rejected') {
      if (taken.status === 'fulfilled') {
        // The backend refuses a submit whose folder it could not make; this is a safety net.
        await backend.cancel(record).catch(() => undefined);
      }
      await this.store.delete(id);
      const err =
        made.status === 'rejected'
          ? made.reason
          : (taken as PromiseRejectedResult).reason;
      if (err instanceof SubmitValueError) {
        throw new BadJobRequest(err.message);
      }
      throw err;
    }
    const t2 = performance.now();
    if (info.kind !== 'htcondor') {
      // A local or Spark job is found again only by the pid in its record: on disk first.
      // (An HTCondor job is found by its MlinfnJobId: its cluster id is saved a moment later.)
      await this.store.flush();
    }
    this._publishJob(record);
    this.logger.info(
      {
        job: id,
        backend: backend.id,
        user: user.username,
        notebook: request.notebookPath,
        bundleMs: Math.round((t1 - t0) * 10) / 10,
        submitMs: Math.round((t2 - t1) * 10) / 10
      },
      'burst job submitted'
    );
    return record.job;
  }

  /** Ask the backend to stop a job; an already finished job is left as it is. */
  async cancel(record: IJobRecord): Promise<void> {
    if (FINISHED.has(record.job.state)) {
      return;
    }
    const backend = this.backends.get(record.job.backend);
    if (!backend) {
      this._finish(record.job.id, { cancelled: true });
      return;
    }
    await backend.cancel(record);
  }

  /** The job with its outputs (read from the sandbox) when it has them. */
  async jobWithOutputs(record: IJobRecord): Promise<BurstJob> {
    if (!record.job.hasOutputs) {
      return record.job;
    }
    const result = await readResult(record.sandbox);
    return {
      ...record.job,
      outputs: cleanOutputs(result?.outputs ?? [], this.config.maxOutputBytes)
    };
  }

  /** A front end applied the outputs (or cannot): delivery done, or the bridge writes now. */
  async acknowledge(
    record: IJobRecord,
    delivered: boolean
  ): Promise<'ok' | 'conflict'> {
    const state = record.job.delivery;
    if (!record.job.hasOutputs || !['pending', 'failed'].includes(state)) {
      return 'conflict';
    }
    if (delivered) {
      this._clearDelivery(record.job.id);
      this._update(record, { delivery: 'frontend', deliveryError: undefined });
      return 'ok';
    }
    if (state === 'failed') {
      return 'ok';
    }
    this._clearDelivery(record.job.id);
    await this._deliverSelf(record.job.id);
    return 'ok';
  }

  /** Forget a finished job and its sandbox. */
  async forget(record: IJobRecord): Promise<void> {
    this._clearDelivery(record.job.id);
    await this.store.delete(record.job.id);
    this._options.hub.publish(BURST_CHANNEL, {
      type: 'jobs',
      jobs: this.store.all().map(r => r.job)
    });
  }

  // ---- what backends report ---------------------------------------------------------------

  private _context(): IBackendContext {
    return {
      logger: this.logger,
      jobsDir: path.join(this.store.dir, 'jobs'),
      record: id => this.store.get(id),
      update: (id, patch, backendState) => {
        const record = this.store.get(id);
        if (!record) {
          return;
        }
        if (backendState) {
          Object.assign(record.backendState, backendState);
          this.store.changed(id);
        }
        if (FINISHED.has(record.job.state)) {
          // A late report about a finished job changes nothing public.
          patch = { ...patch };
          delete patch.state;
          delete patch.holdReason;
          delete patch.holdReasonCode;
        }
        this._update(record, patch);
      },
      finished: (id, end) => this._finish(id, end),
      adopt: record => {
        if (!this.store.get(record.job.id)) {
          this.store.put(record);
          this._publishJob(record);
          this.logger.info(
            { job: record.job.id },
            'burst: job adopted from its backend'
          );
        }
      }
    };
  }

  private _update(record: IJobRecord, patch: Partial<BurstJob>): void {
    const before = JSON.stringify(record.job);
    if (patch.state && patch.state !== 'held') {
      delete record.job.holdReason;
      delete record.job.holdReasonCode;
    }
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) {
        delete (record.job as unknown as Record<string, unknown>)[key];
      } else {
        (record.job as unknown as Record<string, unknown>)[key] = value;
      }
    }
    if (JSON.stringify(record.job) !== before) {
      this.store.changed(record.job.id);
      this._publishJob(record);
    }
  }

  private _publishJob(record: IJobRecord): void {
    this._options.hub.publish(BURST_CHANNEL, { type: 'job', job: record.job });
  }

  /** The job's process is over: read its result, bring files back, deliver. Once per job. */
  private _finish(id: string, end: IJobEnd): void {
    const record = this.store.get(id);
    if (!record || FINISHED.has(record.job.state) || this._finishing.has(id)) {
      return;
    }
    const work = (async () => {
      const result = await readResult(record.sandbox);
      const out = outcome(end, result);
      const patch: Partial<BurstJob> = {
        state: out.state,
        finishedAt: end.finishedAt ?? Date.now(),
        hasOutputs: out.hasOutputs,
        error: out.error,
        delivery: out.hasOutputs ? 'pending' : 'none'
      };
      if (end.startedAt) {
        patch.startedAt = end.startedAt;
      }
      if (out.hasOutputs) {
        patch.executionCount = result?.executionCount ?? null;
      }
      if (!end.cancelled && result?.produced?.length && record.canWrite) {
        try {
          const copied = await this._delivery.copyProduced(
            path.join(record.sandbox, 'produced'),
            record.job.notebookPath,
            id,
            this.config.maxProducedBytes
          );
          patch.producedFiles = copied.files;
          patch.producedFilesSkipped =
            copied.skipped + (result.producedSkipped ?? 0);
        } catch (err) {
          this.logger.warn(
            { job: id, err: String(err) },
            'burst: produced files not copied'
          );
        }
      }
      const logFile = this.backends.get(record.job.backend)?.logPath(record);
      const size = await this.tails.size(logFile);
      if (size !== undefined) {
        patch.logBytes = size;
      }
      this._update(record, patch);
      this.logger.info(
        { job: id, state: out.state, error: out.error },
        'burst job finished'
      );
      if (out.hasOutputs) {
        const outputs: BurstOutput[] = cleanOutputs(
          result?.outputs ?? [],
          this.config.maxOutputBytes
        );
        this._options.hub.publish(BURST_CHANNEL, {
          type: 'outputs',
          id,
          notebookPath: record.job.notebookPath,
          cellId: record.job.cellId,
          outputs,
          executionCount: record.job.executionCount ?? null,
          deliver: record.request.deliver ?? 'frontend'
        });
        this._scheduleDelivery(
          id,
          record.request.deliver === 'file'
            ? 0
            : this.config.deliveryAckSeconds * 1000
        );
      }
    })()
      .catch(err =>
        this.logger.error(
          { job: id, err: String(err) },
          'burst: finishing failed'
        )
      )
      .finally(() => this._finishing.delete(id));
    this._finishing.set(id, work);
  }

  private _scheduleDelivery(id: string, delayMs: number): void {
    this._clearDelivery(id);
    const timer = setTimeout(() => {
      this._deliveryTimers.delete(id);
      void this._deliverSelf(id);
    }, delayMs);
    this._deliveryTimers.set(id, timer);
  }

  private _clearDelivery(id: string): void {
    const timer = this._deliveryTimers.get(id);
    if (timer) {
      clearTimeout(timer);
      this._deliveryTimers.delete(id);
    }
  }

  /** No front end took the outputs: write them through the room or into the file. */
  private async _deliverSelf(id: string): Promise<void> {
    const record = this.store.get(id);
    if (!record || record.job.delivery !== 'pending' || this._closing) {
      return;
    }
    if (!record.canWrite) {
      this._update(record, {
        delivery: 'failed',
        deliveryError: 'the submitter may not write the notebook'
      });
      return;
    }
    const result = await readResult(record.sandbox);
    try {
      const where = await this._delivery.deliver({
        notebookPath: record.job.notebookPath,
        cellId: record.job.cellId,
        cellIndex: record.request.cellIndex,
        code: record.request.code,
        outputs: cleanOutputs(
          result?.outputs ?? [],
          this.config.maxOutputBytes
        ),
        executionCount: record.job.executionCount ?? null
      });
      this._update(record, { delivery: where, deliveryError: undefined });
      this.logger.info({ job: id, where }, 'burst: outputs delivered');
    } catch (err) {
      const reason = err instanceof DeliveryError ? err.message : String(err);
      this._update(record, { delivery: 'failed', deliveryError: reason });
      this.logger.warn({ job: id, reason }, 'burst: outputs not delivered');
    }
  }

  private async _reconcileAll(): Promise<void> {
    if (this._reconcileBusy || this._closing) {
      return;
    }
    this._reconcileBusy = true;
    this._reconciling = (async () => {
      for (const backend of this.backends.values()) {
        const records = this.store
          .all()
          .filter(
            r => r.job.backend === backend.id && !FINISHED.has(r.job.state)
          );
        try {
          await backend.reconcile(records);
        } catch (err) {
          this.logger.warn(
            { backend: backend.id, err: String(err) },
            'burst: reconcile failed'
          );
        }
      }
      // Jobs of a backend that is no longer configured cannot be followed.
      for (const record of this.store.all()) {
        if (
          !this.backends.has(record.job.backend) &&
          !FINISHED.has(record.job.state)
        ) {
          this._finish(record.job.id, {
            error: `the backend "${record.job.backend}" is no longer configured`
          });
        }
      }
    })();
    try {
      await this._reconciling;
    } finally {
      this._reconcileBusy = false;
    }
  }

  private _markLoaded(loading: Promise<void>): void {
    this._loaded = loading;
    this._resolveLoaded(loading);
  }

  private _options: IBurstJobsOptions;
  private _pythonMissing: string | undefined;
  private _files: IFileAgent;
  private _ownFiles: boolean;
  private _delivery: Delivery;
  private _timer: NodeJS.Timeout | undefined;
  private _closing = false;
  private _reconcileBusy = false;
  private _reconciling: Promise<void> = Promise.resolve();
  private _finishing = new Map<string, Promise<void>>();
  private _deliveryTimers = new Map<string, NodeJS.Timeout>();
  private _resolveLoaded!: (p: Promise<void>) => void;
  private _loaded: Promise<void> = new Promise<void>(resolve => {
    this._resolveLoaded = p => void p.then(resolve, resolve);
  });
}
