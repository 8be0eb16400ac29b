/**
 * The state of a shared document as the status bar shows it.
 */

/**
 * The connection to the document's room.
 *
 * - `connecting`: the first connection, before the first sync;
 * - `connected`: synced with the room;
 * - `reconnecting`: the connection was lost (or is being re-established after a ticket
 *   expired, the bridge restarted...); edits stay local until it is back, then merge;
 * - `closed`: the room closed the connection for good (the file was deleted, cannot be
 *   opened...), or the document was closed.
 */
export type ConnectionState =
  'connecting' | 'connected' | 'reconnecting' | 'closed';

/**
 * What the status-bar dot says.
 *
 * - `connecting`, `reconnecting`, `closed`: as the connection;
 * - `pending`: connected, with local edits the room has not yet written to its log;
 * - `saved`: connected, every local edit is durable in the room's log (the room writes the
 *   file itself, within a second or so);
 * - `read-only`: connected, this user's edits are not accepted.
 */
export type DotState =
  'connecting' | 'reconnecting' | 'pending' | 'saved' | 'read-only' | 'closed';

/**
 * What the dot state is computed from.
 */
export interface IDotInputs {
  connection: ConnectionState;
  /**
   * Whether the document has been synced with the room at least once.
   */
  everSynced: boolean;
  /**
   * Whether local edits wait to be made durable.
   */
  pending: boolean;
  /**
   * Whether this user's edits are not accepted.
   */
  readOnly: boolean;
}

/**
 * The dot state for a document.
 */
export function dotState(inputs: IDotInputs): DotState {
  switch (inputs.connection) {
    case 'closed':
      return 'closed';
    case 'connecting':
    case 'reconnecting':
      return inputs.everSynced ? 'reconnecting' : 'connecting';
    case 'connected':
      if (inputs.readOnly) {
        return 'read-only';
      }
      return inputs.pending ? 'pending' : 'saved';
  }
}
