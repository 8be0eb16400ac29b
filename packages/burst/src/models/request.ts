/**
 * From what the form holds to the body of `POST /api/burst/jobs`, checked on the way.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import type {
  BurstBackendInfo,
  BurstJobRequest,
  BurstResourceValues
} from '@mlinfn/common';
import type { IBurstFormValue } from '../tokens';
import type { IBurstChoice } from './choice';
import {
  contextRows,
  IContextCandidate,
  overridesFor,
  DEFAULT_SETUP_TAG
} from './context';
import {
  checkResources,
  formatMemory,
  formatWalltime,
  IResourceDraft
} from './validation';

/**
 * What the form holds, field by field.
 */
export interface IFormDraft {
  /**
   * The chosen backend's id.
   */
  backend: string;

  /**
   * The resources as typed.
   */
  resources: IResourceDraft;

  /**
   * The ticked input files, relative to the notebook's folder.
   */
  inputs: string[];

  /**
   * The ids of the ticked context cells.
   */
  context: string[];
}

/**
 * Where the request is for.
 */
export interface IRequestTarget {
  /**
   * The notebook, relative to the Jupyter root.
   */
  notebookPath: string;

  /**
   * The notebook's cells, in order.
   */
  cells: ReadonlyArray<IContextCandidate>;

  /**
   * The cell to send.
   */
  cellId: string;

  /**
   * The setup tag of the context rule.
   */
  setupTag?: string;
}

/**
 * The form fields for a backend's defaults.
 */
export function draftFromDefaults(
  defaults: BurstResourceValues
): IResourceDraft {
  return {
    cpus: String(defaults.cpus),
    memory: formatMemory(defaults.memoryMB),
    gpus: String(defaults.gpus),
    walltime: formatWalltime(defaults.walltimeMinutes * 60),
    image: defaults.image ?? ''
  };
}

/**
 * Whether `path` is a path inside the notebook's folder as the bridge accepts it: relative,
 * no `.` or `..` step, no control character or backslash.
 */
export function isInputPath(path: string): boolean {
  return (
    path.length > 0 &&
    path.length <= 1024 &&
    !path.startsWith('/') &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f\\]/.test(path) &&
    !path.split('/').some(step => step === '.' || step === '..')
  );
}

/**
 * Check the draft and build the request. Nothing is sent from here: a `null` request means a
 * field is wrong, and `errors` says which, one sentence each.
 *
 * @param draft - What the form holds.
 * @param backend - The chosen backend (`undefined` when it is not offered any more).
 * @param target - The notebook and the cell.
 * @param trans - The translation bundle for the messages.
 */
export function buildRequest(
  draft: IFormDraft,
  backend: BurstBackendInfo | undefined,
  target: IRequestTarget,
  trans: TranslationBundle = nullTranslator.load('mlinfn')
): IBurstFormValue {
  const tag = target.setupTag ?? DEFAULT_SETUP_TAG;
  const rows = contextRows(target.cells, target.cellId, undefined, tag);
  const choice: IBurstChoice = {
    backend: draft.backend,
    resources: { ...draft.resources },
    inputs: [...draft.inputs],
    context: overridesFor(rows, draft.context)
  };
  const errors: string[] = [];

  const cellIndex = target.cells.findIndex(c => c.id === target.cellId);
  const cell = target.cells[cellIndex];
  if (!cell) {
    errors.push(trans.__('The cell is no longer in the notebook.'));
  } else if (cell.cellType !== 'code') {
    errors.push(trans.__('Only code cells can run on a backend.'));
  }
  if (!backend) {
    errors.push(
      trans.__(
        'Choose where to run the cell: "%1" is not offered.',
        draft.backend
      )
    );
  } else if (!backend.available) {
    errors.push(
      backend.unavailableReason ??
        trans.__('%1 cannot take jobs now.', backend.title)
    );
  }
  const checked = backend
    ? checkResources(draft.resources, backend.resources, trans)
    : null;
  if (checked && !checked.ok) {
    errors.push(...(Object.values(checked.errors).filter(Boolean) as string[]));
  }
  const badInputs = draft.inputs.filter(p => !isInputPath(p));
  if (badInputs.length) {
    errors.push(
      trans.__(
        "Input files must be inside the notebook's folder: %1",
        badInputs.join(', ')
      )
    );
  }

  if (errors.length || !checked || !checked.ok || !cell || !backend) {
    return { request: null, choice, errors };
  }

  const selected = new Set(draft.context);
  const contextCells = rows
    .filter(row => selected.has(row.id))
    .map(row => ({
      id: row.id,
      code: target.cells[row.index].source
    }));
  const request: BurstJobRequest = {
    backend: backend.id,
    notebookPath: target.notebookPath,
    cellId: cell.id,
    cellIndex,
    code: cell.source,
    contextCells,
    resources: checked.value,
    inputFiles: [...new Set(draft.inputs)],
    deliver: 'frontend'
  };
  return { request, choice, errors: [] };
}
