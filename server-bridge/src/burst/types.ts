/**
 * burst: what the module and its backends share. A backend runs jobs and tells the module
 * what it sees; the module owns the store, the channel, delivery and the REST routes.
 */
import type { Logger } from 'pino';
import type {
  BurstBackendInfo,
  BurstJob,
  BurstJobRequest,
  BurstResourceValues
} from '../schema-types';

/** A job as the store keeps it: the public job, the request (for resubmit), the sandbox. */
export interface IJobRecord {
  /** The public view, without `outputs` (they live in the sandbox's result.json). */
  job: BurstJob;
  /** The request as accepted, with the backend's defaults filled into `resources`. */
  request: BurstJobRequest & { resources: BurstResourceValues };
  /** The job's folder on this machine: bundle in, result and log out. */
  sandbox: string;
  /** What the backend needs to find the job again after a restart (pid, cluster...). */
  backendState: Record<string, unknown>;
  /** The submitter may write the notebook (checked at submit time). */
  canWrite: boolean;
}

/** One file of a new job's folder: its text, or a file to copy. Names are fixed, never a path. */
export interface IJobFile {
  name: string;
  text?: string;
  copyFrom?: string;
  /** Permission bits of a new text file (default 0o666 less the umask). */
  mode?: number;
}

/** The notebook check a preparing backend makes before it writes anything. */
export interface INotebookCheck {
  /** The Jupyter root, resolved through symlinks. */
  root: string;
  /** The notebook, relative to the root (already checked segment by segment). */
  notebookPath: string;
}

/** How a job ended, as its backend saw it. */
export interface IJobEnd {
  /** The backend removed it on request (or someone did on the pool). */
  cancelled?: boolean;
  /** The process's exit code, when known. */
  exitCode?: number | null;
  /** Why it failed around the cell, when the backend knows. */
  error?: string;
  startedAt?: number;
  finishedAt?: number;
}

/** What a backend may do to the module. */
export interface IBackendContext {
  logger: Logger;
  /** Change a job's public fields and/or its backendState (persisted, published). */
  update(
    id: string,
    patch: Partial<BurstJob>,
    backendState?: Record<string, unknown>
  ): void;
  /** The job's process is over and its sandbox holds whatever result it left. */
  finished(id: string, end: IJobEnd): void;
  /** A job the backend knows and the store does not (adopted after a store loss). */
  adopt?(record: IJobRecord): void;
  /** The record of a job id, if the store has it. */
  record(id: string): IJobRecord | undefined;
  /** Where new sandboxes live (adopted jobs must be under it). */
  jobsDir: string;
}

/** One backend. */
export interface IBurstBackend {
  readonly id: string;
  /** What the form shows (limits, live-log kind, availability). */
  info(): BurstBackendInfo;
  /** Start a job whose sandbox is ready; throws {@link BackendUnavailable} to refuse it. */
  submit(record: IJobRecord): Promise<void>;
  /**
   * Optional: make a new job's folder (`record.sandbox`) with these files, once the notebook
   * passes the check given (the same the module makes: under the resolved root, a file). A
   * backend that has it runs the job's submit only after the folder is made and refuses it when
   * the check or the folder failed, so the module asks for both at once and makes its own
   * checks meanwhile (the HTCondor helper does all this in its own process, which the submit
   * wakes anyway). Without it, the module checks, writes the files, then submits.
   */
  prepare?(
    record: IJobRecord,
    files: IJobFile[],
    check: INotebookCheck
  ): Promise<void>;
  /** Stop a job; resolves once the backend has been told. */
  cancel(record: IJobRecord): Promise<void>;
  /**
   * Look at the backend for these unfinished jobs (on start and every
   * reconcileIntervalSeconds) and report through the context.
   */
  reconcile(records: IJobRecord[]): Promise<void>;
  /** The file that holds the job's log (the runner's stdout), if any yet. */
  logPath(record: IJobRecord): string | undefined;
  close(): Promise<void>;
}

/** The backend cannot take jobs now: answered 503 with the message. */
export class BackendUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailable';
  }
}

/** A request value the backend refuses: answered 400 with the message. */
export class BadJobRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 413 = 400
  ) {
    super(message);
    this.name = 'BadJobRequest';
  }
}
