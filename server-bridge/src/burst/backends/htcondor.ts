/**
 * burst/htcondor: jobs on an HTCondor pool's schedd, through the long-lived bindings helper
 * (or, with `client: "cli"`, HTCondor's command-line tools: condor-cli.ts).
 *
 * The schedd is the source of truth: every job carries `MlinfnJobId` (and its backend,
 * notebook and cell) in its ad, and each reconcile asks the queue once for all of this
 * backend's jobs, the history for those that left it. A spooled job stays in the queue after it
 * completes until its output sandbox is retrieved (into the job's initialdir, the sandbox
 * here), so a bridge that was down while a job finished still gets its result.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type {
  BurstBackendInfo,
  BurstHTCondorBackendConfig,
  BurstJob
} from '../../schema-types';
import { defaultPython } from '../python-files';
import { backendResources } from '../resources';
import {
  BackendUnavailable,
  IBackendContext,
  IBurstBackend,
  IJobFile,
  IJobRecord,
  INotebookCheck
} from '../types';
import { CondorCli } from './condor-cli';
import type { ICondorClient } from './condor-client';
import { CondorHelper } from './condor-helper';
import {
  AD_PROJECTION,
  ICondorEvent,
  ICondorView,
  JobAd,
  stateFromAd,
  stateFromEvents
} from './condor-state';
import { buildSubmitDescription, percentDecode } from './condor-submit';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** An HTCondor backend. */
export class HTCondorBackend implements IBurstBackend {
  constructor(
    private readonly _config: BurstHTCondorBackendConfig,
    private readonly _ctx: IBackendContext
  ) {
    const env: Record<string, string> = {};
    if (_config.condorConfig) {
      env.CONDOR_CONFIG = _config.condorConfig;
    }
    if (_config.tokenDir) {
      env._CONDOR_SEC_TOKEN_DIRECTORY = _config.tokenDir;
    }
    const logger = _ctx.logger.child({ backend: _config.id });
    if (_config.client === 'cli') {
      this.helper = new CondorCli({
        bin: _config.condorBin,
        pool: _config.pool,
        schedd: _config.schedd,
        env,
        logger
      });
    } else {
      env.MLINFN_CONDOR_POOL = _config.pool;
      if (_config.schedd) {
        env.MLINFN_CONDOR_SCHEDD = _config.schedd;
      }
      const helper = new CondorHelper({
        python: _config.helperPython ?? defaultPython(),
        env,
        logger
      });
      this.helper = helper;
      // The helper answers in order: the folder it is asked to make first is there when the
      // submit that follows runs (and a submit whose check or folder failed is refused there).
      this.prepare = async (record, files, check) => {
        await helper.call('prepare', { folder: record.sandbox, files, check });
      };
    }
  }

  /** With the bindings helper: the job's folder is made by the helper, ahead of its submit. */
  readonly prepare?: (
    record: IJobRecord,
    files: IJobFile[],
    check: INotebookCheck
  ) => Promise<void>;

  /** The link to the pool: the bindings helper, or the command-line tools. */
  readonly helper: ICondorClient;

  get id(): string {
    return this._config.id;
  }

  info(): BurstBackendInfo {
    const info: BurstBackendInfo = {
      id: this._config.id,
      kind: 'htcondor',
      title: this._config.title ?? `HTCondor (${this._config.pool})`,
      description: `HTCondor pool ${this._config.pool}${this._config.schedd ? `, schedd ${this._config.schedd}` : ''}`,
      resources: backendResources(this._config),
      liveLogs:
        (this._config.liveLogs ?? 'at-completion') === 'stream'
          ? 'stream'
          : 'at-completion',
      available: this._unavailable === undefined
    };
    if (this._unavailable) {
      info.unavailableReason = this._unavailable;
    }
    return info;
  }

  async submit(record: IJobRecord): Promise<void> {
    const { job, request } = record;
    const description = buildSubmitDescription(
      {
        jobId: job.id,
        backendId: this._config.id,
        notebookPath: job.notebookPath,
        cellId: job.cellId,
        user: job.user ?? '',
        sandbox: record.sandbox,
        resources: request.resources,
        hasInputs: (request.inputFiles ?? []).length > 0
      },
      this._config
    );
    let answer: { cluster: number; schedd: string };
    this._submitting.add(job.id);
    try {
      answer = await this.helper.call('submit', { description }, 180_000);
    } catch (err) {
      this._unavailable = `the pool refused the job: ${(err as Error).message}`;
      throw new BackendUnavailable(this._unavailable);
    } finally {
      this._submitting.delete(job.id);
    }
    this._unavailable = undefined;
    this._ctx.update(
      job.id,
      { state: 'queued', backendRef: `${answer.schedd}/${answer.cluster}.0` },
      { cluster: answer.cluster, schedd: answer.schedd }
    );
  }

