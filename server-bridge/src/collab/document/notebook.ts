/**
 * Notebooks: seeding into @jupyter/ydoc's YNotebook layout (see layout.ts), writing exactly as
 * `nbformat.write` does (see nbformat.ts), and merging a change made on disk into the live
 * document.
 *
 * The merge is three-way: `base` (what the room last saved or seeded), the room's current
 * document, and `disk`. Cells are matched by id (nbformat >= 4.5 with unique ids on both sides),
 * otherwise by alignment (equal type and source first, then cells of the same type in the
 * gaps between, taken as modified). Then, for the disk's side of the difference:
 *
 * - a cell only on disk is inserted after the cell that precedes it on disk;
 * - a cell deleted on disk is deleted, unless the room changed it since `base` (it is kept:
 *   deleting it would lose those edits);
 * - a cell the room deleted but the disk changed comes back with the disk's content (dropping
 *   it would lose the disk's edits);
 * - a cell moved on disk (out of the longest run the disk kept in order) is moved: Yjs 13 has
 *   no move, so, like JupyterLab's own `moveCells`, it is deleted and inserted again, with the
 *   merged content;
 * - within a cell: the source is merged as text (merge-text.ts); each metadata key, the
 *   outputs, the execution count, attachments and any other field the disk changed take the
 *   disk's value; a cell whose type changed on disk is rebuilt with the disk's type.
 *
 * Shared types are changed in place (the front end's cell models hold on to a cell's source
 * Y.Text, metadata Y.Map and outputs Y.Array). Everything happens in one transaction under a
 * fresh client id, so it merges with edits in flight like any collaborator's.
 */
import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import { lcs, lisIndices } from './align';
import { DocumentError } from './errors';
import {
  cellMap,
  IDocCell,
  outputMap,
  plainMap,
  readNotebook,
  serverEdit
} from './layout';
import { mergeIntoYText, mergeText } from './merge-text';
import {
  cloneJSON,
  hasCellIds,
  ICellJSON,
  INotebookJSON,
  JSONObject,
  jsonEqual,
  JSONValue,
  parseNotebook,
  writeNotebook
} from './nbformat';
import type { IDocumentAdapter, IReconcileState } from './types';
import { SERVER_EDIT_ORIGIN } from './types';

/** Keys of a cell the merge handles by themselves; every other key is replaced when changed. */
const STRUCTURAL_KEYS = new Set(['id', 'cell_type', 'source', 'metadata']);
/** Keys only a code cell has. */
const CODE_ONLY_KEYS = new Set(['outputs', 'execution_count']);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** The adapter for notebooks. */
export const notebookAdapter: IDocumentAdapter = {
  kind: 'notebook',

  seed(doc: Y.Doc, content: Uint8Array): void {
    const steps = seedNotebook(doc, content);
    for (let step = steps.next(); !step.done; step = steps.next()) {
      // every part, at once
    }
  },

  seedSteps: seedNotebook,

  serialize(doc: Y.Doc): Uint8Array {
    return writeNotebook(readNotebook(doc).nb);
  },

  applyDiskChange(
    doc: Y.Doc,
    base: Uint8Array,
    disk: Uint8Array
  ): 'merged' | { conflict: Uint8Array } {
    if (sameBytes(base, disk)) {
      return 'merged';
    }
    let diskNb: INotebookJSON;
    let baseNb: INotebookJSON;
    let current: { nb: INotebookJSON; cells: IDocCell[] };
    try {
      diskNb = parseNotebook(disk, { normalizeIds: false });
      current = readNotebook(doc);
    } catch (err) {
      if (err instanceof DocumentError) {
        return { conflict: disk };
      }
      throw err;
    }
    if (sameBytes(writeNotebook(current.nb), disk)) {
      // The disk already holds what the room holds (our own save, or the same edit).
      return 'merged';
    }
    try {
      baseNb = parseNotebook(base, { normalizeIds: false });
    } catch (err) {
      if (err instanceof DocumentError) {
        return { conflict: disk };
      }
      throw err;
    }
    serverEdit(doc, SERVER_EDIT_ORIGIN, () =>
      mergeNotebook(doc, baseNb, current.cells, diskNb)
    );
    return 'merged';
  },

  reconcile: reconcileNotebook
};

