/**
 * Remote cursors and selections in CodeMirror 6 editors bound to a shared Y.Text (a notebook
 * cell's source or a text file), from the room's awareness.
 *
 * Each client publishes, in its awareness state, `cursors`: a list of `{ anchor, head,
 * primary, empty }` whose positions are Yjs relative positions (JSON) in the Y.Text of the
 * editor it types in, and `user` (name, initials, colour). An editor draws the cursors of the
 * other clients whose positions fall in its own Y.Text, in their colour, with their name.
 * JupyterLab's core binds editors to Y.Text but draws no remote cursors; this extension does.
 */
import {
  Annotation,
  EditorSelection,
  Extension,
  Facet
} from '@codemirror/state';
import {
  EditorView,
  layer,
  LayerMarker,
  RectangleMarker,
  ViewPlugin,
  ViewUpdate
} from '@codemirror/view';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { readAwarenessUser } from './models/identity';

/**
 * What an editor needs to show and publish cursors.
 */
export interface IEditorAwareness {
  /**
   * The room's awareness.
   */
  awareness: Awareness;
  /**
   * The Y.Text the editor is bound to.
   */
  ytext: Y.Text;
}

/**
 * One published cursor (positions are Yjs relative positions as JSON).
 */
export interface ICursorState {
  anchor: unknown;
  head: unknown;
  primary: boolean;
  empty: boolean;
}

/**
 * A remote cursor resolved in an editor.
 */
export interface IRemoteCursor {
  clientId: number;
  name: string;
  initials: string;
  color: string;
  anchor: number;
  head: number;
  primary: boolean;
}

/**
 * The editor's Y.Text and awareness.
 */
const awarenessFacet = Facet.define<IEditorAwareness, IEditorAwareness | null>({
  combine: values => (values.length ? values[values.length - 1] : null)
});

/**
 * Marks a transaction that only redraws remote cursors.
 */
const remoteChanged = Annotation.define<boolean>();

/**
 * The remote cursors that fall in an editor's Y.Text.
 */
export function remoteCursors(config: IEditorAwareness): IRemoteCursor[] {
  const { awareness, ytext } = config;
  const ydoc = ytext.doc;
  if (!ydoc) {
    return [];
  }
  const result: IRemoteCursor[] = [];
  awareness.getStates().forEach((state, clientId) => {
    if (clientId === awareness.clientID || !state) {
      return;
    }
    const cursors = (state as { cursors?: unknown }).cursors;
    if (!Array.isArray(cursors)) {
      return;
    }
    const user = readAwarenessUser((state as { user?: unknown }).user);
    for (const cursor of cursors.slice(0, 32) as Partial<ICursorState>[]) {
      const anchor = Private.resolve(cursor?.anchor, ydoc, ytext);
      const head = Private.resolve(cursor?.head, ydoc, ytext);
      if (anchor === null || head === null) {
        continue;
      }
      result.push({
        clientId,
        name: user?.display_name ?? '',
        initials: user?.initials ?? '?',
        color: user?.color ?? 'var(--jp-ui-font-color2)',
        anchor,
        head,
        primary: cursor?.primary !== false
      });
    }
  });
  return result;
}

/**
 * A cursor: CodeMirror's rectangle in the user's colour, with a flag naming them.
 */
class CursorMarker implements LayerMarker {
  constructor(
    readonly rect: RectangleMarker,
    readonly color: string,
    readonly label: string
  ) {}

  draw(): HTMLElement {
    const dom = this.rect.draw();
    dom.style.borderLeftColor = this.color;
    const flag = document.createElement('span');
    flag.className = 'jp-Collab-cursorFlag';
    flag.style.backgroundColor = this.color;
    flag.textContent = this.label;
    dom.appendChild(flag);
    return dom;
  }

  update(): boolean {
    // Drawn afresh when it moves, so that its name shows again (it fades after a while).
    return false;
  }

  eq(other: LayerMarker): boolean {
    return (
      other instanceof CursorMarker &&
      other.color === this.color &&
      other.label === this.label &&
      this.rect.eq(other.rect)
    );
  }
}

/**
 * A selected range: CodeMirror's rectangle with the user's colour as background.
 */
class SelectionMarker implements LayerMarker {
  constructor(
    readonly rect: RectangleMarker,
    readonly color: string
  ) {}

  draw(): HTMLElement {
    const dom = this.rect.draw();
    dom.style.backgroundColor = this.color;
    return dom;
  }

  update(dom: HTMLElement, old: LayerMarker): boolean {
    if (!(old instanceof SelectionMarker)) {
      return false;
    }
    dom.style.backgroundColor = this.color;
    return this.rect.update(dom as HTMLDivElement, old.rect);
  }

  eq(other: LayerMarker): boolean {
    return (
      other instanceof SelectionMarker &&
      other.color === this.color &&
      this.rect.eq(other.rect)
    );
  }
}