  async cancel(record: IJobRecord): Promise<void> {
    const answer = await this.helper.call<{ result: JobAd | null }>('act', {
      action: 'remove',
      constraint: `MlinfnJobId == "${safeId(record.job.id)}"`,
      reason: 'cancelled from JupyterLab'
    });
    // The schedd took the removal: the job is cancelled now (no need to find it in the
    // history later). Nothing removed means it had finished: the next reconcile says how.
    if (Number(answer.result?.TotalSuccess ?? 0) >= 1) {
      this._ctx.finished(record.job.id, {
        cancelled: true,
        finishedAt: Date.now()
      });
    }
  }

  logPath(record: IJobRecord): string | undefined {
    return path.join(record.sandbox, 'job.out');
  }

  async reconcile(records: IJobRecord[]): Promise<void> {
    // The submits under way when the query is sent (their answers may come after it).
    const submitting = new Set(this._submitting);
    let ads: JobAd[];
    try {
      ads = (
        await this.helper.call<{ ads: JobAd[] }>('query', {
          constraint: `MlinfnBackend == "${safeId(this._config.id)}"`,
          projection: AD_PROJECTION
        })
      ).ads;
      this._unavailable = undefined;
    } catch (err) {
      this._unavailable = `the pool cannot be reached: ${(err as Error).message}`;
      return;
    }
    const byId = new Map<string, JobAd>();
    for (const ad of ads) {
      if (typeof ad.MlinfnJobId === 'string') {
        byId.set(ad.MlinfnJobId, ad);
      }
    }
    for (const ad of byId.values()) {
      this._maybeAdopt(ad);
    }
    // Jobs gone from the queue: one history query for all of them (it reads the whole file).
    const gone = records.filter(
      r =>
        !FINISHED.has(r.job.state) &&
        !byId.has(r.job.id) &&
        // Not yet submitted (its submit call is still on its way) is not gone. A record
        // without a cluster and no submit under way (the bridge stopped before the schedd
        // answered) is looked up by its id like any other.
        !submitting.has(r.job.id)
    );
    const history = new Map<string, JobAd>();
    if (gone.length) {
      try {
        const answer = await this.helper.call<{ ads: JobAd[] }>('history', {
          constraint: gone
            .map(r => `MlinfnJobId == "${safeId(r.job.id)}"`)
            .join(' || '),
          projection: AD_PROJECTION,
          match: gone.length
        });
        for (const ad of answer.ads) {
          history.set(String(ad.MlinfnJobId), ad);
        }
      } catch (err) {
        this._ctx.logger.warn(
          { err: (err as Error).message },
          'HTCondor history failed'
        );
        return;
      }
    }
    for (const record of records) {
      if (FINISHED.has(record.job.state) || this._busy.has(record.job.id)) {
        continue;
      }
      if (submitting.has(record.job.id) && !byId.has(record.job.id)) {
        continue; // not submitted yet (the submit call is still on its way)
      }
      this._busy.add(record.job.id);
      try {
        await this._reconcileOne(
          record,
          byId.get(record.job.id),
          history.get(record.job.id)
        );
      } catch (err) {
        this._ctx.logger.warn(
          { job: record.job.id, err: (err as Error).message },
          'HTCondor reconcile failed'
        );
      } finally {
        this._busy.delete(record.job.id);
      }
    }
  }

  async close(): Promise<void> {
    await this.helper.close();
  }