/**
 * Seed `doc` from a notebook file, one part per step (it yields after each): the parse and the
 * notebook's metadata with the first part, then each further part.
 */
function* seedNotebook(doc: Y.Doc, content: Uint8Array): Generator<void> {
  const nb = parseNotebook(content);
  const meta = doc.getMap<unknown>('meta');
  const cells = doc.getArray<Y.Map<unknown>>('cells');
  if (meta.size > 0 || cells.length > 0) {
    throw new DocumentError('seed needs an empty document');
  }
  // nbformat < 4.5 has no ids: the document has them all the same (JupyterLab's model
  // needs them); they are dropped again when the notebook is written.
  const toMap = (cell: ICellJSON) =>
    cellMap(cell, typeof cell.id === 'string' ? cell.id : randomUUID());
  // A big notebook is seeded in parts, each under its own client id, so that the room can
  // serve it in messages that each stay under the proxy's message limit (see room.ts).
  const [first, ...rest] = seedParts(nb.cells);
  serverEdit(doc, SERVER_EDIT_ORIGIN, () => {
    meta.set('nbformat', nb.nbformat);
    meta.set('nbformat_minor', nb.nbformat_minor);
    meta.set('metadata', plainMap(nb.metadata));
    cells.insert(0, first.map(toMap));
  });
  yield;
  for (const part of rest) {
    serverEdit(doc, SERVER_EDIT_ORIGIN, () =>
      cells.insert(cells.length, part.map(toMap))
    );
    yield;
  }
}

/** About how much content one seed part holds (its update is a little larger). */
export const SEED_PART_BYTES = 1024 * 1024;

/**
 * Consecutive runs of cells of about {@link SEED_PART_BYTES} each (a single bigger cell is a
 * part of its own); always at least one part, empty for a notebook without cells.
 */
function seedParts(cells: readonly ICellJSON[]): ICellJSON[][] {
  const parts: ICellJSON[][] = [[]];
  let bytes = 0;
  for (const cell of cells) {
    const size = cellBytes(cell);
    if (bytes > 0 && bytes + size > SEED_PART_BYTES) {
      parts.push([]);
      bytes = 0;
    }
    parts[parts.length - 1].push(cell);
    bytes += size;
  }
  return parts;
}

/** Roughly what a cell weighs: its source and its outputs' text. */
function cellBytes(cell: ICellJSON): number {
  const outputs = (cell as { outputs?: unknown }).outputs;
  return (
    cell.source.length + (Array.isArray(outputs) ? textLength(outputs) : 0)
  );
}

/**
 * The length of the strings in a JSON value, about its size as JSON (without the copy that
 * JSON.stringify would make of a notebook's every output).
 */
function textLength(value: unknown): number {
  if (typeof value === 'string') {
    return value.length;
  }
  if (Array.isArray(value)) {
    let n = 0;
    for (const item of value) {
      n += textLength(item);
    }
    return n;
  }
  if (value !== null && typeof value === 'object') {
    let n = 0;
    for (const key in value) {
      n += key.length + textLength((value as Record<string, unknown>)[key]);
    }
    return n;
  }
  return 1;
}

/** How long after a notebook lost its last cell concurrent default cells count as one. */
const REFILL_WINDOW_MS = 10000;

/**
 * JupyterLab gives a notebook left without cells one empty cell, in every open copy of it:
 * two collaborators who see the last cell go each add one. Such a refill is an empty,
 * never-run cell inserted where its author saw no cell at all (nothing live on either side of
 * it when it was made); when a notebook that emptied a moment ago holds several, from
 * different collaborators, keep the first.
 */
function reconcileNotebook(doc: Y.Doc, state: IReconcileState): boolean {
  const cells = doc.getArray<Y.Map<unknown>>('cells');
  if (cells.length === 0) {
    state.emptiedAt = Date.now();
    return false;
  }
  if (!state.emptiedAt) {
    return false;
  }
  if (Date.now() - state.emptiedAt > REFILL_WINDOW_MS) {
    state.emptiedAt = 0;
    return false;
  }
  const refills: number[] = [];
  cells.forEach((cell, index) => {
    if (isPristineCell(cell) && madeInEmptyNotebook(doc, cell)) {
      refills.push(index);
    }
  });
  if (refills.length < 2) {
    return false;
  }
  serverEdit(doc, SERVER_EDIT_ORIGIN, () => {
    for (const index of refills.slice(1).reverse()) {
      cells.delete(index, 1);
    }
  });
  return true;
}

