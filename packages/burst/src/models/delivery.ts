/**
 * Outputs into open notebooks: when a finished job's outputs arrive on the `burst` channel and
 * its notebook is open here, they replace the outputs of the cell with the job's cell id, and
 * the bridge is told (`ack`) so it leaves the file alone. A notebook opened later picks up
 * outputs still waiting; a notebook the bridge wrote while it was open here is brought up to
 * date.
 */
import type { BurstJob, BurstOutputsMessage } from '@mlinfn/common';
import type * as nbformat from '@jupyterlab/nbformat';
import { IDisposable } from '@lumino/disposable';
import type { IBurstJobs, IJobChange } from '../tokens';
import type { INotebookModel } from '@jupyterlab/notebook';
import { applyOutputs } from './outputs';

/**
 * An open notebook, as delivery sees it.
 */
export interface IOpenNotebook {
  /**
   * Its path, relative to the Jupyter root.
   */
  readonly path: string;

  /**
   * Its model.
   */
  readonly model: INotebookModel;

  /**
   * Whether it holds changes not saved yet.
   */
  readonly dirty: boolean;

  /**
   * Whether its document is collaborative (the room saves it; this page never does).
   */
  readonly collaborative: boolean;

  /**
   * Save it.
   */
  save(): Promise<void>;

  /**
   * Load it again from the file.
   */
  revert(): Promise<void>;
}

/**
 * Applies outputs to open notebooks.
 */
export class OutputsDelivery implements IDisposable {
  /**
   * Start delivering.
   */
  constructor(options: OutputsDelivery.IOptions) {
    this._jobs = options.jobs;
    this._find = options.findOpen;
    this._onError = options.onError ?? (() => undefined);
    this._jobs.outputsReceived.connect(this._onOutputs, this);
    this._jobs.jobChanged.connect(this._onJobChanged, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Apply the outputs a job left for a notebook that has just opened: those still waiting
   * for a front end (`pending`) or that could not be written (`failed`).
   */
  async notebookOpened(notebook: IOpenNotebook): Promise<void> {
    const waiting = this._jobs.jobs.filter(
      job =>
        job.notebookPath === notebook.path &&
        job.hasOutputs &&
        (job.delivery === 'pending' || job.delivery === 'failed')
    );
    // Oldest first, so the newest job's outputs end in the cell.
    for (const job of [...waiting].reverse()) {
      try {
        const full = await this._jobs.fetch(job.id);
        if (full.outputs) {
          await this.deliver(
            {
              type: 'outputs',
              id: full.id,
              notebookPath: full.notebookPath,
              cellId: full.cellId,
              outputs: full.outputs,
              executionCount: full.executionCount ?? null
            },
            [notebook]
          );
        }
      } catch (error) {
        this._onError(error);
      }
    }
  }

  /**
   * Apply one job's outputs to the open copies of its notebook and acknowledge.
   *
   * @returns Whether the outputs are in a cell now.
   */
  async deliver(
    message: BurstOutputsMessage,
    open: ReadonlyArray<IOpenNotebook> = this._find(message.notebookPath)
  ): Promise<boolean> {
    if (message.deliver === 'file' || open.length === 0) {
      // The bridge writes the file (after `deliveryAckSeconds` when nobody acknowledges).
      return false;
    }
    if (this._superseded(message)) {
      // A newer job of this cell already put its outputs in: older ones must not replace
      // them, and there is nothing for the bridge to write either.
      await this._jobs
        .acknowledge(message.id, {
          delivered: true,
          reason: 'superseded by the outputs of a newer job of this cell'
        })
        .catch(this._onError);
      return false;
    }
    const outputs = message.outputs as unknown as nbformat.IOutput[];
    // Two views of one document share its model: apply once per model.
    const models = new Set<INotebookModel>();
    let applied: IOpenNotebook | null = null;
    let wasDirty = false;
    let missing = '';
    for (const notebook of open) {
      if (models.has(notebook.model)) {
        continue;
      }
      models.add(notebook.model);
      const dirty = notebook.dirty;
      const result = applyOutputs(
        notebook.model,
        message.cellId,
        outputs,
        message.executionCount
      );
      if (result === 'applied') {
        if (!applied) {
          applied = notebook;
          wasDirty = dirty;
        }
      } else {
        missing =
          result === 'missing'
            ? 'the cell is no longer in the open notebook'
            : 'the cell is no longer a code cell';
      }
    }
    try {
      await this._jobs.acknowledge(
        message.id,
        applied ? { delivered: true } : { delivered: false, reason: missing }
      );
    } catch (error) {
      this._onError(error);
    }
    if (applied && !wasDirty && !applied.collaborative) {
      // Nothing else was unsaved: save, so the file holds the outputs as it would have had
      // the bridge written it.
      try {
        await applied.save();
      } catch (error) {
        this._onError(error);
      }
    }
    return applied !== null;
  }

  /**
   * Whether a newer job of the same cell has already delivered its outputs.
   */
  private _superseded(message: BurstOutputsMessage): boolean {
    const job = this._jobs.get(message.id);
    if (!job) {
      return false;
    }
    return this._jobs.jobs.some(
      other =>
        other.id !== job.id &&
        other.notebookPath === message.notebookPath &&
        other.cellId === message.cellId &&
        other.createdAt > job.createdAt &&
        (other.delivery === 'frontend' ||
          other.delivery === 'room' ||
          other.delivery === 'file')
    );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._jobs.outputsReceived.disconnect(this._onOutputs, this);
    this._jobs.jobChanged.disconnect(this._onJobChanged, this);
  }

  private _onOutputs(_: IBurstJobs, message: BurstOutputsMessage): void {
    void this.deliver(message).catch(this._onError);
  }

  /**
   * The bridge wrote the file of a notebook open here (nobody acknowledged in time: this page
   * was reconnecting, or the job asked for `file`): bring the open copy up to date.
   */
  private _onJobChanged(_: IBurstJobs, change: IJobChange): void {
    const { job, previous } = change;
    if (job.delivery !== 'file' || !previous || previous.delivery === 'file') {
      return;
    }
    for (const notebook of this._find(job.notebookPath)) {
      void this._catchUp(notebook, job).catch(this._onError);
    }
  }

  private async _catchUp(
    notebook: IOpenNotebook,
    job: BurstJob
  ): Promise<void> {
    if (!notebook.dirty && !notebook.collaborative) {
      // The file is newer and nothing here is unsaved: reading it loses nothing.
      await notebook.revert();
      return;
    }
    const full = await this._jobs.fetch(job.id);
    if (full.outputs) {
      applyOutputs(
        notebook.model,
        full.cellId,
        full.outputs as unknown as nbformat.IOutput[],
        full.executionCount ?? null
      );
    }
  }

  private _jobs: IBurstJobs;
  private _find: (path: string) => IOpenNotebook[];
  private _onError: (error: unknown) => void;
  private _isDisposed = false;
}

/**
 * The namespace for `OutputsDelivery` statics.
 */
export namespace OutputsDelivery {
  /**
   * Options to create the delivery.
   */
  export interface IOptions {
    /**
     * The jobs model.
     */
    jobs: IBurstJobs;

    /**
     * The open copies of a notebook.
     */
    findOpen: (path: string) => IOpenNotebook[];

    /**
     * Called with what failed (reported to the bridge's log).
     */
    onError?: (error: unknown) => void;
  }
}