  private async _reconcileOne(
    record: IJobRecord,
    ad: JobAd | undefined,
    past: JobAd | undefined
  ): Promise<void> {
    const id = record.job.id;
    let view: ICondorView | undefined;
    let cluster = record.backendState.cluster as number | undefined;
    if (ad) {
      view = stateFromAd(ad);
      cluster = ad.ClusterId as number;
    } else {
      if (past) {
        view = stateFromAd(past);
      } else if (await exists(path.join(record.sandbox, 'job.log'))) {
        view = stateFromEvents(await this._events(record));
      }
      if (!view) {
        this._ctx.finished(id, {
          error: 'the job is in neither the queue nor the history of the pool'
        });
        return;
      }
      if (view.state !== 'done' && view.state !== 'cancelled') {
        // Gone from the queue yet not finished by the history: it left without a result.
        view = { ...view, state: 'done', exitCode: null };
      }
    }
    switch (view.state) {
      case 'queued':
      case 'running':
      case 'held': {
        const patch: Partial<BurstJob> = { state: view.state };
        if (view.state === 'held') {
          patch.holdReason = view.holdReason;
          patch.holdReasonCode = view.holdReasonCode;
        }
        if (view.startedAt) {
          patch.startedAt = view.startedAt;
        }
        this._ctx.update(id, patch);
        return;
      }
      case 'cancelled':
        this._ctx.finished(id, {
          cancelled: true,
          error: view.reason,
          startedAt: view.startedAt,
          finishedAt: view.finishedAt
        });
        return;
      case 'done': {
        if (ad && !record.backendState.retrieved) {
          // The output sandbox (result.json, produced/, job.out, job.log) into the sandbox.
          await this.helper.call(
            'retrieve',
            {
              constraint: `ClusterId == ${Number(cluster)} && MlinfnJobId == "${safeId(id)}"`
            },
            600_000
          );
          this._ctx.update(id, {}, { retrieved: true });
        }
        const events = stateFromEvents(await this._events(record));
        this._ctx.finished(id, {
          exitCode: view.exitCode,
          startedAt: events?.startedAt ?? view.startedAt,
          finishedAt: events?.finishedAt ?? view.finishedAt
        });
        return;
      }
      default:
        return;
    }
  }

  private async _events(record: IJobRecord): Promise<ICondorEvent[]> {
    try {
      const answer = await this.helper.call<{ events: ICondorEvent[] }>(
        'events',
        {
          path: path.join(record.sandbox, 'job.log')
        }
      );
      return answer.events;
    } catch {
      return [];
    }
  }

  /** A job of this backend the store does not know (its cache was lost): take it back. */
  private _maybeAdopt(ad: JobAd): void {
    const id = ad.MlinfnJobId as string;
    if (
      !/^[a-z0-9]{8,40}$/.test(id) ||
      this._ctx.record(id) ||
      !this._ctx.adopt
    ) {
      return;
    }
    // A spooled job's Iwd is the schedd's spool; SUBMIT_Iwd is the folder it was sent from.
    const iwd =
      typeof ad.SUBMIT_Iwd === 'string'
        ? ad.SUBMIT_Iwd
        : typeof ad.Iwd === 'string'
          ? ad.Iwd
          : '';
    if (path.dirname(iwd) !== this._ctx.jobsDir || path.basename(iwd) !== id) {
      return;
    }
    const view = stateFromAd(ad);
    const info = this.info();
    const notebookPath = percentDecode(String(ad.MlinfnNotebookPath ?? ''));
    const cellId = String(ad.MlinfnCellId ?? '');
    this._ctx.adopt({
      job: {
        id,
        backend: this._config.id,
        backendKind: 'htcondor',
        backendTitle: info.title,
        notebookPath,
        cellId,
        user: percentDecode(String(ad.MlinfnUser ?? '')),
        state: view.state === 'done' ? 'running' : view.state,
        resources: info.resources.defaults,
        liveLogs: info.liveLogs,
        createdAt: Date.now(),
        hasOutputs: false,
        delivery: 'none',
        backendRef: `${ad.ClusterId}.${ad.ProcId ?? 0}`
      },
      request: {
        backend: this._config.id,
        notebookPath,
        cellId,
        code: '',
        resources: info.resources.defaults,
        deliver: 'file'
      },
      sandbox: iwd,
      backendState: { cluster: ad.ClusterId },
      canWrite: true
    });
  }

  private _unavailable: string | undefined;
  private _busy = new Set<string>();
  /** Jobs whose submit call is under way. */
  private _submitting = new Set<string>();
}

/** Job and backend ids are checked by pattern already; this keeps constraints safe regardless. */
function safeId(id: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
    throw new Error('an id that cannot go into a constraint');
  }
  return id;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