/** Whether nothing was on either side of a cell when it was inserted (both neighbours gone). */
function madeInEmptyNotebook(doc: Y.Doc, cell: Y.Map<unknown>): boolean {
  const item = cell._item;
  if (!item) {
    return false;
  }
  const gone = (id: Y.ID | null) =>
    id === null || Y.getItem(doc.store, id).deleted;
  return gone(item.origin) && gone(item.rightOrigin);
}

/** An empty cell nobody has typed in or run: the one JupyterLab adds to an empty notebook. */
function isPristineCell(cell: Y.Map<unknown>): boolean {
  const source = cell.get('source');
  const outputs = cell.get('outputs');
  return (
    (source instanceof Y.Text ? source.length : String(source ?? '').length) ===
      0 &&
    (outputs === undefined ||
      (outputs instanceof Y.Array && outputs.length === 0)) &&
    (cell.get('execution_count') ?? null) === null
  );
}

/** Every cell carries a string id, and no two the same. */
function idsUsable(cells: readonly ICellJSON[]): boolean {
  const seen = new Set<string>();
  for (const cell of cells) {
    if (typeof cell.id !== 'string' || seen.has(cell.id)) {
      return false;
    }
    seen.add(cell.id);
  }
  return true;
}

/** A cell for comparison: no id, no transient `trusted` metadata. */
function comparable(cell: ICellJSON): JSONObject {
  const out: JSONObject = { ...cell, metadata: { ...asObject(cell.metadata) } };
  delete out.id;
  delete (out.metadata as JSONObject).trusted;
  return out;
}

function sameCell(a: ICellJSON, b: ICellJSON): boolean {
  return jsonEqual(comparable(a), comparable(b));
}

/**
 * For each cell of `from`, the index of the same cell in `to`, or -1: equal type and source
 * first (longest common subsequence), then, between those, cells of equal type in order
 * (modified cells).
 */
function alignCells(
  from: readonly ICellJSON[],
  to: readonly ICellJSON[]
): Int32Array {
  const map = new Int32Array(from.length).fill(-1);
  const key = (c: ICellJSON) => `${c.cell_type}\u0000${c.source}`;
  const anchors = lcs(from.map(key), to.map(key));
  let fi = 0;
  let ti = 0;
  const fillGap = (fEnd: number, tEnd: number) => {
    if (fEnd > fi && tEnd > ti) {
      const gapFrom = from.slice(fi, fEnd).map(c => c.cell_type);
      const gapTo = to.slice(ti, tEnd).map(c => c.cell_type);
      for (const [i, j] of lcs(gapFrom, gapTo)) {
        map[fi + i] = ti + j;
      }
    }
  };
  for (const [i, j] of anchors) {
    fillGap(i, j);
    map[i] = j;
    fi = i + 1;
    ti = j + 1;
  }
  fillGap(from.length, to.length);
  return map;
}

/** For each cell of `from`, the index of the cell with its id in `to`, or -1. */
function matchById(
  from: readonly ICellJSON[],
  to: readonly ICellJSON[]
): Int32Array {
  const index = new Map<unknown, number>();
  to.forEach((cell, j) => {
    if (!index.has(cell.id)) {
      index.set(cell.id, j);
    }
  });
  return Int32Array.from(from, cell => index.get(cell.id) ?? -1);
}

/** Make `ymap` (a Y.Map of plain values) go from `base`'s keys to `target`'s, key by key. */
function mergePlainMap(
  ymap: Y.Map<unknown>,
  base: JSONObject,
  target: JSONObject
): void {
  for (const key of new Set([...Object.keys(base), ...Object.keys(target)])) {
    if (jsonEqual(base[key], target[key])) {
      continue;
    }
    if (target[key] === undefined) {
      ymap.delete(key);
    } else {
      ymap.set(key, cloneJSON(target[key]));
    }
  }
}

/** The same, on a plain object. */
function mergePlainObject(
  object: JSONObject,
  base: JSONObject,
  target: JSONObject
): void {
  for (const key of new Set([...Object.keys(base), ...Object.keys(target)])) {
    if (jsonEqual(base[key], target[key])) {
      continue;
    }
    if (target[key] === undefined) {
      delete object[key];
    } else {
      object[key] = cloneJSON(target[key]);
    }
  }
}

