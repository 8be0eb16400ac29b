/**
 * Status badges on cells: while a cell's job waits or runs, the cell says so (queued, running
 * with its duration, held with the reason in its tooltip) until its outputs are in the cell; a
 * job that failed without outputs leaves a badge until it is dismissed, since nothing else
 * would show in the cell.
 */
import type { Cell } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { BurstJob } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { durationLabel, jobExplanation, stateLabel } from '../format';
import { isActive } from '../models/jobs';
import type { IBurstJobs } from '../tokens';

/**
 * The class of a badge.
 */
export const BADGE_CLASS = 'jp-BurstBadge';

/**
 * Puts badges on the cells of every open notebook.
 */
export class CellBadges implements IDisposable {
  /**
   * Start following the jobs and the open notebooks.
   */
  constructor(options: CellBadges.IOptions) {
    this._jobs = options.jobs;
    this._tracker = options.tracker;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._onClick = options.onClick;
    this._now = options.now ?? Date.now;
    this._jobs.changed.connect(this._refreshAll, this);
    this._jobs.outputsReceived.connect(this._onOutputs, this);
    this._tracker.widgetAdded.connect(this._onNotebookAdded, this);
    this._tracker.forEach(panel => this._onNotebookAdded(this._tracker, panel));
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The badges shown in a notebook, by cell id (for tests).
   */
  badgesOf(panel: NotebookPanel): Map<string, HTMLElement> {
    const found = new Map<string, HTMLElement>();
    for (const cell of panel.content.widgets) {
      const badge = cell.node.querySelector<HTMLElement>(`.${BADGE_CLASS}`);
      if (badge) {
        found.set(cell.model.id, badge);
      }
    }
    return found;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._jobs.changed.disconnect(this._refreshAll, this);
    this._jobs.outputsReceived.disconnect(this._onOutputs, this);
    this._tracker.widgetAdded.disconnect(this._onNotebookAdded, this);
    this._stopTimer();
    this._tracker.forEach(panel => this._clear(panel));
  }

  private _onNotebookAdded(_: unknown, panel: NotebookPanel): void {
    const refresh = () => this._refresh(panel);
    panel.context.ready.then(refresh).catch(() => undefined);
    // Cells are created and re-created (windowing, undo, a reload): refresh on each change.
    panel.content.modelContentChanged.connect(refresh);
    panel.context.pathChanged.connect(refresh);
    panel.disposed.connect(() => {
      panel.content.modelContentChanged.disconnect(refresh);
    });
  }

  /**
   * A job's outputs arrived: its cell shows them, so the badge goes even if the backend still
   * winds down (a Spark driver takes a while to stop after the cell ran).
   */
  private _onOutputs(_: IBurstJobs, message: { id: string }): void {
    this._withOutputs.add(message.id);
    this._refreshAll();
  }

  private _refreshAll(): void {
    this._tracker.forEach(panel => this._refresh(panel));
    const anyActive = this._jobs.jobs.some(isActive);
    if (anyActive) {
      this._startTimer();
    } else {
      this._stopTimer();
    }
  }

  /**
   * The job each cell shows: its newest job, when that one is unfinished or failed without
   * outputs (and not dismissed).
   */
  private _shown(path: string): Map<string, BurstJob> {
    const shown = new Map<string, BurstJob>();
    const seen = new Set<string>();
    for (const job of this._jobs.jobs) {
      if (job.notebookPath !== path || seen.has(job.cellId)) {
        continue;
      }
      seen.add(job.cellId); // newest first: later jobs of this cell are older
      const failedQuietly =
        job.state === 'failed' &&
        !job.hasOutputs &&
        !this._dismissed.has(job.id);
      const outputsIn = this._withOutputs.has(job.id) || job.hasOutputs;
      if ((isActive(job) && !outputsIn) || failedQuietly) {
        shown.set(job.cellId, job);
      }
    }
    return shown;
  }

  private _refresh(panel: NotebookPanel): void {
    if (panel.isDisposed || !panel.context.isReady) {
      return;
    }
    const shown = this._shown(panel.context.path);
    for (const cell of panel.content.widgets) {
      const job = shown.get(cell.model.id);
      if (job) {
        this._show(cell, job);
      } else {
        this._remove(cell);
      }
    }
  }

  private _show(cell: Cell, job: BurstJob): void {
    const host = cell.inputArea?.node ?? cell.node;
    let badge = host.querySelector<HTMLButtonElement>(
      `:scope > .${BADGE_CLASS}`
    );
    if (!badge) {
      badge = cell.node.ownerDocument.createElement('button');
      badge.className = BADGE_CLASS;
      badge.addEventListener('click', event => {
        event.stopPropagation();
        const id = badge!.dataset.jobId!;
        const current = this._jobs.get(id);
        if (current && !isActive(current)) {
          // A failed job's badge goes once looked at.
          this._dismissed.add(id);
          this._refreshAll();
        }
        this._onClick(id);
      });
      host.classList.add('jp-mod-burst');
      host.appendChild(badge);
    }
    const trans = this._trans;
    const where = job.backendTitle ?? job.backend;
    badge.dataset.jobId = job.id;
    badge.dataset.state = job.state;
    badge.className = `${BADGE_CLASS} jp-mod-${job.state}`;
    badge.textContent =
      job.state === 'running'
        ? trans.__('Running on %1 · %2', where, durationLabel(job, this._now()))
        : trans.__('%1 on %2', stateLabel(job.state, trans), where);
    badge.title =
      (jobExplanation(job, trans) ?? stateLabel(job.state, trans)) +
      ' ' +
      trans.__('Click to see the job.');
  }

  private _remove(cell: Cell): void {
    const host = cell.inputArea?.node ?? cell.node;
    host.querySelector(`:scope > .${BADGE_CLASS}`)?.remove();
    host.classList.remove('jp-mod-burst');
  }

  private _clear(panel: NotebookPanel): void {
    for (const cell of panel.content.widgets) {
      this._remove(cell);
    }
  }

  private _startTimer(): void {
    if (this._timer === null) {
      this._timer = setInterval(() => {
        this._tracker.forEach(panel => this._refresh(panel));
      }, 1000);
    }
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _jobs: IBurstJobs;
  private _tracker: INotebookTracker;
  private _trans: ReturnType<ITranslator['load']>;
  private _onClick: (jobId: string) => void;
  private _now: () => number;
  private _dismissed = new Set<string>();
  private _withOutputs = new Set<string>();
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _isDisposed = false;
}

/**
 * The namespace for `CellBadges` statics.
 */
export namespace CellBadges {
  /**
   * Options to create the badges.
   */
  export interface IOptions {
    jobs: IBurstJobs;
    tracker: INotebookTracker;
    translator?: ITranslator;
    /**
     * Called with the job id when a badge is clicked (opens the Jobs panel at the job).
     */
    onClick: (jobId: string) => void;
    now?: () => number;
  }
}