/**
 * Whether a view update may move remote cursors.
 */
function needsRedraw(update: ViewUpdate): boolean {
  return (
    update.docChanged ||
    update.viewportChanged ||
    update.geometryChanged ||
    update.transactions.some(tr => tr.annotation(remoteChanged))
  );
}

const cursorsLayer = layer({
  above: true,
  class: 'jp-Collab-cursors',
  update: needsRedraw,
  markers(view) {
    const config = view.state.facet(awarenessFacet);
    if (!config) {
      return [];
    }
    const length = view.state.doc.length;
    const markers: LayerMarker[] = [];
    for (const cursor of remoteCursors(config)) {
      const head = Math.min(cursor.head, length);
      const pieces = RectangleMarker.forRange(
        view,
        cursor.primary ? 'jp-Collab-cursor jp-mod-primary' : 'jp-Collab-cursor',
        EditorSelection.cursor(head)
      );
      for (const piece of pieces) {
        markers.push(
          new CursorMarker(piece, cursor.color, cursor.name || cursor.initials)
        );
      }
    }
    return markers;
  }
});

const selectionsLayer = layer({
  above: false,
  class: 'jp-Collab-selections',
  update: needsRedraw,
  markers(view) {
    const config = view.state.facet(awarenessFacet);
    if (!config) {
      return [];
    }
    const length = view.state.doc.length;
    const markers: LayerMarker[] = [];
    for (const cursor of remoteCursors(config)) {
      if (cursor.anchor === cursor.head) {
        continue;
      }
      const range = EditorSelection.range(
        Math.min(cursor.anchor, length),
        Math.min(cursor.head, length)
      );
      for (const piece of RectangleMarker.forRange(
        view,
        'jp-Collab-selection',
        range
      )) {
        markers.push(new SelectionMarker(piece, cursor.color));
      }
    }
    return markers;
  }
});

/**
 * Publishes this editor's selection while it has the focus, and redraws when others move.
 */
const publisher = ViewPlugin.fromClass(
  class {
    constructor(view: EditorView) {
      this._view = view;
      this._config = view.state.facet(awarenessFacet);
      this._config?.awareness.on('change', this._onChange);
    }

    update(update: ViewUpdate): void {
      if (update.docChanged || update.selectionSet || update.focusChanged) {
        this._publish(update.view);
      }
    }

    destroy(): void {
      this._config?.awareness.off('change', this._onChange);
      if (this._frame !== null) {
        cancelAnimationFrame(this._frame);
      }
    }

    private _publish(view: EditorView): void {
      const config = this._config;
      if (!config || !view.hasFocus) {
        return;
      }
      const { awareness, ytext } = config;
      if (!ytext.doc || awareness.getLocalState() === null) {
        return;
      }
      const selection = view.state.selection;
      const cursors: ICursorState[] = selection.ranges.map(range => ({
        anchor: Y.relativePositionToJSON(
          Y.createRelativePositionFromTypeIndex(ytext, range.anchor)
        ),
        head: Y.relativePositionToJSON(
          Y.createRelativePositionFromTypeIndex(ytext, range.head)
        ),
        primary: range === selection.main,
        empty: range.empty
      }));
      const current = awareness.getLocalState()?.cursors;
      if (JSON.stringify(current) !== JSON.stringify(cursors)) {
        awareness.setLocalStateField('cursors', cursors);
      }
    }

    private _onChange = (changes: {
      added: number[];
      updated: number[];
      removed: number[];
    }): void => {
      const own = this._config?.awareness.clientID;
      const others = [
        ...changes.added,
        ...changes.updated,
        ...changes.removed
      ].some(id => id !== own);
      if (!others || this._frame !== null) {
        return;
      }
      // Redrawn on the next frame: never inside another editor update.
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        try {
          this._view.dispatch({ annotations: remoteChanged.of(true) });
        } catch {
          // the view was destroyed meanwhile
        }
      });
    };

    private _view: EditorView;
    private _config: IEditorAwareness | null;
    private _frame: number | null = null;
  }
);

/**
 * The CodeMirror extension: show the others' cursors and selections, publish this one's.
 */
export function collaboratorCursors(config: IEditorAwareness): Extension {
  return [awarenessFacet.of(config), cursorsLayer, selectionsLayer, publisher];
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The index of a relative position (JSON) in a Y.Text; `null` when it is in another type.
   */
  export function resolve(
    json: unknown,
    ydoc: Y.Doc,
    ytext: Y.Text
  ): number | null {
    if (!json || typeof json !== 'object') {
      return null;
    }
    try {
      const relative = Y.createRelativePositionFromJSON(json);
      const absolute = Y.createAbsolutePositionFromRelativePosition(
        relative,
        ydoc
      );
      if (!absolute || absolute.type !== ytext) {
        return null;
      }
      return absolute.index;
    } catch {
      return null;
    }
  }
}
