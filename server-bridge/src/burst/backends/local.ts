/**
 * burst/local: the runner as a child process on this machine (development, and the default
 * when nothing is configured). At most `maxConcurrent` at once; the others wait as queued.
 */
import path from 'node:path';
import type {
  BurstBackendInfo,
  BurstLocalBackendConfig
} from '../../schema-types';
import { defaultPython } from '../python-files';
import { backendResources } from '../resources';
import type { IBackendContext, IBurstBackend, IJobRecord } from '../types';
import { ProcessJobs } from './process';
import { workerEnv } from './worker-env';

/** The local backend. */
export class LocalBackend implements IBurstBackend {
  constructor(
    private readonly _config: BurstLocalBackendConfig,
    ctx: IBackendContext
  ) {
    this._procs = new ProcessJobs(ctx);
  }

  get id(): string {
    return this._config.id;
  }

  info(): BurstBackendInfo {
    return {
      id: this._config.id,
      kind: 'local',
      title: this._config.title ?? 'This machine',
      description: 'A fresh kernel in a child process next to the lab',
      resources: backendResources(this._config),
      liveLogs: 'stream',
      available: true
    };
  }

  async submit(record: IJobRecord): Promise<void> {
    if (this._procs.running >= (this._config.maxConcurrent ?? 2)) {
      return; // stays queued; reconcile starts it when a slot frees
    }
    await this._start(record);
  }

  async cancel(record: IJobRecord): Promise<void> {
    await this._procs.cancel(record);
  }

  logPath(record: IJobRecord): string {
    return path.join(record.sandbox, 'log.txt');
  }

  async reconcile(records: IJobRecord[]): Promise<void> {
    for (const record of records) {
      await this._procs.check(record);
    }
    for (const record of records) {
      if (
        record.job.state === 'queued' &&
        record.backendState.pid === undefined &&
        !this._starting.has(record.job.id) &&
        this._procs.running < (this._config.maxConcurrent ?? 2)
      ) {
        await this._start(record);
      }
    }
  }

  async close(): Promise<void> {
    this._procs.close();
  }

  private async _start(record: IJobRecord): Promise<void> {
    this._starting.add(record.job.id);
    try {
      const python = this._config.python ?? defaultPython();
      await this._procs.start(record, {
        command: python,
        args: ['-u', path.join(record.sandbox, 'runner.py'), record.sandbox],
        cwd: record.sandbox,
        env: workerEnv(this._config.env),
        logFile: this.logPath(record)
      });
    } finally {
      this._starting.delete(record.job.id);
    }
  }

  private _procs: ProcessJobs;
  private _starting = new Set<string>();
}
