import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

/**
 * Insert a code cell holding `code` below the active cell of the active notebook, and make it
 * the active cell.
 *
 * @returns Whether there was a notebook to insert into.
 */
export function insertCodeCell(
  tracker: INotebookTracker | null,
  code: string
): boolean {
  const panel = tracker?.currentWidget;
  if (!panel) {
    return false;
  }
  const notebook = panel.content;
  if (!notebook.model) {
    return false;
  }
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (!cell) {
    return false;
  }
  if (cell.model.type !== 'code') {
    NotebookActions.changeCellType(notebook, 'code');
  }
  notebook.activeCell?.model.sharedModel.setSource(code);
  return true;
}
