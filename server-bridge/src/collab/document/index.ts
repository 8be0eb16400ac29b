/**
 * The collab document layer: what a room's Y.Doc holds for a file, how it is written back, how a
 * change on disk is merged in, and every file operation under the Jupyter root (in a child
 * process that is killed when storage hangs). The room server (src/collab/) builds on this.
 *
 * The interface (types.ts holds the declarations, with their doc comments):
 *
 *     type DocumentKind = 'notebook' | 'file';
 *     interface IDiskState { content: Uint8Array; hash: string; mtimeMs: number }  // sha256 hex
 *     interface IDocumentAdapter {
 *       kind: DocumentKind;
 *       seed(doc: Y.Doc, content: Uint8Array): void;               // throws DocumentError
 *       seedSteps?(doc: Y.Doc, content: Uint8Array): Iterable<void>; // the seed, a step a part
 *       serialize(doc: Y.Doc): Uint8Array;                          // throws DocumentError
 *       applyDiskChange(doc: Y.Doc, base: Uint8Array, disk: Uint8Array):
 *         'merged' | { conflict: Uint8Array };
 *     }
 *     function adapterFor(kind: DocumentKind): IDocumentAdapter;
 *     interface IFileAgent {
 *       read(relPath): Promise<IDiskState | null>;
 *       stat(relPath): Promise<{ hash?: string; mtimeMs: number; size: number } | null>;
 *       writeAtomic(relPath, content): Promise<IDiskState>;
 *       writeConflictCopy(relPath, content): Promise<string>;      // the copy's relPath
 *       close(): Promise<void>;
 *     }
 *     function createFileAgent(rootDir: string, options?: { timeoutMs?: number }): IFileAgent;
 *     class DocumentError extends Error { readOnly?: boolean }
 *     class StorageError extends Error { code: string }            // the file agent's errors
 *     const SERVER_EDIT_ORIGIN: string;
 *     function createContentsEventStream(options): IContentsEventStream;
 *
 * CHANGED from the interface first agreed:
 *
 * 1. `IDocumentAdapter.readOnlyReason` is gone. Read-only is a property of one file's content,
 *    not of an adapter (one adapter serves every file of its kind): `seed` throws a
 *    `DocumentError` with `readOnly: true` and the message to show (a text file that is not
 *    UTF-8), leaving the document empty. The room then opens read-only for everyone, shows
 *    `err.message`, and never writes the file. A `DocumentError` without `readOnly` means the
 *    content is unusable (a notebook that is not JSON, not nbformat 4, or not UTF-8): the room
 *    does not open.
 * 2. Added `SERVER_EDIT_ORIGIN`: the transaction origin of every edit this layer makes (seed,
 *    applyDiskChange), so that the room can tell them from clients' updates.
 * 3. Added `StorageError` (with `code`: 'ETIMEDOUT' = storage not responding, 'EINVALIDPATH',
 *    'EESCAPE', 'ENOTFILE', 'ENOENT', ...), which every file agent failure is.
 * 4. Added `createContentsEventStream` (events.ts): the Jupyter server's contents events
 *    (saves, renames, deletions made through Jupyter), from the server extension's
 *    `GET {MLINFN_SERVER_URL}mlinfn/bridge/events` stream, with reconnects.
 * 5. Added `IDocumentAdapter.seedSteps` (notebooks): the seed one part at a time, so that the
 *    room can send each part of a big notebook to the first clients while it makes the next.
 *
 * What the room server must do for these guarantees to hold:
 *
 * - `base` is exactly the bytes last seeded from (`read().content`) or last written
 *   (`writeAtomic(...).content`) for that file, never a re-serialization: a stale base makes
 *   the merge apply a change twice.
 * - `applyDiskChange` leaves the document untouched on `{conflict}`; keep both versions, e.g.
 *   `writeConflictCopy(path, conflict)` then save the room's version over the file, and tell
 *   the users where the disk's version went.
 * - After every `onConnect` of the contents event stream (the first included), re-check every
 *   open file with `stat` (events are not replayed); also re-check on a timer for changes made
 *   outside Jupyter (editors, git, kernels), which no event announces.
 * - Serialize per path what touches one file (the file agent already runs one request per path
 *   at a time).
 *
 * Layout of the documents (layout.ts): exactly @jupyter/ydoc 4's YNotebook (`meta`, `cells`)
 * and YFile (`source`). A text file also has `ydoc.getMap('mlinfn')` with `crlf` and `bom`
 * (file.ts), which the front end never reads.
 *
 * Server edits use a fresh random client id each (layout.ts, `serverEdit`), never the doc's own.
 *
 * Notebooks are written byte-for-byte as `nbformat.write` writes them (nbformat.ts). What
 * JavaScript cannot know is written as JupyterLab's own save writes it: a float with an
 * integral value (`1.0`) becomes `1`, as it does when JupyterLab saves through the contents
 * API and in jupyter-collaboration.
 */
import type { IDocumentAdapter, DocumentKind } from './types';
import { fileAdapter } from './file';
import { notebookAdapter } from './notebook';

export type {
  DocumentKind,
  IDiskState,
  IDocumentAdapter,
  IFileAgent,
  IReconcileState
} from './types';
export { SERVER_EDIT_ORIGIN } from './types';
export { DocumentError } from './errors';
export { createFileAgent, StorageError } from './file-agent';
export type { IFileAgentOptions } from './file-agent';
export {
  createContentsEventStream,
  type IContentsEvent,
  type IContentsEventStream,
  type IContentsEventStreamOptions
} from './events';

/** The adapter for a kind of document (stateless; the same object every time). */
export function adapterFor(kind: DocumentKind): IDocumentAdapter {
  switch (kind) {
    case 'notebook':
      return notebookAdapter;
    case 'file':
      return fileAdapter;
    default:
      throw new Error(`unknown document kind: ${String(kind)}`);
  }
}
