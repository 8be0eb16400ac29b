/**
 * The Jobs panel (right sidebar): every burst job, its state in colour and in words, its log,
 * and what can be done with it.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { BurstJob } from '@mlinfn/common';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import {
  durationLabel,
  jobExplanation,
  logModeLabel,
  notebookName,
  stateLabel
} from '../format';
import { jobsIcon } from '../icons';
import { isActive } from '../models/jobs';
import type { IBurstJobs } from '../tokens';
import { JobLogView } from './log';

/**
 * What the panel's buttons do (commands, so that menus and tests do the same).
 */
export interface IJobActions {
  cancel(id: string): void;
  resubmit(id: string): void;
  openCell(id: string): void;
  openLog(id: string): void;
}

/**
 * The Jobs panel.
 */
export class JobsPanel extends Panel {
  /**
   * Create the panel.
   */
  constructor(options: JobsPanel.IOptions) {
    super();
    this.id = 'mlinfn-burst-jobs';
    this.addClass('jp-BurstJobs');
    this._jobs = options.jobs;
    this._actions = options.actions;
    this._translator = options.translator ?? nullTranslator;
    this._trans = this._translator.load('mlinfn');
    this._now = options.now ?? Date.now;
    this.title.icon = jobsIcon;
    this.title.caption = this._trans.__(
      'Jobs: cells running on other machines'
    );

    const doc = this.node.ownerDocument;
    const header = new Widget();
    header.addClass('jp-BurstJobs-header');
    const title = doc.createElement('h2');
    title.className = 'jp-BurstJobs-title';
    title.textContent = this._trans.__('Jobs');
    this._stateNode = doc.createElement('div');
    this._stateNode.className = 'jp-BurstJobs-state';
    this._stateNode.setAttribute('role', 'status');
    header.node.append(title, this._stateNode);
    this.addWidget(header);

    // The selected job's details open under its row: the jobs up to it, the details, the rest.
    const list = () => {
      const widget = new Widget({ node: doc.createElement('ul') });
      widget.addClass('jp-BurstJobs-list');
      widget.node.setAttribute('aria-label', this._trans.__('Jobs'));
      return widget;
    };
    this._list = list();
    this.addWidget(this._list);

    this._details = new Panel();
    this._details.addClass('jp-BurstJobs-details');
    this.addWidget(this._details);

    this._rest = list();
    this._rest.addClass('jp-BurstJobs-rest');
    this.addWidget(this._rest);

    this._jobs.changed.connect(this._schedule, this);
  }

  /**
   * The selected job's id, if any.
   */
  get selected(): string | null {
    return this._selected;
  }