/** The keys of a cell other than id, type, source and metadata, on either side. */
function otherKeys(a: ICellJSON, b: ICellJSON): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    k => !STRUCTURAL_KEYS.has(k)
  );
}

function asObject(value: JSONValue | undefined): JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? value
    : {};
}

/** Apply the disk's changes to one cell's Y.Map, in place. */
function mergeCellInPlace(
  map: Y.Map<unknown>,
  base: ICellJSON,
  disk: ICellJSON
): void {
  if (base.source !== disk.source) {
    const source = map.get('source');
    if (source instanceof Y.Text) {
      mergeIntoYText(source, base.source, disk.source);
    } else {
      const text = new Y.Text();
      text.insert(0, disk.source);
      map.set('source', text);
    }
  }
  if (!jsonEqual(base.metadata, disk.metadata)) {
    const metadata = map.get('metadata');
    if (metadata instanceof Y.Map) {
      mergePlainMap(metadata, asObject(base.metadata), asObject(disk.metadata));
    } else {
      map.set('metadata', plainMap(asObject(disk.metadata)));
    }
  }
  const isCode = map.get('cell_type') === 'code';
  for (const key of otherKeys(base, disk)) {
    if (jsonEqual(base[key], disk[key])) {
      continue;
    }
    if (
      (CODE_ONLY_KEYS.has(key) && !isCode) ||
      (key === 'attachments' && isCode)
    ) {
      // The room changed the cell's type meanwhile: what the disk changed does not apply.
      continue;
    }
    const value = disk[key];
    const existing = map.get(key);
    if (
      key === 'outputs' &&
      existing instanceof Y.Array &&
      Array.isArray(value)
    ) {
      // The same Y.Array: the front end's code cell model holds on to it.
      existing.delete(0, existing.length);
      existing.insert(
        0,
        value.map(o => outputMap(asObject(o)))
      );
    } else if (value === undefined) {
      map.delete(key);
    } else if (key === 'outputs' && Array.isArray(value)) {
      const outputs = new Y.Array<Y.Map<unknown>>();
      outputs.insert(
        0,
        value.map(o => outputMap(asObject(o)))
      );
      map.set(key, outputs);
    } else {
      map.set(key, cloneJSON(value));
    }
  }
}

/** The room's cell with the disk's changes, as plain JSON (for a cell that is rebuilt). */
function mergedCellJSON(
  base: ICellJSON,
  current: ICellJSON,
  disk: ICellJSON
): ICellJSON {
  const out = cloneJSON(current as JSONObject) as ICellJSON;
  out.source = mergeText(base.source, current.source, disk.source);
  out.metadata = asObject(out.metadata);
  mergePlainObject(
    out.metadata,
    asObject(base.metadata),
    asObject(disk.metadata)
  );
  if (base.cell_type !== disk.cell_type) {
    out.cell_type = disk.cell_type;
  }
  for (const key of otherKeys(base, disk)) {
    if (jsonEqual(base[key], disk[key])) {
      continue;
    }
    if (disk[key] === undefined) {
      delete out[key];
    } else {
      out[key] = cloneJSON(disk[key] as JSONValue);
    }
  }
  if (out.cell_type === 'code') {
    out.outputs = Array.isArray(out.outputs) ? out.outputs : [];
    out.execution_count =
      out.execution_count === undefined ? null : out.execution_count;
  } else {
    delete out.outputs;
    delete out.execution_count;
  }
  return out;
}

/** What happens to one disk cell. */
type Step =
  | { kind: 'keep'; map: Y.Map<unknown> }
  | { kind: 'insert'; cell: ICellJSON; id: string }
  | { kind: 'skip' };

