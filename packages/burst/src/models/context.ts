/**
 * Which earlier cells run before the burst cell: its "context".
 *
 * The rule, shown in the form and documented in the README:
 *
 *   By default, every code cell above the burst cell that carries the `setup` tag (the tag is a
 *   setting) runs first, in notebook order. Ticking or unticking a cell in the form changes
 *   that for this notebook; the change is remembered as an exception to the rule, so a cell
 *   tagged later still joins by default.
 *
 * Only code cells above the burst cell can be context: a cell below it has not run when the
 * researcher reads the notebook top to bottom, and markdown has nothing to run.
 */

/**
 * The little the rule needs to know about a cell.
 */
export interface IContextCandidate {
  /**
   * The cell id (nbformat >= 4.5).
   */
  id: string;

  /**
   * `code`, `markdown` or `raw`.
   */
  cellType: string;

  /**
   * The cell's `metadata.tags`, if any.
   */
  tags: ReadonlyArray<string>;

  /**
   * The cell's source.
   */
  source: string;
}

/**
 * The exceptions the researcher made to the default rule, by cell id.
 */
export interface IContextOverrides {
  /**
   * Cells that run first although they are not tagged.
   */
  added: string[];

  /**
   * Tagged cells that do not run first.
   */
  removed: string[];
}

/**
 * One line of the form's context list.
 */
export interface IContextRow {
  /**
   * The cell id.
   */
  id: string;

  /**
   * The cell's position in the notebook, from 0.
   */
  index: number;

  /**
   * The first non-empty line of its source, for the list.
   */
  preview: string;

  /**
   * Whether the default rule picks it (it carries the setup tag).
   */
  byDefault: boolean;

  /**
   * Whether it runs first with the current overrides.
   */
  selected: boolean;
}

/**
 * The tag that marks context cells unless the settings say otherwise.
 */
export const DEFAULT_SETUP_TAG = 'setup';

/**
 * The code cells above `target` that may be context, with whether the rule and the overrides
 * select each.
 *
 * @param cells - The notebook's cells, in order.
 * @param targetId - The id of the cell that bursts.
 * @param overrides - The exceptions to the rule (none by default).
 * @param tag - The setup tag.
 * @returns One row per candidate, in notebook order; empty when the target is not found.
 */
export function contextRows(
  cells: ReadonlyArray<IContextCandidate>,
  targetId: string,
  overrides: IContextOverrides = { added: [], removed: [] },
  tag: string = DEFAULT_SETUP_TAG
): IContextRow[] {
  const target = cells.findIndex(cell => cell.id === targetId);
  if (target < 0) {
    return [];
  }
  const added = new Set(overrides.added);
  const removed = new Set(overrides.removed);
  const rows: IContextRow[] = [];
  cells.slice(0, target).forEach((cell, index) => {
    if (cell.cellType !== 'code' || !cell.source.trim()) {
      return;
    }
    const byDefault = cell.tags.includes(tag);
    const selected = byDefault ? !removed.has(cell.id) : added.has(cell.id);
    rows.push({
      id: cell.id,
      index,
      preview: Private.preview(cell.source),
      byDefault,
      selected
    });
  });
  return rows;
}

/**
 * The ids of the context cells, in notebook order: the rule plus the overrides.
 */
export function selectContext(
  cells: ReadonlyArray<IContextCandidate>,
  targetId: string,
  overrides?: IContextOverrides,
  tag?: string
): string[] {
  return contextRows(cells, targetId, overrides, tag)
    .filter(row => row.selected)
    .map(row => row.id);
}

/**
 * The overrides that turn the rule's selection into `selected`: what the form remembers.
 * Only cells that are candidates now are recorded, so stale ids do not pile up.
 */
export function overridesFor(
  rows: ReadonlyArray<IContextRow>,
  selected: ReadonlyArray<string>
): IContextOverrides {
  const chosen = new Set(selected);
  const added: string[] = [];
  const removed: string[] = [];
  for (const row of rows) {
    if (row.byDefault && !chosen.has(row.id)) {
      removed.push(row.id);
    } else if (!row.byDefault && chosen.has(row.id)) {
      added.push(row.id);
    }
  }
  return { added, removed };
}

/**
 * Module-private helpers.
 */
namespace Private {
  const MAX_PREVIEW = 60;

  /**
   * The first non-empty line, shortened.
   */
  export function preview(source: string): string {
    const line =
      source
        .split('\n')
        .map(l => l.trim())
        .find(l => l.length > 0) ?? '';
    return line.length > MAX_PREVIEW
      ? line.slice(0, MAX_PREVIEW - 1) + '…'
      : line;
  }
}
