import { ISignal, Signal } from '@lumino/signaling';
import type { ICollaborator, IPeerState } from './models/collaborators';
import type { CollabSession } from './session';
import type { ICollaboration } from './tokens';

/**
 * The collaborative mode when it stood down (jupyter-collaboration is installed, or this
 * JupyterLab has no content-provider registry): nothing is shared, and the views say why.
 */
export class UnavailableCollaboration implements ICollaboration {
  constructor(reason: string) {
    this.unavailableReason = reason;
  }

  readonly available = false;
  readonly unavailableReason: string;
  readonly enabled = false;
  readonly sessions: ReadonlyArray<CollabSession> = [];
  readonly user = null;

  get enabledChanged(): ISignal<this, boolean> {
    return this._enabledChanged;
  }

  get sessionsChanged(): ISignal<this, void> {
    return this._void;
  }

  get awarenessChanged(): ISignal<this, void> {
    return this._void;
  }

  get widgetAdded(): ISignal<this, any> {
    return this._widgetAdded;
  }

  async setEnabled(): Promise<void> {
    throw new Error(this.unavailableReason);
  }

  sessionFor(): null {
    return null;
  }

  sessionForWidget(): null {
    return null;
  }

  peers(): IPeerState[] {
    return [];
  }

  collaborators(): ICollaborator[] {
    return [];
  }

  async openShared(): Promise<undefined> {
    throw new Error(this.unavailableReason);
  }

  findWidget(): undefined {
    return undefined;
  }

  private _enabledChanged = new Signal<this, boolean>(this);
  private _void = new Signal<this, void>(this);
  private _widgetAdded = new Signal<this, any>(this);
}
