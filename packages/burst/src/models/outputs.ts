/**
 * Putting a finished job's outputs into its cell, found by cell id.
 */
import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel } from '@jupyterlab/notebook';

/**
 * What became of an attempt to apply outputs.
 *
 * - `applied`: the cell now holds the outputs and the execution count;
 * - `missing`: no cell has that id (it was deleted, or this is another notebook);
 * - `not-code`: the cell was turned into markdown or raw since the job was sent.
 */
export type ApplyResult = 'applied' | 'missing' | 'not-code';

/**
 * Replace the outputs and the execution count of the code cell `cellId`.
 *
 * The change goes through the cell's output model, as a kernel's outputs do (consecutive
 * stream outputs of one name merge there, exactly as when the cell runs in the lab); the
 * shared document follows. Nothing else in the notebook changes: not the source (the
 * researcher may have edited it while the job ran), not the other cells, not the metadata.
 *
 * @param notebook - The notebook's model.
 * @param cellId - The nbformat cell id the job was sent from.
 * @param outputs - The job's nbformat outputs, in order.
 * @param executionCount - The execution count the runner gave the cell.
 */
export function applyOutputs(
  notebook: INotebookModel,
  cellId: string,
  outputs: ReadonlyArray<nbformat.IOutput>,
  executionCount: number | null
): ApplyResult {
  let found: ICellModel | undefined;
  for (const candidate of notebook.cells) {
    if (candidate.id === cellId) {
      found = candidate;
      break;
    }
  }
  if (!found) {
    return 'missing';
  }
  if (found.type !== 'code') {
    return 'not-code';
  }
  const code = found as ICodeCellModel;
  // No enclosing shared-model transaction: the cell model mirrors its own changes into the
  // shared model, and would apply them a second time when a transaction delivered them late.
  code.outputs.fromJSON(outputs.map(output => ({ ...output })));
  code.executionCount = executionCount;
  return 'applied';
}
