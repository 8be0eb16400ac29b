/**
 * Who is here: the collaborators seen on the awareness of every open shared document.
 *
 * Each client publishes on the awareness of every room it has open: `user` (who), `documents`
 * (the paths it has open as shared documents), `current` (the path of the document it looks
 * at, `null` when none) and, in the room of a notebook, `activeCellId` (the cell it is on). A
 * user with several tabs has several clients; they are shown as one collaborator.
 */
import { IAwarenessUser, readAwarenessUser } from './identity';

/**
 * One awareness state of one room.
 */
export interface IPeerState {
  /**
   * The Yjs client id that published it.
   */
  clientId: number;
  /**
   * The path of the room's document.
   */
  path: string;
  /**
   * The state as published.
   */
  state: Record<string, unknown>;
  /**
   * When it was last updated (ms since the epoch; the awareness meta's `lastUpdated`).
   */
  updatedAt: number;
  /**
   * Whether this client is one of this page's own documents.
   */
  local: boolean;
}

/**
 * A collaborator as the panel and the avatars show them.
 */
export interface ICollaborator extends IAwarenessUser {
  /**
   * Whether this is the current user (any of their tabs, this one included).
   */
  isSelf: boolean;
  /**
   * The shared documents they have open, sorted.
   */
  documents: string[];
  /**
   * The document they look at (their most recent state that says); `null` when unknown.
   */
  current: string | null;
  /**
   * When any of their states was last updated.
   */
  updatedAt: number;
}

/**
 * The string items of a list published by someone else, bounded.
 */
export function stringList(value: unknown, max = 200): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value
    .filter((item): item is string => typeof item === 'string' && item !== '')
    .slice(0, max);
}

/**
 * The collaborators seen in the given states, the current user first, then by name.
 *
 * @param peers - Every awareness state of every open room.
 * @param selfUsername - The current user's name (their other tabs count as themselves).
 */
export function aggregateCollaborators(
  peers: ReadonlyArray<IPeerState>,
  selfUsername: string | null
): ICollaborator[] {
  const byUser = new Map<
    string,
    {
      user: IAwarenessUser;
      documents: Set<string>;
      current: string | null;
      currentAt: number;
      updatedAt: number;
      isSelf: boolean;
    }
  >();
  for (const peer of peers) {
    const user = readAwarenessUser(peer.state.user);
    if (!user) {
      continue;
    }
    let entry = byUser.get(user.username);
    if (!entry) {
      entry = {
        user,
        documents: new Set(),
        current: null,
        currentAt: -Infinity,
        updatedAt: -Infinity,
        isSelf: peer.local || user.username === selfUsername
      };
      byUser.set(user.username, entry);
    }
    entry.isSelf = entry.isSelf || peer.local;
    entry.documents.add(peer.path);
    for (const doc of stringList(peer.state.documents)) {
      entry.documents.add(doc);
    }
    const current = peer.state.current;
    if (
      typeof current === 'string' &&
      current &&
      peer.updatedAt >= entry.currentAt
    ) {
      entry.current = current;
      entry.currentAt = peer.updatedAt;
    }
    if (peer.updatedAt > entry.updatedAt) {
      entry.updatedAt = peer.updatedAt;
      entry.user = user;
    }
  }
  const list: ICollaborator[] = [...byUser.values()].map(entry => ({
    ...entry.user,
    isSelf: entry.isSelf,
    documents: [...entry.documents].sort(),
    current: entry.current,
    updatedAt: entry.updatedAt
  }));
  list.sort((a, b) => {
    if (a.isSelf !== b.isSelf) {
      return a.isSelf ? -1 : 1;
    }
    return a.display_name.localeCompare(b.display_name);
  });
  return list;
}

/**
 * The collaborators of one document (for its toolbar): the other users present in its room.
 */
export function documentCollaborators(
  peers: ReadonlyArray<IPeerState>,
  selfUsername: string | null
): ICollaborator[] {
  return aggregateCollaborators(peers, selfUsername).filter(c => !c.isSelf);
}
