/**
 * Notebooks the UI tests write into the lab's root before opening them: written first rather
 * than made with "File > New" and renamed, because a rename that races with the kernel's start
 * can leave the session on "Untitled.ipynb".
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

/**
 * A code cell that has not run: its source, and optionally its id and metadata (tags...).
 */
export type CodeCell =
  string | { source: string; id?: string; metadata?: Record<string, unknown> };

/**
 * A Python 3 notebook (nbformat 4.5, so every cell has an id) of code cells that have not run.
 * Cells without an id get `cell-<index>`.
 */
export function pythonNotebook(cells: CodeCell[]): Record<string, unknown> {
  return {
    cells: cells.map((cell, i) => {
      const c = typeof cell === 'string' ? { source: cell } : cell;
      return {
        cell_type: 'code',
        id: c.id ?? `cell-${i}`,
        execution_count: null,
        metadata: c.metadata ?? {},
        outputs: [],
        source: c.source
      };
    }),
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3 (ipykernel)',
        language: 'python'
      },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/**
 * Write `notebook` to `file` (a path in the lab's root) through the contents API.
 */
export async function writeNotebook(
  page: IJupyterLabPageFixture,
  file: string,
  notebook: Record<string, unknown>
): Promise<void> {
  expect(
    await page.contents.uploadContent(JSON.stringify(notebook), 'text', file)
  ).toBe(true);
}