  /**
   * Show a job's details and log.
   */
  select(id: string | null): void {
    if (this._selected === id) {
      return;
    }
    this._selected = id;
    this._renderDetails(true);
    this._renderList();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimer();
    this._jobs.changed.disconnect(this._schedule, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._render();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._render();
  }

  protected onBeforeHide(msg: Message): void {
    this._stopTimer();
    super.onBeforeHide(msg);
  }

  private _schedule(): void {
    if (this.isVisible) {
      this._render();
    }
  }

  private _render(): void {
    this._renderState();
    this._renderList();
    this._renderDetails(false);
    const anyActive = this._jobs.jobs.some(isActive);
    if (anyActive && this.isVisible) {
      this._startTimer();
    } else {
      this._stopTimer();
    }
  }

  private _renderState(): void {
    const trans = this._trans;
    const jobs = this._jobs;
    let text = '';
    switch (jobs.state) {
      case 'loading':
        text = trans.__('Loading the jobs…');
        break;
      case 'disconnected':
      case 'error':
        text = jobs.error ?? trans.__('The jobs cannot be shown now.');
        break;
      default:
        if (jobs.jobs.length === 0) {
          text = trans.__(
            'No jobs yet. To run a cell on another machine, use "Run Cell on…" in the cell\'s toolbar, its context menu or the Run menu.'
          );
        } else {
          const active = jobs.active.length;
          text = active
            ? trans._n('%1 job unfinished', '%1 jobs unfinished', active)
            : trans.__('Every job has finished.');
        }
    }
    this._stateNode.textContent = text;
    this._stateNode.dataset.state = jobs.state;
  }

  private _renderList(): void {
    const trans = this._trans;
    const doc = this.node.ownerDocument;
    const now = this._now();
    let list = this._list.node;
    list.replaceChildren();
    this._rest.node.replaceChildren();
    for (const job of this._jobs.jobs) {
      const item = doc.createElement('li');
      item.className = 'jp-BurstJobs-item';
      item.dataset.jobId = job.id;
      item.dataset.state = job.state;
      if (job.id === this._selected) {
        item.classList.add('jp-mod-selected');
      }
      const row = doc.createElement('button');
      row.className = 'jp-BurstJobs-row';
      row.setAttribute('aria-expanded', String(job.id === this._selected));
      row.addEventListener('click', () =>
        this.select(this._selected === job.id ? null : job.id)
      );

      const chip = doc.createElement('span');
      chip.className = `jp-BurstJobs-status jp-mod-${job.state}`;
      chip.textContent = stateLabel(job.state, trans);

      const what = doc.createElement('span');
      what.className = 'jp-BurstJobs-what';
      what.textContent = notebookName(job.notebookPath);
      what.title = trans.__('%1, cell %2', job.notebookPath, job.cellId);

      const where = doc.createElement('span');
      where.className = 'jp-BurstJobs-backend';
      where.textContent = job.backendTitle ?? job.backend;

      const time = doc.createElement('span');
      time.className = 'jp-BurstJobs-duration';
      time.textContent = durationLabel(job, now);

      row.append(chip, what, where, time);
      item.appendChild(row);
      list.appendChild(item);
      if (job.id === this._selected) {
        list = this._rest.node;
      }
    }
  }

  /**
   * The selected job's details; the log view is kept while the same job stays selected.
   */
  private _renderDetails(jobChanged: boolean): void {
    const job = this._selected ? this._jobs.get(this._selected) : undefined;
    if (jobChanged || !job) {
      for (const widget of [...this._details.widgets]) {
        widget.dispose();
      }
      this._log = null;
      this._info = null;
    }
    if (!job) {
      this._details.hide();
      return;
    }
    this._details.show();
    if (!this._info) {
      this._info = new Widget();
      this._info.addClass('jp-BurstJobs-info');
      this._details.addWidget(this._info);
      this._log = new JobLogView({
        jobId: job.id,
        jobs: this._jobs,
        translator: this._translator
      });
      this._details.addWidget(this._log);
    }
    this._renderInfo(job);
  }

  private _renderInfo(job: BurstJob): void {
    const trans = this._trans;
    const doc = this.node.ownerDocument;
    const node = this._info!.node;
    node.replaceChildren();

    const title = doc.createElement('div');
    title.className = 'jp-BurstJobs-infoTitle';
    title.textContent = trans.__(
      '%1 · cell %2 · %3',
      job.notebookPath,
      job.cellId,
      job.backendTitle ?? job.backend
    );
    node.appendChild(title);

    const explanation = jobExplanation(job, trans);
    if (explanation) {
      const p = doc.createElement('p');
      p.className = `jp-BurstJobs-explanation jp-mod-${job.state}`;
      p.textContent = explanation;
      node.appendChild(p);
    }
    if (job.producedFiles?.length) {
      const p = doc.createElement('p');
      p.className = 'jp-BurstJobs-files';
      p.textContent = trans._n(
        'It wrote %1 file, next to the notebook.',
        'It wrote %1 files, next to the notebook.',
        job.producedFiles.length
      );
      node.appendChild(p);
    }
    if (job.producedFilesSkipped) {
      const p = doc.createElement('p');
      p.className = 'jp-BurstJobs-files';
      p.textContent = trans._n(
        '%1 file was left out: over the size cap.',
        '%1 files were left out: over the size cap.',
        job.producedFilesSkipped
      );
      node.appendChild(p);
    }
    const mode = doc.createElement('div');
    mode.className = 'jp-BurstJobs-logMode';
    mode.textContent = logModeLabel(job, trans);
    node.appendChild(mode);

    const buttons = doc.createElement('div');
    buttons.className = 'jp-BurstJobs-actions';
    const button = (
      label: string,
      cls: string,
      action: () => void,
      accent = false
    ) => {
      const b = doc.createElement('button');
      b.className = `jp-Button jp-mod-styled ${accent ? 'jp-mod-warn' : 'jp-mod-reject'} jp-BurstJobs-${cls}`;
      b.textContent = label;
      b.addEventListener('click', action);
      buttons.appendChild(b);
    };
    button(trans.__('Open Cell'), 'openCell', () =>
      this._actions.openCell(job.id)
    );
    button(trans.__('Log in Tab'), 'openLog', () =>
      this._actions.openLog(job.id)
    );
    if (isActive(job)) {
      button(
        trans.__('Cancel'),
        'cancel',
        () => this._actions.cancel(job.id),
        true
      );
    } else {
      button(trans.__('Resubmit'), 'resubmit', () =>
        this._actions.resubmit(job.id)
      );
    }
    if (job.sparkUiUrl && isActive(job)) {
      const a = doc.createElement('a');
      a.className = 'jp-BurstJobs-sparkUi';
      a.href = Private.sparkUrl(job.sparkUiUrl);
      a.target = '_blank';
      a.rel = 'noopener';
      a.textContent = trans.__('Spark UI');
      buttons.appendChild(a);
    }
    node.appendChild(buttons);
  }

  private _startTimer(): void {
    if (this._timer === null) {
      this._timer = setInterval(() => this._renderList(), 1000);
    }
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _jobs: IBurstJobs;
  private _actions: IJobActions;
  private _translator: ITranslator;
  private _trans: ReturnType<ITranslator['load']>;
  private _now: () => number;
  private _stateNode: HTMLElement;
  private _list: Widget;
  private _rest: Widget;
  private _details: Panel;
  private _info: Widget | null = null;
  private _log: JobLogView | null = null;
  private _selected: string | null = null;
  private _timer: ReturnType<typeof setInterval> | null = null;
}

/**
 * The namespace for `JobsPanel` statics.
 */
export namespace JobsPanel {
  /**
   * Options to create the panel.
   */
  export interface IOptions {
    jobs: IBurstJobs;
    actions: IJobActions;
    translator?: ITranslator;
    now?: () => number;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The Spark UI link: absolute URLs as they are, proxied ones relative to the page's base URL.
   */
  export function sparkUrl(url: string): string {
    if (/^https?:\/\//.test(url)) {
      return url;
    }
    return URLExt.join(PageConfig.getBaseUrl(), url.replace(/^\//, ''));
  }
}
