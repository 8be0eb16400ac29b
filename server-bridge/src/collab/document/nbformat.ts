/**
 * Notebooks as `nbformat` reads and writes them (version 4), without Python.
 *
 * - Reading mirrors `nbformat.read(f, as_version=4)` as Jupyter's contents manager calls it:
 *   JSON, then `rejoin_lines` (lists of lines become strings), `strip_transient` (the
 *   notebook's `orig_nbformat`, `orig_nbformat_minor`, `signature` and each cell's `trusted`
 *   metadata go), and the normalisation `validate` does for nbformat >= 4.5 (a missing cell id is
 *   made up, a duplicate one replaced).
 * - Writing mirrors `nbformat.write(nb, f)`: `split_lines` (source, stream text and the
 *   `text/*`, `application/javascript` and `image/svg+xml` entries of mime bundles and
 *   attachments become lists of lines), `strip_transient`, `json.dumps` with indent 1, sorted
 *   keys and non-ASCII kept, then a trailing newline.
 */
import { randomUUID } from 'node:crypto';
import { DocumentError } from './errors';
import { pyJsonDumps, pySplitLinesKeepEnds } from './pyjson';

/** Any JSON value. */
export type JSONValue =
  null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };
/** A JSON object. */
export type JSONObject = { [key: string]: JSONValue };

/** A cell in memory: strings where the file may hold lists of lines. */
export interface ICellJSON extends JSONObject {
  cell_type: string;
  source: string;
  metadata: JSONObject;
}

/** A notebook in memory (what Jupyter's contents API returns as `content`). */
export interface INotebookJSON {
  cells: ICellJSON[];
  metadata: JSONObject;
  nbformat: number;
  nbformat_minor: number;
}

export const CELL_TYPES = new Set(['code', 'markdown', 'raw']);

const NON_TEXT_SPLIT_MIMES = new Set([
  'application/javascript',
  'image/svg+xml'
]);

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonMime(mime: string): boolean {
  return (
    mime === 'application/json' ||
    (mime.startsWith('application/') && mime.endsWith('+json'))
  );
}

/** Decode UTF-8 strictly, or undefined when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    // ignoreBOM: keep a BOM as U+FEFF rather than dropping it silently.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes
    );
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A cell id as `nbformat` makes one (`generate_corpus_id`: 8 hex digits of a uuid4). */
export function newCellId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 8);
}

/** Whether the notebook format carries cell ids (>= 4.5). */
export function hasCellIds(nbformat: number, nbformatMinor: number): boolean {
  return nbformat > 4 || (nbformat === 4 && nbformatMinor >= 5);
}

function rejoinMimeBundle(data: JSONValue | undefined): void {
  if (!isObject(data)) {
    return;
  }
  for (const [key, value] of Object.entries(data)) {
    if (
      !isJsonMime(key) &&
      Array.isArray(value) &&
      value.every(line => typeof line === 'string')
    ) {
      data[key] = value.join('');
    }
  }
}

function splitMimeBundle(data: JSONValue | undefined): void {
  if (!isObject(data)) {
    return;
  }
  for (const [key, value] of Object.entries(data)) {
    if (
      typeof value === 'string' &&
      (key.startsWith('text/') || NON_TEXT_SPLIT_MIMES.has(key))
    ) {
      data[key] = pySplitLinesKeepEnds(value);
    }
  }
}

/** `nbformat.v4.rwbase.strip_transient`, in place. */
function stripTransient(nb: INotebookJSON): void {
  delete nb.metadata.orig_nbformat;
  delete nb.metadata.orig_nbformat_minor;
  delete nb.metadata.signature;
  for (const cell of nb.cells) {
    if (isObject(cell.metadata)) {
      delete cell.metadata.trusted;
    }
  }
}

/** Options of {@link parseNotebook}. */
export interface IParseOptions {
  /**
   * Make up missing ids and replace duplicates, as `nbformat.validate` does for >= 4.5
   * (default true). The merge turns it off to see which cells really carry ids.
   */
  normalizeIds?: boolean;
}

/**
 * Read a notebook file as Jupyter does.
 *
 * @throws DocumentError when the bytes are not a version 4 notebook this layer can represent:
 * not UTF-8, not JSON, not an object with `cells`, a cell of an unknown type. Fields that a
 * cell lacks but JupyterLab's model needs (`source`, `metadata`, a code cell's `outputs` and
 * `execution_count`) are filled in, as JupyterLab fills them when it loads such a notebook.
 */
export function parseNotebook(
  bytes: Uint8Array,
  options: IParseOptions = {}
): INotebookJSON {
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    throw new DocumentError('the notebook is not UTF-8 text');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DocumentError(
      `the notebook is not valid JSON: ${(err as Error).message}`
    );
  }
  return notebookFromJSON(raw, options);
}

