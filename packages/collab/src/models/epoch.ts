/**
 * Epochs: a room whose history had to be rebuilt (its log lost) has a new epoch, and a client
 * holding a document of an older epoch must drop it and open the document afresh: merging two
 * histories of the same text is what duplicates cells. Never merge.
 */
import type { CollabEpochMessage } from '@mlinfn/common';

/**
 * What to do with an epoch message.
 *
 * - `adopt`: the first epoch this document hears of: keep it and send it on every reconnection;
 * - `keep`: the room still has the document's epoch;
 * - `reload`: the document belongs to another history: drop it and open the document afresh.
 */
export type EpochDecision =
  | { action: 'adopt'; epoch: string }
  | { action: 'keep' }
  | { action: 'reload'; epoch: string };

/**
 * Decide on an epoch message.
 *
 * @param held - The epoch the local document belongs to; `null` for a fresh document that has
 *   not heard one yet.
 * @param message - The room's epoch message.
 * @param everSynced - Whether the local document was synced with the room before (a fresh
 *   document that never synced holds no history and may adopt any epoch).
 */
export function decideEpoch(
  held: string | null,
  message: CollabEpochMessage,
  everSynced: boolean
): EpochDecision {
  if (message.reload) {
    return { action: 'reload', epoch: message.epoch };
  }
  if (held === null) {
    if (everSynced) {
      // A synced document without an epoch cannot prove it shares this history.
      return { action: 'reload', epoch: message.epoch };
    }
    return { action: 'adopt', epoch: message.epoch };
  }
  if (held === message.epoch) {
    return { action: 'keep' };
  }
  // The room should have said reload; whatever it said, this document is of another history.
  return { action: 'reload', epoch: message.epoch };
}
