/**
 * Notifications when a job ends badly or is held, and — only when its notebook is not in
 * front of the researcher — when it completes. A completed job whose cell is on screen needs
 * no notification: the outputs in the cell say it.
 */
import { Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { jobExplanation, notebookName } from './format';
import { isActive } from './models/jobs';
import type { IBurstJobs, IJobChange } from './tokens';

/**
 * Which notifications are shown (`schema/notifications.json`).
 */
export interface INotifierSettings {
  /**
   * Notify when a job fails or is held.
   */
  failures: boolean;

  /**
   * Notify when a job completes while its notebook is not the current tab.
   */
  completions: boolean;
}

/**
 * What a notification looks like, for the notifier (a seam for tests).
 */
export interface INotice {
  kind: 'success' | 'warning' | 'error';
  message: string;
  jobId: string;
}

/**
 * Turns job changes into notifications.
 */
export class JobNotifier implements IDisposable {
  /**
   * Start watching the jobs.
   */
  constructor(options: JobNotifier.IOptions) {
    this._jobs = options.jobs;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._isInFront = options.isInFront;
    this._show = options.show ?? (notice => this._notify(notice));
    this._openJob = options.openJob;
    this._jobs.jobChanged.connect(this._onJobChanged, this);
  }

  /**
   * The settings.
   */
  settings: INotifierSettings = { failures: true, completions: true };

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._jobs.jobChanged.disconnect(this._onJobChanged, this);
  }

  private _onJobChanged(_: IBurstJobs, change: IJobChange): void {
    const { job, previous } = change;
    // Only transitions seen here: a snapshot after a reload does not replay old news.
    if (!previous || previous.state === job.state || !isActive(previous)) {
      return;
    }
    const trans = this._trans;
    const name = notebookName(job.notebookPath);
    const where = job.backendTitle ?? job.backend;
    if (job.state === 'failed' && this.settings.failures) {
      this._show({
        kind: 'error',
        jobId: job.id,
        message: trans.__(
          'The cell of %1 failed on %2. %3',
          name,
          where,
          jobExplanation(job, trans) ?? ''
        )
      });
    } else if (job.state === 'held' && this.settings.failures) {
      this._show({
        kind: 'warning',
        jobId: job.id,
        message: trans.__(
          'The cell of %1 is held on %2. %3',
          name,
          where,
          jobExplanation(job, trans) ?? ''
        )
      });
    } else if (
      job.state === 'completed' &&
      this.settings.completions &&
      !this._isInFront(job.notebookPath)
    ) {
      this._show({
        kind: 'success',
        jobId: job.id,
        message: trans.__('The cell of %1 finished on %2.', name, where)
      });
    }
  }

  private _notify(notice: INotice): void {
    const trans = this._trans;
    const actions = [
      {
        label: trans.__('Show Job'),
        callback: () => this._openJob(notice.jobId)
      }
    ];
    const message = notice.message.trim();
    if (notice.kind === 'error') {
      Notification.error(message, { actions, autoClose: false });
    } else if (notice.kind === 'warning') {
      Notification.warning(message, { actions, autoClose: false });
    } else {
      Notification.success(message, { actions, autoClose: 5000 });
    }
  }

  private _jobs: IBurstJobs;
  private _trans: ReturnType<ITranslator['load']>;
  private _isInFront: (path: string) => boolean;
  private _show: (notice: INotice) => void;
  private _openJob: (jobId: string) => void;
  private _isDisposed = false;
}

/**
 * The namespace for `JobNotifier` statics.
 */
export namespace JobNotifier {
  /**
   * Options to create the notifier.
   */
  export interface IOptions {
    jobs: IBurstJobs;
    translator?: ITranslator;
    /**
     * Whether the notebook at `path` is the current tab.
     */
    isInFront: (path: string) => boolean;
    /**
     * Opens the Jobs panel at a job.
     */
    openJob: (jobId: string) => void;
    /**
     * Shows a notice (by default as a JupyterLab notification).
     */
    show?: (notice: INotice) => void;
  }
}
