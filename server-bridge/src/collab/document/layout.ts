/**
 * The Yjs layout of `@jupyter/ydoc` 4 (what JupyterLab's YNotebook and YFile read and write),
 * checked against its source (`lib/ynotebook.js`, `lib/ycell.js`, `lib/yfile.js`):
 *
 *     ydoc.getMap('state')                 document state (dirty, path...): not the document layer's
 *     notebook:
 *       ydoc.getMap('meta')                { nbformat, nbformat_minor, metadata: Y.Map<plain JSON> }
 *       ydoc.getArray('cells')             Y.Array<Y.Map>, one per cell:
 *         id, cell_type                    strings
 *         source                           Y.Text
 *         metadata                         Y.Map<plain JSON> (one entry per top-level key)
 *         code cells: outputs              Y.Array<Y.Map>, one per output, plain JSON values except
 *                                          a stream output's `text`, which is a Y.Text
 *                     execution_count      number or null
 *                     execution_state      runtime only ('idle', 'running'): never saved
 *         markdown/raw: attachments        plain JSON, only when present
 *     file:
 *       ydoc.getText('source')             Y.Text
 *
 * Cell keys other than these (from a future nbformat) are kept as plain JSON and written back.
 */
import { randomInt } from 'node:crypto';
import * as Y from 'yjs';
import { DocumentError } from './errors';
import type {
  ICellJSON,
  INotebookJSON,
  JSONObject,
  JSONValue
} from './nbformat';
import { cloneJSON } from './nbformat';

/** Cell keys that are runtime state, never part of the file. */
const RUNTIME_CELL_KEYS = new Set(['execution_state']);

/** A Y.Map holding one plain JSON value per key (notebook and cell metadata). */
export function plainMap(value: JSONObject): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) {
      map.set(key, cloneJSON(item));
    }
  }
  return map;
}

/** One output as YCodeCell.createOutputs builds it: a Y.Map, a stream's text as Y.Text. */
export function outputMap(output: JSONObject): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(output)) {
    if (value === undefined) {
      continue;
    }
    if (
      key === 'text' &&
      output.output_type === 'stream' &&
      typeof value === 'string'
    ) {
      const text = new Y.Text();
      text.insert(0, value);
      map.set(key, text);
    } else {
      map.set(key, cloneJSON(value));
    }
  }
  return map;
}

/** The outputs of a code cell. */
export function outputsArray(outputs: JSONValue): Y.Array<Y.Map<unknown>> {
  const array = new Y.Array<Y.Map<unknown>>();
  if (Array.isArray(outputs)) {
    array.insert(
      0,
      outputs.map(o => outputMap(o as JSONObject))
    );
  }
  return array;
}

/** A cell as `createCell` in @jupyter/ydoc builds it (ids always present). */
export function cellMap(cell: ICellJSON, id: string): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  const source = new Y.Text();
  source.insert(0, cell.source);
  map.set('source', source);
  map.set('metadata', plainMap(cell.metadata));
  map.set('cell_type', cell.cell_type);
  map.set('id', id);
  // (A Y.Map not yet in a document cannot be read back: `has` and `get` would say nothing.)
  const keys = new Set<string>();
  for (const [key, value] of Object.entries(cell)) {
    if (
      value === undefined ||
      key === 'source' ||
      key === 'metadata' ||
      key === 'cell_type' ||
      key === 'id'
    ) {
      continue;
    }
    keys.add(key);
    if (key === 'outputs' && cell.cell_type === 'code') {
      map.set('outputs', outputsArray(value));
    } else {
      map.set(key, cloneJSON(value));
    }
  }
  if (cell.cell_type === 'code') {
    if (!keys.has('outputs')) {
      map.set('outputs', new Y.Array());
    }
    if (!keys.has('execution_count')) {
      map.set('execution_count', null);
    }
  }
  return map;
}

/** A Yjs value as plain JSON: Y.Text → string, Y.Array → list, Y.Map → object. */
export function toPlain(value: unknown): JSONValue {
  if (value instanceof Y.Text) {
    return value.toString();
  }
  if (value instanceof Y.Array) {
    return value.toArray().map(toPlain);
  }
  if (value instanceof Y.Map) {
    const out: JSONObject = {};
    value.forEach((item, key) => {
      if (item !== undefined) {
        out[key] = toPlain(item);
      }
    });
    return out;
  }
  if (value instanceof Y.AbstractType) {
    return (value as Y.AbstractType<unknown>).toJSON() as JSONValue;
  }
  if (value === undefined) {
    return null;
  }
  return cloneJSON(value as JSONValue);
}

/** One cell of the document, as plain JSON (ids kept), with its Y.Map. */
export interface IDocCell {
  map: Y.Map<unknown>;
  json: ICellJSON;
}

/** A cell's Y.Map as the cell JSON it stands for (runtime keys left out). */
export function cellFromMap(map: Y.Map<unknown>): ICellJSON {
  const out: JSONObject = {};
  map.forEach((value, key) => {
    if (!RUNTIME_CELL_KEYS.has(key) && value !== undefined) {
      out[key] = toPlain(value);
    }
  });
  if (typeof out.source !== 'string') {
    out.source = '';
  }
  if (typeof out.metadata !== 'object' || out.metadata === null) {
    out.metadata = {};
  }
  return out as ICellJSON;
}

/** The notebook a document holds, with every cell's Y.Map. */
export function readNotebook(doc: Y.Doc): {
  nb: INotebookJSON;
  cells: IDocCell[];
} {
  const meta = doc.getMap<unknown>('meta');
  const nbformat = meta.get('nbformat');
  const minor = meta.get('nbformat_minor');
  if (typeof nbformat !== 'number' || typeof minor !== 'number') {
    throw new DocumentError(
      'the document holds no notebook (no nbformat): it was never seeded'
    );
  }
  const metadataValue = meta.get('metadata');
  const metadata = (
    metadataValue === undefined ? {} : toPlain(metadataValue)
  ) as JSONObject;
  const cells: IDocCell[] = [];
  for (const item of doc.getArray<unknown>('cells').toArray()) {
    // Only Y.Maps are cells in @jupyter/ydoc; anything else a client put there is ignored.
    if (item instanceof Y.Map) {
      cells.push({ map: item, json: cellFromMap(item) });
    }
  }
  return {
    nb: {
      cells: cells.map(c => c.json),
      metadata:
        typeof metadata === 'object' &&
        metadata !== null &&
        !Array.isArray(metadata)
          ? metadata
          : {},
      nbformat,
      nbformat_minor: minor
    },
    cells
  };
}

/** The fresh random client id of one server edit: never one the document has seen. */
export function freshClientId(doc: Y.Doc): number {
  for (;;) {
    const id = randomInt(1, 0xffffffff);
    if (id !== doc.clientID && !doc.store.clients.has(id)) {
      return id;
    }
  }
}

/**
 * Run `edit` in one transaction (with `origin`) whose changes are made under a fresh random
 * client id, never the document's own: an edit the server makes must never reuse a client id
 * whose history a restart may have lost (that is how histories duplicate). The document keeps
 * its own client id afterwards; Yjs reads `doc.clientID` when it creates each item, and itself
 * changes the id of a live document when it detects a clash.
 */
export function serverEdit(
  doc: Y.Doc,
  origin: unknown,
  edit: () => void
): void {
  const own = doc.clientID;
  doc.clientID = freshClientId(doc);
  try {
    doc.transact(edit, origin);
  } finally {
    doc.clientID = own;
  }
}
