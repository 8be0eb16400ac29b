/**
 * A job's log: in the Jobs panel, and as a main-area tab.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { BurstJob } from '@mlinfn/common';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { logModeLabel } from '../format';
import { isActive } from '../models/jobs';
import { JobLogModel } from '../models/log';
import type { IBurstJobs } from '../tokens';

/**
 * Shows one job's log as it grows, and whether it is live or arrives at the end.
 */
export class JobLogView extends Widget {
  /**
   * Create a view; it follows the log while it is attached.
   */
  constructor(options: JobLogView.IOptions) {
    super();
    this.addClass('jp-BurstLog');
    this.jobId = options.jobId;
    this._jobs = options.jobs;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');

    const doc = this.node.ownerDocument;
    this._header = doc.createElement('div');
    this._header.className = 'jp-BurstLog-header';
    this._text = doc.createElement('pre');
    this._text.className = 'jp-BurstLog-text';
    this._text.tabIndex = 0;
    this._text.setAttribute('aria-label', this._trans.__('Job log'));
    this._text.addEventListener('scroll', () => {
      const t = this._text;
      this._follow = t.scrollTop + t.clientHeight >= t.scrollHeight - 8;
    });
    this.node.append(this._header, this._text);
    this._jobs.jobChanged.connect(this._onJobChanged, this);
    this._renderHeader();
  }

  /**
   * The job shown.
   */
  readonly jobId: string;

  /**
   * The log model while attached; `null` otherwise.
   */
  get model(): JobLogModel | null {
    return this._model;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model?.dispose();
    this._model = null;
    this._jobs.jobChanged.disconnect(this._onJobChanged, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._model) {
      this._model = new JobLogModel({ jobId: this.jobId, jobs: this._jobs });
      this._model.changed.connect(this._renderText, this);
      this._renderText();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    // Stop following a log nobody sees (the bridge stops pushing it).
    this._model?.dispose();
    this._model = null;
    super.onBeforeDetach(msg);
  }

  private _onJobChanged(_: IBurstJobs, change: { job: BurstJob }): void {
    if (change.job.id === this.jobId) {
      this._renderHeader();
    }
  }

  private _renderHeader(): void {
    const job = this._jobs.get(this.jobId);
    const trans = this._trans;
    if (!job) {
      this._header.textContent = trans.__('This job is no longer known.');
      return;
    }
    const complete = this._model?.complete || !isActive(job);
    this._header.textContent = complete
      ? trans.__('The job has ended: this is its whole log.')
      : job.liveLogs === 'at-completion'
        ? trans.__(
            '%1: nothing to show while it runs.',
            logModeLabel(job, trans)
          )
        : trans.__('Following the log as it grows.');
    this._header.dataset.mode = job.liveLogs;
  }

  private _renderText(): void {
    const model = this._model;
    if (!model) {
      return;
    }
    const trans = this._trans;
    let text = model.text;
    if (model.truncated) {
      text = trans.__('[earlier lines left out]') + '\n' + text;
    }
    if (!text) {
      text = model.complete
        ? trans.__('The job wrote no log.')
        : trans.__('No log yet.');
    }
    this._text.textContent = text;
    if (this._follow) {
      this._text.scrollTop = this._text.scrollHeight;
    }
    this._renderHeader();
  }

  private _jobs: IBurstJobs;
  private _trans: ReturnType<ITranslator['load']>;
  private _model: JobLogModel | null = null;
  private _header: HTMLElement;
  private _text: HTMLPreElement;
  private _follow = true;
}

/**
 * The namespace for `JobLogView` statics.
 */
export namespace JobLogView {
  /**
   * Options to create a log view.
   */
  export interface IOptions {
    /**
     * The job.
     */
    jobId: string;

    /**
     * The jobs model.
     */
    jobs: IBurstJobs;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}
