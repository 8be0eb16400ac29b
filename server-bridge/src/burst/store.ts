/**
 * burst: the job store, a cache of what the backends say, in `<stateDir>/burst/jobs.json`
 * (written atomically, a moment after each change). It keeps what is needed to find each job
 * again (sandbox, backend state) and to resubmit it (the request).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { IJobRecord } from './types';

const FILE = 'jobs.json';
const VERSION = 1;

/** The store. */
export class JobStore {
  constructor(
    readonly dir: string,
    private readonly _logger: Logger,
    private readonly _keepFinished: number
  ) {}

  /** Read the store; a missing or unreadable file is an empty store (the backends refill it). */
  async load(): Promise<void> {
    await mkdir(path.join(this.dir, 'jobs'), { recursive: true, mode: 0o700 });
    try {
      const raw = JSON.parse(await readFile(path.join(this.dir, FILE), 'utf8'));
      if (raw?.version === VERSION && Array.isArray(raw.jobs)) {
        for (const record of raw.jobs as IJobRecord[]) {
          this._jobs.set(record.job.id, record);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this._logger.warn(
          { err: String(err) },
          'burst: job store unreadable; starting empty'
        );
      }
    }
  }

  get(id: string): IJobRecord | undefined {
    return this._jobs.get(id);
  }

  /** Every job, newest first. */
  all(): IJobRecord[] {
    return [...this._jobs.values()].sort(
      (a, b) => b.job.createdAt - a.job.createdAt
    );
  }

  put(record: IJobRecord): void {
    this._jobs.set(record.job.id, record);
    this.changed();
  }

  /** Forget a job and delete its sandbox. */
  async delete(id: string): Promise<void> {
    const record = this._jobs.get(id);
    this._jobs.delete(id);
    this.changed();
    if (
      record &&
      path.dirname(record.sandbox) === path.join(this.dir, 'jobs')
    ) {
      await rm(record.sandbox, { recursive: true, force: true });
    }
  }

  /** Something in a record changed: save soon. */
  changed(): void {
    if (this._timer) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = undefined;
      void this.flush();
    }, 100);
  }

  /** Write now (and wait for a write under way). */
  async flush(): Promise<void> {
    if (this._timer) {
      clearTimeout(this._timer);
      this._timer = undefined;
    }
    const previous = this._writing;
    this._writing = (async () => {
      await previous;
      await this._prune();
      const file = path.join(this.dir, FILE);
      const tmp = `${file}.${process.pid}.tmp`;
      const body = JSON.stringify({ version: VERSION, jobs: this.all() });
      try {
        await writeFile(tmp, body, { mode: 0o600 });
        await rename(tmp, file);
      } catch (err) {
        this._logger.warn({ err: String(err) }, 'burst: job store not saved');
      }
    })();
    await this._writing;
  }

  /** Keep at most keepFinishedJobs finished jobs (the oldest go, with their sandboxes). */
  private async _prune(): Promise<void> {
    const finished = this.all().filter(r =>
      ['completed', 'failed', 'cancelled'].includes(r.job.state)
    );
    for (const record of finished.slice(this._keepFinished)) {
      await this.delete(record.job.id);
    }
  }

  private _jobs = new Map<string, IJobRecord>();
  private _timer: NodeJS.Timeout | undefined;
  private _writing: Promise<void> = Promise.resolve();
}