/** {@link parseNotebook} for a value already parsed (owned by the callee from here on). */
export function notebookFromJSON(
  raw: unknown,
  options: IParseOptions = {}
): INotebookJSON {
  if (!isObject(raw)) {
    throw new DocumentError('the notebook is not a JSON object');
  }
  const { nbformat, nbformat_minor: minor } = raw;
  if (nbformat !== 4) {
    throw new DocumentError(
      `notebook format ${JSON.stringify(nbformat ?? null)} is not supported in collaborative mode (only version 4); ` +
        'open it without collaboration once to convert it'
    );
  }
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) {
    throw new DocumentError('the notebook has no valid nbformat_minor');
  }
  if (!Array.isArray(raw.cells)) {
    throw new DocumentError('the notebook has no list of cells');
  }
  const metadata = raw.metadata === undefined ? {} : raw.metadata;
  if (!isObject(metadata)) {
    throw new DocumentError('the notebook metadata is not an object');
  }
  const cells = raw.cells.map((cell, index) => readCell(cell, index));
  const nb: INotebookJSON = {
    cells,
    metadata,
    nbformat,
    nbformat_minor: minor
  };
  stripTransient(nb);
  if (options.normalizeIds !== false && hasCellIds(nbformat, minor)) {
    const seen = new Set<string>();
    for (const cell of cells) {
      let id = cell.id;
      if (typeof id !== 'string' || seen.has(id)) {
        do {
          id = newCellId();
        } while (seen.has(id));
        cell.id = id;
      }
      seen.add(id);
    }
  }
  return nb;
}

function readCell(raw: JSONValue, index: number): ICellJSON {
  if (!isObject(raw)) {
    throw new DocumentError(`cell ${index} is not a JSON object`);
  }
  const type = raw.cell_type;
  if (typeof type !== 'string' || !CELL_TYPES.has(type)) {
    throw new DocumentError(
      `cell ${index} has an unknown cell_type ${JSON.stringify(type ?? null)}`
    );
  }
  const cell = raw as ICellJSON;
  // rejoin_lines
  if (Array.isArray(cell.source)) {
    if (!(cell.source as JSONValue[]).every(l => typeof l === 'string')) {
      throw new DocumentError(`cell ${index} has a source that is not text`);
    }
    cell.source = (cell.source as string[]).join('');
  } else if (cell.source === undefined) {
    cell.source = '';
  } else if (typeof cell.source !== 'string') {
    throw new DocumentError(`cell ${index} has a source that is not text`);
  }
  if (cell.metadata === undefined) {
    cell.metadata = {};
  } else if (!isObject(cell.metadata)) {
    throw new DocumentError(`cell ${index} has metadata that is not an object`);
  }
  if (isObject(cell.attachments)) {
    for (const attachment of Object.values(cell.attachments)) {
      rejoinMimeBundle(attachment);
    }
  }
  if (type === 'code') {
    if (cell.outputs === undefined) {
      cell.outputs = [];
    }
    if (cell.execution_count === undefined) {
      cell.execution_count = null;
    }
    if (!Array.isArray(cell.outputs)) {
      throw new DocumentError(`cell ${index} has outputs that are not a list`);
    }
    cell.outputs.forEach((output, i) => {
      if (!isObject(output)) {
        throw new DocumentError(
          `output ${i} of cell ${index} is not an object`
        );
      }
      const outputType = output.output_type;
      if (outputType === 'execute_result' || outputType === 'display_data') {
        rejoinMimeBundle(output.data);
      } else if (outputType && Array.isArray(output.text)) {
        output.text = (output.text as JSONValue[]).join('');
      }
    });
  }
  return cell;
}

/**
 * A deep copy of a JSON value, made of this realm's plain objects and arrays (Yjs accepts a
 * value only when its constructor is this realm's Object or Array).
 */
export function cloneJSON<T extends JSONValue>(value: T): T {
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(item => cloneJSON(item)) as T;
  }
  const out: JSONObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) {
      out[key] = cloneJSON(item);
    }
  }
  return out as T;
}

/**
 * The file content of a notebook, byte for byte what `nbformat.write` writes. Cell ids are
 * dropped for nbformat 4.0–4.4, as JupyterLab and jupyter_ydoc drop them.
 */
export function writeNotebook(nb: INotebookJSON): Uint8Array {
  return encodeUtf8(notebookText(nb));
}

/** {@link writeNotebook} as a string. Does not modify `nb`. */
export function notebookText(nb: INotebookJSON): string {
  const copy = cloneJSON(
    nb as unknown as JSONObject
  ) as unknown as INotebookJSON;
  if (!isObject(copy.metadata)) {
    copy.metadata = {};
  }
  const withIds = hasCellIds(copy.nbformat, copy.nbformat_minor);
  for (const cell of copy.cells) {
    if (!withIds) {
      delete cell.id;
    }
    // split_lines
    if (typeof cell.source === 'string') {
      (cell as JSONObject).source = pySplitLinesKeepEnds(cell.source);
    }
    if (isObject(cell.attachments)) {
      for (const attachment of Object.values(cell.attachments)) {
        splitMimeBundle(attachment);
      }
    }
    if (cell.cell_type === 'code' && Array.isArray(cell.outputs)) {
      for (const output of cell.outputs) {
        if (!isObject(output)) {
          continue;
        }
        if (
          output.output_type === 'execute_result' ||
          output.output_type === 'display_data'
        ) {
          splitMimeBundle(output.data);
        } else if (
          output.output_type === 'stream' &&
          typeof output.text === 'string'
        ) {
          output.text = pySplitLinesKeepEnds(output.text);
        }
      }
    }
  }
  stripTransient(copy);
  const text = pyJsonDumps(copy);
  return text.endsWith('\n') ? text : text + '\n';
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== typeof b || a === null || b === null) {
    return false;
  }
  if (typeof a !== 'object') {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter(k => ra[k] !== undefined);
  const kb = Object.keys(rb).filter(k => rb[k] !== undefined);
  if (ka.length !== kb.length) {
    return false;
  }
  return ka.every(k => k in rb && jsonEqual(ra[k], rb[k]));
}
