/**
 * burst: the job store, a cache of what the backends say. Each job's record is a small file in
 * its own folder (`<stateDir>/burst/jobs/<id>/job.json`, next to its sandbox), written
 * atomically a moment after each change, so a change costs the same with 10 jobs or 500. It
 * keeps what is needed to find each job again (sandbox, backend state) and to resubmit it.
 */
import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile
} from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { IJobFile, IJobRecord } from './types';

const RECORD = 'job.json';
const VERSION = 1;

/** The store. */
export class JobStore {
  constructor(
    readonly dir: string,
    private readonly _logger: Logger,
    private readonly _keepFinished: number
  ) {}

  /** The folder of every job. */
  get jobsDir(): string {
    return path.join(this.dir, 'jobs');
  }

  /** Read every record; an unreadable one is skipped (its backend may give it back). */
  async load(): Promise<void> {
    await mkdir(this.jobsDir, { recursive: true, mode: 0o700 });
    for (const id of await readdir(this.jobsDir)) {
      try {
        const raw = JSON.parse(
          await readFile(path.join(this.jobsDir, id, RECORD), 'utf8')
        );
        if (raw?.version === VERSION && raw.record?.job?.id === id) {
          this._jobs.set(id, raw.record as IJobRecord);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this._logger.warn(
            { job: id, err: String(err) },
            'burst: job record unreadable; skipped'
          );
        }
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

  /** Keep a record; `saved`: it is on disk as it is now ({@link recordFile}), no write needed. */
  put(record: IJobRecord, saved = false): void {
    this._jobs.set(record.job.id, record);
    if (!saved) {
      this.changed(record.job.id);
    }
  }

  /**
   * A new job's first record, as a file of its folder (written with the bundle, before its
   * backend hears of the job). Created exclusively, with no temporary file and rename: there is
   * no earlier version to keep, and a record cut short by a crash is skipped on load like a
   * missing one.
   */
  recordFile(record: IJobRecord): IJobFile {
    return {
      name: RECORD,
      text: JSON.stringify({ version: VERSION, record }),
      mode: 0o600
    };
  }

  /** Forget a job and delete its folder (record and sandbox). */
  async delete(id: string): Promise<void> {
    const record = this._jobs.get(id);
    this._jobs.delete(id);
    this._dirty.delete(id);
    const folder = path.join(this.jobsDir, id);
    if (
      record &&
      path.dirname(folder) === this.jobsDir &&
      /^[a-z0-9]+$/.test(id)
    ) {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /** Something in a job's record changed: save it soon. */
  changed(id: string): void {
    this._dirty.add(id);
    if (this._timer) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = undefined;
      void this.flush();
    }, 100);
  }

  /** Write the changed records now (and wait for a write under way). */
  async flush(): Promise<void> {
    if (this._timer) {
      clearTimeout(this._timer);
      this._timer = undefined;
    }
    const previous = this._writing;
    this._writing = (async () => {
      await previous;
      const ids = [...this._dirty];
      this._dirty.clear();
      for (const id of ids) {
        const record = this._jobs.get(id);
        if (record) {
          await this._write(record);
        }
      }
      await this._prune();
    })();
    await this._writing;
  }

  private async _write(record: IJobRecord): Promise<void> {
    const folder = path.join(this.jobsDir, record.job.id);
    const file = path.join(folder, RECORD);
    const tmp = `${file}.tmp`;
    const body = JSON.stringify({ version: VERSION, record });
    try {
      try {
        await writeFile(tmp, body, { mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw err;
        }
        // The sandbox usually exists already (one call fewer per write); adopted jobs' may not.
        await mkdir(folder, { recursive: true, mode: 0o700 });
        await writeFile(tmp, body, { mode: 0o600 });
      }
      await rename(tmp, file);
    } catch (err) {
      this._logger.warn(
        { job: record.job.id, err: String(err) },
        'burst: job record not saved'
      );
    }
  }

  /** Keep at most keepFinishedJobs finished jobs (the oldest go, with their folders). */
  private async _prune(): Promise<void> {
    const finished = this.all().filter(r =>
      ['completed', 'failed', 'cancelled'].includes(r.job.state)
    );
    for (const record of finished.slice(this._keepFinished)) {
      await this.delete(record.job.id);
    }
  }

  private _jobs = new Map<string, IJobRecord>();
  private _dirty = new Set<string>();
  private _timer: NodeJS.Timeout | undefined;
  private _writing: Promise<void> = Promise.resolve();
}
