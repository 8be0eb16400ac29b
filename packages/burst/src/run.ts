/**
 * "Run cell on…": gather what the form needs, show it, remember the choice, send the job.
 */
import { Dialog, Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Contents } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { BurstJob } from '@mlinfn/common';
import { BridgeError } from '@mlinfn/common';
import { ChoiceStore, IBurstChoice } from './models/choice';
import type { IContextCandidate } from './models/context';
import type {
  IBurstBackendList,
  IBurstFormFactory,
  IBurstFormValue,
  IBurstJobs
} from './tokens';

/**
 * What running a cell needs.
 */
export interface IRunCellOptions {
  jobs: IBurstJobs;
  backends: IBurstBackendList;
  forms: IBurstFormFactory;
  choices: ChoiceStore;
  contents: Contents.IManager;
  translator?: ITranslator;
  /**
   * The tag of the context rule.
   */
  setupTag: string;
  /**
   * Remember the choice per notebook.
   */
  remember: boolean;
}

/**
 * The cells of a notebook as the context rule sees them.
 */
export function notebookCells(panel: NotebookPanel): IContextCandidate[] {
  const model = panel.content.model;
  if (!model) {
    return [];
  }
  return model.sharedModel.cells.map(cell => {
    const tags = cell.getMetadata('tags');
    return {
      id: cell.id,
      cellType: cell.cell_type,
      tags: Array.isArray(tags)
        ? tags.filter((t): t is string => typeof t === 'string')
        : [],
      source: cell.getSource()
    };
  });
}

/**
 * The files and folders next to a notebook that can be inputs: not hidden, not the notebook,
 * not the folders where earlier jobs left their files (`<stem>.burst`).
 */
export async function inputCandidates(
  contents: Contents.IManager,
  notebookPath: string
): Promise<string[]> {
  const dir = PathExt.dirname(notebookPath);
  try {
    const listing = await contents.get(dir, { content: true });
    const items = (listing.content ?? []) as Contents.IModel[];
    return items
      .filter(
        item =>
          !item.name.startsWith('.') &&
          item.path !== notebookPath &&
          !(item.type === 'directory' && item.name.endsWith('.burst'))
      )
      .map(item => item.name)
      .sort((a, b) => a.localeCompare(b))
      .slice(0, 500);
  } catch {
    return [];
  }
}

/**
 * Show the form for the active cell of `panel` and send the job.
 *
 * @param backendId - Preselect this backend (a launcher tile, a menu entry).
 * @returns The job sent, or `null` when the form was cancelled or sending failed (the
 *   researcher was told why).
 */
export async function runCellOn(
  panel: NotebookPanel,
  options: IRunCellOptions,
  backendId?: string
): Promise<BurstJob | null> {
  const trans = (options.translator ?? nullTranslator).load('mlinfn');
  const cell = panel.content.activeCell;
  if (!cell || cell.model.type !== 'code') {
    Notification.warning(
      trans.__('Select a code cell to run it on a backend.'),
      {
        autoClose: 5000
      }
    );
    return null;
  }
  await panel.context.ready;
  const path = panel.context.path;
  const cellId = cell.model.id;

  if (options.backends.state !== 'live') {
    await options.backends.refresh();
  }
  if (
    options.backends.state === 'error' ||
    options.backends.backends.length === 0
  ) {
    Notification.error(
      options.backends.error ??
        trans.__(
          'No backend can take cells: the bridge offers none. See the README section on burst configuration.'
        ),
      { autoClose: false }
    );
    return null;
  }

  const [files, remembered] = await Promise.all([
    inputCandidates(options.contents, path),
    options.remember ? options.choices.load(path) : Promise.resolve(null)
  ]);
  let choice: IBurstChoice | null = remembered;
  if (backendId) {
    choice = choice
      ? choice.backend === backendId
        ? choice
        : { ...choice, backend: backendId, resources: Private.blank() }
      : null;
  }

  for (;;) {
    const form = options.forms.create({
      backends: options.backends.backends,
      defaultBackend: backendId ?? options.backends.defaultBackend,
      notebookPath: path,
      cells: notebookCells(panel),
      cellId,
      files,
      choice,
      setupTag: options.setupTag,
      translator: options.translator
    });
    const dialog = new Dialog({
      title: trans.__('Run Cell on…'),
      body: form,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Run') })
      ],
      focusNodeSelector: 'select'
    });
    dialog.addClass('jp-BurstDialog');
    const enable = (valid: boolean) => {
      const accept = dialog.node.querySelector<HTMLButtonElement>(
        '.jp-Dialog-footer .jp-mod-accept'
      );
      if (accept) {
        accept.disabled = !valid;
      }
    };
    form.validityChanged.connect((_, valid) => enable(valid));
    const shown = dialog.launch();
    enable(form.isValid);
    const result = await shown;
    if (!result.button.accept) {
      return null;
    }
    // Enter accepts even while the button is off: check again, and show the form again as it
    // was when something is wrong.
    const value = result.value ?? form.getValue();
    choice = value.choice;
    if (options.remember) {
      void options.choices.save(path, value.choice).catch(() => undefined);
    }
    if (!value.request) {
      continue;
    }
    try {
      return await submitFormValue(options.jobs, value);
    } catch (error) {
      Notification.error(
        trans.__(
          'The cell could not be sent: %1',
          error instanceof BridgeError ? error.reason : String(error)
        ),
        { autoClose: false }
      );
      return null;
    }
  }
}

/**
 * Send what a form holds, if it can be sent: a form with a wrong field never reaches the
 * bridge.
 *
 * @returns The job, or `null` when the form holds a wrong field.
 */
export async function submitFormValue(
  jobs: Pick<IBurstJobs, 'submit'>,
  value: IBurstFormValue
): Promise<BurstJob | null> {
  if (!value.request || value.errors.length > 0) {
    return null;
  }
  return jobs.submit(value.request);
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Empty resource fields: the form fills in the backend's defaults.
   */
  export function blank(): IBurstChoice['resources'] {
    return { cpus: '', memory: '', gpus: '', walltime: '', image: '' };
  }
}
