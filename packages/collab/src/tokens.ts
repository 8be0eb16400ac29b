import type { DocumentChange, YDocument } from '@jupyter/ydoc';
import type { IDocumentWidget } from '@jupyterlab/docregistry';
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';
import type { ICollaborator, IPeerState } from './models/collaborators';
import type { IAwarenessUser } from './models/identity';
import type { CollabSession } from './session';

/**
 * The id of the content provider that serves shared documents. jupyter-collaboration registers
 * `rtc`; registering an id twice throws, so this suite takes its own.
 */
export const PROVIDER_ID = 'mlinfn-rtc';

/**
 * The user settings of the collaborative mode (`schema/plugin.json`).
 */
export interface ICollabSettings {
  /**
   * Whether notebooks and text files open as shared documents. Documents already open keep
   * their mode until they are reopened.
   */
  collaborative: boolean;

  /**
   * Whether notifications tell about changes merged from disk.
   */
  notifyDiskMerges: boolean;
}

/**
 * Where the rooms' tickets come from (the bridge client's).
 */
export type { ITicketSource } from '@mlinfn/common';

/**
 * The collaborative mode of a page: the shared documents, the people in them, and the mode.
 */
export interface ICollaboration {
  /**
   * Whether the collaborative mode works here; `false` when it stood down (jupyter-collaboration
   * is installed, or the content-provider registry is missing).
   */
  readonly available: boolean;

  /**
   * Why it stood down, in one sentence; `null` when it is available.
   */
  readonly unavailableReason: string | null;

  /**
   * Whether documents open as shared ones (the `collaborative` setting).
   */
  readonly enabled: boolean;

  /**
   * Emitted when `enabled` changes.
   */
  readonly enabledChanged: ISignal<ICollaboration, boolean>;

  /**
   * Turn the collaborative mode on or off (saved in the user settings).
   */
  setEnabled(enabled: boolean): Promise<void>;

  /**
   * The open shared documents.
   */
  readonly sessions: ReadonlyArray<CollabSession>;

  /**
   * Emitted when a shared document opens or closes, or changes state.
   */
  readonly sessionsChanged: ISignal<ICollaboration, void>;

  /**
   * The session of a shared model; `null` for an ordinary document.
   */
  sessionFor(sharedModel: unknown): CollabSession | null;

  /**
   * The session of a document widget; `null` for an ordinary document.
   */
  sessionForWidget(
    widget: IDocumentWidget | null | undefined
  ): CollabSession | null;

  /**
   * Emitted when a document widget of a shared document is created.
   */
  readonly widgetAdded: ISignal<
    ICollaboration,
    { widget: IDocumentWidget; session: CollabSession }
  >;

  /**
   * Emitted (at most once per frame) when any awareness state of any room changes.
   */
  readonly awarenessChanged: ISignal<ICollaboration, void>;

  /**
   * Who this user is on the rooms; `null` before the bridge verified it.
   */
  readonly user: IAwarenessUser | null;

  /**
   * Every awareness state of every open room.
   */
  peers(): IPeerState[];

  /**
   * The collaborators seen in the open rooms, this user first.
   */
  collaborators(): ICollaborator[];

  /**
   * Open a document as a shared one, whatever the mode (reveal it when it already is).
   *
   * @returns The widget, when it could be opened.
   */
  openShared(path: string): Promise<IDocumentWidget | undefined>;

  /**
   * The widget showing a path (a shared one preferred), if any.
   */
  findWidget(path: string): IDocumentWidget | undefined;
}

/**
 * The collaborative-mode token.
 */
export const ICollaboration = new Token<ICollaboration>(
  '@mlinfn/collab:ICollaboration',
  'The collaborative mode: shared documents synced with the mlinfn bridge, and the people in them.'
);

/**
 * The shared model type of a session.
 */
export type SharedModel = YDocument<DocumentChange>;