function mergeNotebook(
  doc: Y.Doc,
  base: INotebookJSON,
  current: IDocCell[],
  disk: INotebookJSON
): void {
  const meta = doc.getMap<unknown>('meta');
  const ycells = doc.getArray<unknown>('cells');

  // The notebook's own fields.
  if (base.nbformat !== disk.nbformat) {
    meta.set('nbformat', disk.nbformat);
  }
  if (base.nbformat_minor !== disk.nbformat_minor) {
    meta.set('nbformat_minor', disk.nbformat_minor);
  }
  if (!jsonEqual(base.metadata, disk.metadata)) {
    const ymetadata = meta.get('metadata');
    if (ymetadata instanceof Y.Map) {
      mergePlainMap(ymetadata, base.metadata, disk.metadata);
    } else {
      meta.set('metadata', plainMap(disk.metadata));
    }
  }

  // Which cells are the same cell.
  const currentJSON = current.map(c => c.json);
  const baseIds =
    hasCellIds(base.nbformat, base.nbformat_minor) && idsUsable(base.cells);
  const baseToCurrent = baseIds
    ? matchById(base.cells, currentJSON)
    : alignCells(base.cells, currentJSON);
  const byId = baseIds && idsUsable(disk.cells);
  const baseToDisk = byId
    ? matchById(base.cells, disk.cells)
    : alignCells(base.cells, disk.cells);
  const diskToBase = new Int32Array(disk.cells.length).fill(-1);
  baseToDisk.forEach((j, i) => {
    if (j >= 0) {
      diskToBase[j] = i;
    }
  });

  // Cells the disk moved: those out of the longest run it kept in base order.
  const matched: number[] = [];
  baseToDisk.forEach((j, i) => {
    if (j >= 0) {
      matched.push(i);
    }
  });
  const inOrder = new Set(
    lisIndices(matched.map(i => baseToDisk[i])).map(k => matched[k])
  );

  const usedIds = new Set<unknown>(currentJSON.map(c => c.id));
  const idFor = (cell: ICellJSON): string => {
    let id =
      typeof cell.id === 'string' && !usedIds.has(cell.id)
        ? cell.id
        : randomUUID();
    while (usedIds.has(id)) {
      id = randomUUID();
    }
    usedIds.add(id);
    return id;
  };

  const toDelete = new Set<Y.Map<unknown>>();
  // Cells deleted on disk go, unless the room changed them since base.
  base.cells.forEach((cell, i) => {
    const c = baseToCurrent[i];
    if (baseToDisk[i] < 0 && c >= 0 && sameCell(cell, current[c].json)) {
      toDelete.add(current[c].map);
    }
  });

  const steps: Step[] = disk.cells.map((diskCell, j): Step => {
    const i = diskToBase[j];
    if (i < 0) {
      return { kind: 'insert', cell: diskCell, id: idFor(diskCell) };
    }
    const baseCell = base.cells[i];
    const c = baseToCurrent[i];
    if (c < 0) {
      // The room deleted it: bring it back only if the disk changed it.
      return sameCell(baseCell, diskCell)
        ? { kind: 'skip' }
        : { kind: 'insert', cell: diskCell, id: idFor(diskCell) };
    }
    const { map, json } = current[c];
    const rebuild =
      !inOrder.has(i) ||
      baseCell.cell_type !== diskCell.cell_type ||
      !(map.get('source') instanceof Y.Text);
    if (rebuild) {
      toDelete.add(map);
      const cell = mergedCellJSON(baseCell, json, diskCell);
      return { kind: 'insert', cell, id: String(json.id) };
    }
    mergeCellInPlace(map, baseCell, diskCell);
    if (
      !baseIds &&
      typeof diskCell.id === 'string' &&
      diskCell.id !== json.id &&
      !usedIds.has(diskCell.id)
    ) {
      // The disk gave ids to a notebook that had none (4.4 → 4.5): take them.
      usedIds.add(diskCell.id);
      map.set('id', diskCell.id);
    }
    return { kind: 'keep', map };
  });

  // Deletions, last first.
  if (toDelete.size > 0) {
    const all = ycells.toArray();
    for (let k = all.length - 1; k >= 0; k--) {
      if (toDelete.has(all[k] as Y.Map<unknown>)) {
        ycells.delete(k, 1);
      }
    }
  }
  // Insertions, each after the cell that precedes it on disk (as that cell is in the room now).
  let anchor: Y.Map<unknown> | null = null;
  for (const step of steps) {
    if (step.kind === 'keep') {
      anchor = step.map;
    } else if (step.kind === 'insert') {
      const index: number = anchor ? ycells.toArray().indexOf(anchor) + 1 : 0;
      const map = cellMap(step.cell, step.id);
      ycells.insert(index, [map]);
      anchor = map;
    }
  }
}
