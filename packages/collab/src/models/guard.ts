/**
 * Keeps a read-only user's copy of a shared document equal to the room's.
 *
 * Making the editors read-only stops typing, but JupyterLab's notebook commands (insert, move,
 * delete and paste cells, run a cell, change metadata...) write to the shared model whatever the
 * editors say. The room drops a read-only user's updates, so such a change would stay on this
 * screen only, and the user would read a document nobody else has. The guard undoes every
 * local change as soon as it is made while the document is read-only, and says so.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import * as Y from 'yjs';

/**
 * Undoes local changes to a Y.Doc while it is enabled. Remote updates (applied by the provider,
 * `transaction.local === false`) are never touched.
 */
export class ReadOnlyGuard {
  /**
   * @param doc - the shared document's Y.Doc, its top-level types already defined.
   */
  constructor(doc: Y.Doc) {
    this._undo = new Y.UndoManager([...doc.share.values()], {
      captureTimeout: 0,
      // Every origin counts: JupyterLab's models use several (null, the model itself...).
      trackedOrigins: Private.everyOrigin,
      captureTransaction: tr =>
        this._enabled && tr.local && tr.origin !== this._undo
    });
    this._undo.on('stack-item-added', this._onCaptured);
  }

  /**
   * Whether local changes are undone.
   */
  get enabled(): boolean {
    return this._enabled;
  }
  set enabled(value: boolean) {
    this._enabled = value;
    if (!value) {
      this._undo.clear();
    }
  }

  /**
   * Emitted after a local change was undone.
   */
  get refused(): ISignal<this, void> {
    return this._refused;
  }

  /**
   * Stop watching the document.
   */
  dispose(): void {
    this._undo.off('stack-item-added', this._onCaptured);
    this._undo.destroy();
    Signal.clearData(this);
  }

  private _onCaptured = (event: { type: 'undo' | 'redo' }): void => {
    if (event.type !== 'undo' || this._scheduled) {
      return;
    }
    // Not from inside the transaction's cleanup: once the code that made the change is done.
    this._scheduled = true;
    queueMicrotask(() => {
      this._scheduled = false;
      let undone = false;
      while (this._undo.undoStack.length > 0) {
        this._undo.undo();
        undone = true;
      }
      this._undo.clear();
      if (undone) {
        this._refused.emit();
      }
    });
  };

  private _enabled = false;
  private _scheduled = false;
  private readonly _undo: Y.UndoManager;
  private readonly _refused = new Signal<this, void>(this);
}

namespace Private {
  /**
   * A `trackedOrigins` that holds every origin (the UndoManager only asks `has`, and adds and
   * deletes its own).
   */
  export const everyOrigin = {
    has: () => true,
    add: () => undefined,
    delete: () => undefined
  } as unknown as Set<unknown>;
}
