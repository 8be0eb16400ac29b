/**
 * Text files: @jupyter/ydoc's YFile layout (`ydoc.getText('source')`), round-tripped byte for
 * byte.
 *
 * - A file whose every line break is CRLF is held with LF in the shared text (the editor,
 *   CodeMirror, works in LF) and written back with CRLF; any other file (LF, mixed, old-Mac CR)
 *   is held exactly as it is. The choice is made only when it round-trips exactly.
 * - A UTF-8 byte order mark is held outside the text and written back.
 * - Both facts live in the document itself, in `ydoc.getMap('mlinfn')` (`crlf`, `bom`:
 *   booleans), so that a room rebuilt from its update log writes the file as it was. The front
 *   end never reads that map.
 * - A file that is not UTF-8 cannot be held in a Y.Text without mangling it: seeding throws a
 *   read-only DocumentError and the file is never written.
 */
import * as Y from 'yjs';
import { DocumentError } from './errors';
import { mergeIntoYText } from './merge-text';
import { decodeUtf8, encodeUtf8 } from './nbformat';
import { serverEdit } from './layout';
import type { IDocumentAdapter } from './types';
import { SERVER_EDIT_ORIGIN } from './types';

/** The top-level map with what a text file's bytes need besides the text. */
export const FILE_FORMAT_MAP = 'mlinfn';

const BOM = '\ufeff';

/** How a file's bytes map to the shared text. */
export interface ITextForm {
  text: string;
  crlf: boolean;
  bom: boolean;
}

/** The bytes for a text in a form. */
export function textBytes(form: ITextForm): Uint8Array {
  let text = form.text;
  if (form.crlf) {
    text = text.replace(/\r?\n/g, '\r\n');
  }
  return encodeUtf8(form.bom ? BOM + text : text);
}

/**
 * The shared text for a file's content, or undefined when it is not UTF-8.
 *
 * @param crlfWithoutBreaks - the CRLF choice for content without any line break (it cannot
 * tell): the document's current choice, so that lines typed later keep the file's style.
 */
export function textForm(
  content: Uint8Array,
  crlfWithoutBreaks = false
): ITextForm | undefined {
  let text = decodeUtf8(content);
  if (text === undefined) {
    return undefined;
  }
  const bom = text.startsWith(BOM);
  if (bom) {
    text = text.slice(1);
  }
  if (!/[\r\n]/.test(text)) {
    return { text, crlf: crlfWithoutBreaks, bom };
  }
  if (text.includes('\r\n') && !/(^|[^\r])\n/.test(text)) {
    const lf = text.replace(/\r\n/g, '\n');
    if (lf.replace(/\r?\n/g, '\r\n') === text) {
      return { text: lf, crlf: true, bom };
    }
  }
  return { text, crlf: false, bom };
}

function formatMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(FILE_FORMAT_MAP);
}

const NOT_UTF8 =
  'This file is not UTF-8 text: it is open read-only, so that it is never rewritten with ' +
  'its bytes changed. Edit it with a tool that knows its encoding, or convert it to UTF-8.';

/** The adapter for text files. */
export const fileAdapter: IDocumentAdapter = {
  kind: 'file',

  seed(doc: Y.Doc, content: Uint8Array): void {
    const form = textForm(content);
    if (!form) {
      throw new DocumentError(NOT_UTF8, { readOnly: true });
    }
    const source = doc.getText('source');
    if (source.length > 0 || formatMap(doc).size > 0) {
      throw new DocumentError('seed needs an empty document');
    }
    serverEdit(doc, SERVER_EDIT_ORIGIN, () => {
      source.insert(0, form.text);
      formatMap(doc).set('crlf', form.crlf);
      formatMap(doc).set('bom', form.bom);
    });
  },

  serialize(doc: Y.Doc): Uint8Array {
    const format = formatMap(doc);
    return textBytes({
      text: doc.getText('source').toString(),
      crlf: format.get('crlf') === true,
      bom: format.get('bom') === true
    });
  },

  applyDiskChange(
    doc: Y.Doc,
    base: Uint8Array,
    disk: Uint8Array
  ): 'merged' | { conflict: Uint8Array } {
    if (Buffer.from(base).equals(disk)) {
      return 'merged';
    }
    const format = formatMap(doc);
    const crlf = format.get('crlf') === true;
    const bom = format.get('bom') === true;
    const source = doc.getText('source');
    if (
      Buffer.from(textBytes({ text: source.toString(), crlf, bom })).equals(
        disk
      )
    ) {
      // The disk already holds what the room holds (our own save, or the same edit).
      return 'merged';
    }
    const diskForm = textForm(disk, crlf);
    if (!diskForm) {
      // Not UTF-8 any more: the room cannot hold it. Both versions are kept by the caller.
      return { conflict: disk };
    }
    // The base as the room held it when it saved: its bytes under the room's form.
    let baseText = decodeUtf8(base);
    if (baseText === undefined) {
      return { conflict: disk };
    }
    if (bom && baseText.startsWith(BOM)) {
      baseText = baseText.slice(1);
    }
    if (crlf) {
      baseText = baseText.replace(/\r\n/g, '\n');
    }
    serverEdit(doc, SERVER_EDIT_ORIGIN, () => {
      mergeIntoYText(source, baseText as string, diskForm.text);
      if (diskForm.crlf !== crlf) {
        format.set('crlf', diskForm.crlf);
      }
      if (diskForm.bom !== bom) {
        format.set('bom', diskForm.bom);
      }
    });
    return 'merged';
  }
};
