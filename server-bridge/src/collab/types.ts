/**
 * What the room server consumes from the document layer (src/collab/document, built
 * separately): the nbformat/text ↔ Y.Doc adapters and the file agent that does every file
 * operation under the Jupyter root dir in a killable child process. The room server is
 * built and unit-tested against these interfaces (with fakes in unit tests).
 */
export type {
  DocumentKind,
  IDiskState,
  IDocumentAdapter,
  IFileAgent,
  IReconcileState
} from './document/types';
/** A contents event from the Jupyter server, as the server extension streams it. */
export type { IContentsEvent } from './document/events';
