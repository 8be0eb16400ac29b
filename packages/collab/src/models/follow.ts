/**
 * Following a collaborator: your view keeps their document and their active cell (or, in a
 * text file, their cursor) in sight. Following stops when you act in your own view (a key, a
 * click, the wheel, a touch) or when they leave.
 */
import type { IPeerState } from './collaborators';
import { readAwarenessUser } from './identity';

/**
 * Where a followed collaborator is.
 */
export interface IFollowTarget {
  /**
   * The document they look at.
   */
  path: string;
  /**
   * Their active cell in it (notebooks), if they published one.
   */
  cellId: string | null;
  /**
   * Their primary cursor's head in it (text files), as a Yjs relative position (JSON), if any.
   */
  cursorHead: unknown | null;
}

/**
 * What the view should do to keep up.
 */
export type FollowAction =
  | { type: 'open'; path: string; cellId: string | null }
  | { type: 'reveal'; path: string; cellId: string | null; cursorHead: unknown }
  | { type: 'lost'; username: string };

/**
 * Where a user is: their most recently updated state that names a current document, and
 * their state in that document's room.
 */
export function followTarget(
  peers: ReadonlyArray<IPeerState>,
  username: string
): IFollowTarget | null {
  const theirs = peers.filter(
    peer =>
      !peer.local && readAwarenessUser(peer.state.user)?.username === username
  );
  let best: IPeerState | null = null;
  for (const peer of theirs) {
    const current = peer.state.current;
    if (typeof current !== 'string' || !current) {
      continue;
    }
    if (!best || peer.updatedAt > best.updatedAt) {
      best = peer;
    }
  }
  if (!best) {
    return null;
  }
  const path = best.state.current as string;
  // Their state in the room of that document (the same client, if it has it open shared).
  const inRoom =
    theirs.find(p => p.path === path && p.clientId === best!.clientId) ??
    theirs
      .filter(p => p.path === path)
      .sort((a, b) => b.updatedAt - a.updatedAt)[0];
  const cellId =
    inRoom && typeof inRoom.state.activeCellId === 'string'
      ? (inRoom.state.activeCellId as string)
      : null;
  let cursorHead: unknown = null;
  const cursors = inRoom?.state.cursors;
  if (Array.isArray(cursors) && cursors.length > 0) {
    const primary =
      cursors.find(c => c && typeof c === 'object' && (c as any).primary) ??
      cursors[0];
    cursorHead = (primary as { head?: unknown })?.head ?? null;
  }
  return { path, cellId, cursorHead };
}

/**
 * The follow state machine: whom, and what was last shown of them.
 */
export class FollowModel {
  /**
   * The user name followed; `null` when following nobody.
   */
  get following(): string | null {
    return this._username;
  }

  /**
   * Start following a user (replacing whoever was followed).
   */
  start(username: string): void {
    this._username = username;
    this._last = null;
  }

  /**
   * Stop following.
   *
   * @returns Whether someone was followed.
   */
  stop(): boolean {
    const was = this._username !== null;
    this._username = null;
    this._last = null;
    return was;
  }

  /**
   * The user acted in their own view: following stops.
   *
   * @returns Whether it stopped following someone.
   */
  interacted(): boolean {
    return this.stop();
  }

  /**
   * What to do after the awareness changed; `null` when nothing.
   *
   * The followed user's position is acted on only when it changed since the last action, so
   * the view is not pulled back while nothing happens on their side.
   */
  update(peers: ReadonlyArray<IPeerState>): FollowAction | null {
    const username = this._username;
    if (username === null) {
      return null;
    }
    const present = peers.some(
      peer =>
        !peer.local && readAwarenessUser(peer.state.user)?.username === username
    );
    if (!present) {
      this.stop();
      return { type: 'lost', username };
    }
    const target = followTarget(peers, username);
    if (!target) {
      return null;
    }
    const last = this._last;
    const headKey = JSON.stringify(target.cursorHead ?? null);
    this._last = { path: target.path, cellId: target.cellId, headKey };
    if (!last || last.path !== target.path) {
      return { type: 'open', path: target.path, cellId: target.cellId };
    }
    if (last.cellId !== target.cellId || last.headKey !== headKey) {
      return {
        type: 'reveal',
        path: target.path,
        cellId: target.cellId,
        cursorHead: target.cursorHead
      };
    }
    return null;
  }

  private _username: string | null = null;
  private _last: {
    path: string;
    cellId: string | null;
    headKey: string;
  } | null = null;
}
