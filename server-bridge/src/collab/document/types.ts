/**
 * The document layer's interface (documented in index.ts, which re-exports it).
 */
import type * as Y from 'yjs';

/** What a document is: a notebook (YNotebook layout) or a text file (YFile layout). */
export type DocumentKind = 'notebook' | 'file';

/** A file as read from or written to disk. */
export interface IDiskState {
  content: Uint8Array;
  /** sha256 of `content`, lowercase hex. */
  hash: string;
  mtimeMs: number;
}

/** Seeds, serializes and merges one kind of document. Stateless: one per kind. */
export interface IDocumentAdapter {
  kind: DocumentKind;
  /**
   * Fill an EMPTY Y.Doc from file content (seeding), with origin {@link SERVER_EDIT_ORIGIN},
   * each transaction under a fresh client id (a big notebook in several, so that it can be
   * served in parts).
   *
   * @throws DocumentError, leaving the document untouched: with `readOnly: true` when the
   * file is fine but cannot be edited without mangling it (a text file that is not UTF-8; the
   * error's message is the one to show), without it when the content is unusable (a notebook
   * that is not JSON, not nbformat 4...), or when the document is not empty.
   */
  seed(doc: Y.Doc, content: Uint8Array): void;
  /**
   * The same seed in steps, for a caller that serves each part as it is made: every step is
   * one transaction (the first also reads the content, and throws as `seed` does); the caller
   * may yield to the event loop between steps, touching the document only once all are done.
   * Adapters that seed in one transaction need not have it.
   */
  seedSteps?(doc: Y.Doc, content: Uint8Array): Iterable<void>;
  /**
   * The file content the doc represents, byte-exact as Jupyter would write it.
   *
   * @throws DocumentError when the document holds no such content (a notebook never seeded).
   */
  serialize(doc: Y.Doc): Uint8Array;
  /**
   * Apply to `doc` the difference between `base` (the content last saved or seeded) and
   * `disk`, merged with the room's edits made since `base`, in one transaction under a fresh
   * client id with origin {@link SERVER_EDIT_ORIGIN}. Returns 'merged' (also when there was
   * nothing to do) or `{conflict}` when the disk content cannot be merged (not a notebook any
   * more, not UTF-8 any more): the document is then untouched and the caller keeps both
   * versions.
   */
  applyDiskChange(
    doc: Y.Doc,
    base: Uint8Array,
    disk: Uint8Array
  ): 'merged' | { conflict: Uint8Array };
  /**
   * After clients' updates: undo, as a server edit, what concurrent clients did twice that no
   * one meant (JupyterLab adds an empty cell to a notebook left without cells, and every open
   * copy does so on its own). Returns true when it edited the document.
   *
   * @param state - the room's memory of earlier calls.
   */
  reconcile?(doc: Y.Doc, state: IReconcileState): boolean;
}

/** What a room keeps between `reconcile` calls (opaque to the room). */
export interface IReconcileState {
  /** When the notebook was last seen without cells (ms), or 0. */
  emptiedAt: number;
}

/** Every file operation under the root directory, made in a child process that can be killed. */
export interface IFileAgent {
  /** The file, or null when it does not exist. */
  read(relPath: string): Promise<IDiskState | null>;
  /** Size and mtime (and the content hash, from a cache keyed by inode, size and times). */
  stat(
    relPath: string
  ): Promise<{ hash?: string; mtimeMs: number; size: number } | null>;
  /** Temp file in the same directory, fsync, rename over, fsync the directory; mode kept. */
  writeAtomic(relPath: string, content: Uint8Array): Promise<IDiskState>;
  /** A new file beside `relPath`, never overwriting one; returns its relPath. */
  writeConflictCopy(relPath: string, content: Uint8Array): Promise<string>;
  close(): Promise<void>;
}

/** The transaction origin of every edit the document layer makes (seeding, disk changes). */
export const SERVER_EDIT_ORIGIN = 'mlinfn:server-edit';
