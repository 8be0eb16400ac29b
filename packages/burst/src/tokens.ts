import type {
  BurstAckRequest,
  BurstBackendInfo,
  BurstJob,
  BurstJobRequest,
  BurstLogMessage,
  BurstLogResponse,
  BurstOutputsMessage
} from '@mlinfn/common';
import type { ITranslator } from '@jupyterlab/translation';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type { IBurstChoice } from './models/choice';
import type { IContextCandidate } from './models/context';

/**
 * Where a list fed by the bridge stands:
 *
 * - `loading`: asked, no answer yet;
 * - `live`: up to date (pushed changes arrive);
 * - `disconnected`: the connection to the bridge is lost; it reconnects by itself;
 * - `error`: the bridge answered with an error (`error` says it in words).
 */
export type BurstListState = 'loading' | 'live' | 'disconnected' | 'error';

/**
 * A job's state change, for the views and the notifications.
 */
export interface IJobChange {
  /**
   * The job as it is now.
   */
  job: BurstJob;

  /**
   * The job as it was before; `null` for a job this page had not seen.
   */
  previous: BurstJob | null;
}

/**
 * Every burst job of this user, kept up to date from the bridge's `burst` channel, and the
 * calls that act on jobs. There is one per page, provided by `@mlinfn/burst:jobs`.
 */
export interface IBurstJobs extends IDisposable {
  /**
   * The jobs, newest first.
   */
  readonly jobs: ReadonlyArray<BurstJob>;

  /**
   * Where the list stands.
   */
  readonly state: BurstListState;

  /**
   * What went wrong, in words, when `state` is `error` or `disconnected`.
   */
  readonly error: string | null;

  /**
   * Emitted after the list or its state changed.
   */
  readonly changed: ISignal<IBurstJobs, void>;

  /**
   * Emitted for each job that was added or changed, after `changed`.
   */
  readonly jobChanged: ISignal<IBurstJobs, IJobChange>;

  /**
   * Emitted when a finished job's outputs arrive for its cell.
   */
  readonly outputsReceived: ISignal<IBurstJobs, BurstOutputsMessage>;

  /**
   * A job by id.
   */
  get(id: string): BurstJob | undefined;

  /**
   * The unfinished jobs (queued, running, held).
   */
  readonly active: ReadonlyArray<BurstJob>;

  /**
   * Send a cell (`POST /api/burst/jobs`).
   */
  submit(request: BurstJobRequest): Promise<BurstJob>;

  /**
   * Cancel a job (it stays in the list as `cancelled`).
   */
  cancel(id: string): Promise<BurstJob>;

  /**
   * Send the same cell again with the same backend, resources and inputs.
   */
  resubmit(id: string): Promise<BurstJob>;

  /**
   * A job with its outputs (`GET /api/burst/jobs/:id`).
   */
  fetch(id: string): Promise<BurstJob>;

  /**
   * A job's log from a byte offset.
   */
  log(id: string, offset: number): Promise<BurstLogResponse>;

  /**
   * Tell the bridge whether this page applied a job's outputs to the open notebook.
   */
  acknowledge(id: string, ack: BurstAckRequest): Promise<void>;

  /**
   * Ask the bridge for the list again (after an error).
   */
  refresh(): Promise<void>;

  /**
   * Receive the log messages of one job (the `burst/<job id>` channel).
   */
  subscribeLog(
    id: string,
    handler: (message: BurstLogMessage) => void
  ): IDisposable;
}

/**
 * The jobs token.
 */
export const IBurstJobs = new Token<IBurstJobs>(
  '@mlinfn/burst:IBurstJobs',
  'Every burst job of this user, live from the mlinfn bridge, and the calls that act on jobs.'
);

/**
 * Where a cell can be sent. Replaceable: a site can provide its own list (a filtered one, one
 * with its own descriptions) with another plugin providing this token.
 */
export interface IBurstBackendList extends IDisposable {
  /**
   * The backends, in the order the form lists them.
   */
  readonly backends: ReadonlyArray<BurstBackendInfo>;

  /**
   * The id the form selects when a notebook has no remembered choice.
   */
  readonly defaultBackend: string | null;

  /**
   * Where the list stands.
   */
  readonly state: BurstListState;

  /**
   * What went wrong, in words, when `state` is `error`.
   */
  readonly error: string | null;

  /**
   * Emitted after the list changed.
   */
  readonly changed: ISignal<IBurstBackendList, void>;

  /**
   * Load the list (again).
   */
  refresh(): Promise<void>;

  /**
   * A backend by id.
   */
  get(id: string): BurstBackendInfo | undefined;
}

/**
 * The backend-list token.
 */
export const IBurstBackendList = new Token<IBurstBackendList>(
  '@mlinfn/burst:IBurstBackendList',
  'Where a cell can be sent: the HTCondor pools, Spark masters and local backend the bridge offers.'
);

/**
 * The "Run cell on…" form: a widget shown in a dialog. Replaceable: a site can provide its own
 * form with another plugin providing `IBurstFormFactory`.
 */
export interface IBurstForm extends Widget {
  /**
   * What the form holds now: the request to send, or why it cannot be sent.
   */
  getValue(): IBurstFormValue;

  /**
   * Emitted when the form becomes valid or invalid (the dialog enables its button).
   */
  readonly validityChanged: ISignal<IBurstForm, boolean>;

  /**
   * Whether the form can be sent as it is.
   */
  readonly isValid: boolean;
}

/**
 * The value of a form.
 */
export interface IBurstFormValue {
  /**
   * The request to send; `null` when a field is wrong.
   */
  request: BurstJobRequest | null;

  /**
   * The choice to remember for the notebook (also when `request` is `null`, so the form opens
   * again as it was).
   */
  choice: IBurstChoice;

  /**
   * One sentence per wrong field.
   */
  errors: string[];
}

/**
 * Makes the "Run cell on…" form.
 */
export interface IBurstFormFactory {
  /**
   * Create a form for one cell.
   */
  create(options: IBurstFormFactory.IOptions): IBurstForm;
}

/**
 * The namespace for `IBurstFormFactory` types.
 */
export namespace IBurstFormFactory {
  /**
   * What a form is made from.
   */
  export interface IOptions {
    /**
     * Where the cell can go.
     */
    backends: ReadonlyArray<BurstBackendInfo>;

    /**
     * The backend selected when nothing is remembered (or the remembered one is gone).
     */
    defaultBackend: string | null;

    /**
     * The notebook, relative to the Jupyter root.
     */
    notebookPath: string;

    /**
     * The notebook's cells, in order.
     */
    cells: ReadonlyArray<IContextCandidate>;

    /**
     * The id of the cell to send.
     */
    cellId: string;

    /**
     * The files and folders in the notebook's folder (candidates for inputs), relative to it.
     */
    files: ReadonlyArray<string>;

    /**
     * What was chosen last time for this notebook, if anything.
     */
    choice: IBurstChoice | null;

    /**
     * The tag that marks context cells.
     */
    setupTag: string;

    /**
     * The translator.
     */
    translator?: ITranslator;
  }
}

/**
 * The form-factory token.
 */
export const IBurstFormFactory = new Token<IBurstFormFactory>(
  '@mlinfn/burst:IBurstFormFactory',
  'Makes the "Run cell on…" form; provide another to replace it.'
);
