/**
 * Whether a user may edit a shared document, and how firm a refusal is.
 *
 * The room decides (its room-status message says `readOnly` and why); before it has spoken,
 * the ticket's permissions predict it. A refusal is a boundary only where the user cannot run
 * code on the server: anyone who can execute code in a kernel or a terminal runs it as the
 * server's user and could change the file anyway, so read-only is then a courtesy. On a
 * personal server (a JupyterHub user's server shared with others) that is always the case.
 */
import type { BridgeIdentity, CollabRoomStatus } from '@mlinfn/common';

/**
 * The read-only decision for one user and document.
 */
export interface IReadOnlyDecision {
  /**
   * Whether the document opens read-only for this user.
   */
  readOnly: boolean;
  /**
   * Why, in one sentence from the room (or the front end's own when the room has not said);
   * `null` when it is editable.
   */
  reason: string | null;
  /**
   * Whether it is read-only for everyone (a file that cannot be edited), not only this user.
   */
  forEveryone: boolean;
  /**
   * Whether read-only is a courtesy rather than a boundary (the user can run code here).
   */
  courtesy: boolean;
}

/**
 * What the decision is made from.
 */
export interface IReadOnlyInputs {
  /**
   * The verified permissions (`perms` of the ticket); `null` when not known yet.
   */
  permissions: BridgeIdentity['permissions'] | null;
  /**
   * The room's latest status; `null` before the first.
   */
  status: Pick<
    CollabRoomStatus,
    'readOnly' | 'readOnlyReason' | 'documentReadOnly'
  > | null;
  /**
   * Whether this is a JupyterHub user's personal server used by someone else.
   */
  personalServer: boolean;
}

/**
 * Whether a list of actions holds one of `wanted`.
 */
function allows(actions: unknown, ...wanted: string[]): boolean {
  return (
    Array.isArray(actions) && actions.some(action => wanted.includes(action))
  );
}

/**
 * Decide whether a document is read-only for a user.
 */
export function readOnlyDecision(inputs: IReadOnlyInputs): IReadOnlyDecision {
  const perms = inputs.permissions as Record<string, unknown> | null;
  const canRunCode =
    !!perms &&
    (allows(perms.kernels, 'execute') ||
      allows(perms.terminals, 'execute', 'write'));
  const status = inputs.status;
  if (status) {
    if (!status.readOnly) {
      return {
        readOnly: false,
        reason: null,
        forEveryone: false,
        courtesy: false
      };
    }
    return {
      readOnly: true,
      reason: status.readOnlyReason,
      forEveryone: status.documentReadOnly,
      courtesy:
        !status.documentReadOnly && (inputs.personalServer || canRunCode)
    };
  }
  if (perms && !allows(perms.contents, 'write')) {
    return {
      readOnly: true,
      reason: null,
      forEveryone: false,
      courtesy: inputs.personalServer || canRunCode
    };
  }
  return { readOnly: false, reason: null, forEveryone: false, courtesy: false };
}
