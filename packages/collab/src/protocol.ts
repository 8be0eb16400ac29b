/**
 * The front end's side of the room protocol (docs/protocol.md, "Collaborative rooms"): the
 * message types and close codes it shares with the bridge, and the decoding of
 * the bridge's own messages (durable 4, room-status 5, epoch 6) and the encoding of the
 * client's fresh ticket (7). Sync (0), awareness (1) and query-awareness (3) are y-websocket's.
 */
import {
  COLLAB_CLOSE_CODE,
  COLLAB_MSG,
  COLLAB_SYNC,
  type CollabEpochMessage,
  type CollabRoomStatus
} from '@mlinfn/common';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * Message types: the first var-uint of every binary frame (schema/collab-protocol.constants.json,
 * shared with the bridge).
 */
export const MSG = COLLAB_MSG;

/**
 * Sync sub-types (y-protocols/sync).
 */
export const SYNC = COLLAB_SYNC;

/**
 * The close codes the rooms use.
 */
export const CLOSE_CODE = COLLAB_CLOSE_CODE;

/**
 * A decoded `durable` message.
 */
export interface IDurableMessage {
  /**
   * How many update messages (sync step 2 and update) of this connection are durable.
   */
  seq: number;
  /**
   * For each client id the connection's messages carried, the clock up to which the room's
   * log holds its edits.
   */
  clocks: Map<number, number>;
}

/**
 * Read a `durable` message's body (after its type).
 *
 * @throws Error on a truncated message.
 */
export function readDurable(decoder: decoding.Decoder): IDurableMessage {
  const seq = decoding.readVarUint(decoder);
  const sv = decoding.createDecoder(decoding.readVarUint8Array(decoder));
  const clocks = new Map<number, number>();
  const count = decoding.readVarUint(sv);
  for (let i = 0; i < count; i++) {
    const client = decoding.readVarUint(sv);
    const clock = decoding.readVarUint(sv);
    clocks.set(client, clock);
  }
  return { seq, clocks };
}

/**
 * Parse a room-status payload; `null` when it is not one.
 */
export function parseRoomStatus(text: string): CollabRoomStatus | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const v = value as Partial<CollabRoomStatus> | null;
  if (
    !v ||
    typeof v !== 'object' ||
    typeof v.room !== 'string' ||
    typeof v.path !== 'string' ||
    typeof v.epoch !== 'string' ||
    typeof v.readOnly !== 'boolean' ||
    typeof v.unsavedChanges !== 'boolean'
  ) {
    return null;
  }
  return v as CollabRoomStatus;
}

/**
 * Parse an epoch payload; `null` when it is not one.
 */
export function parseEpoch(text: string): CollabEpochMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const v = value as Partial<CollabEpochMessage> | null;
  if (
    !v ||
    typeof v !== 'object' ||
    typeof v.epoch !== 'string' ||
    v.epoch.length === 0 ||
    typeof v.reload !== 'boolean'
  ) {
    return null;
  }
  return { epoch: v.epoch, reload: v.reload };
}

/**
 * The `ticket` message: a fresh ticket for the open connection.
 */
export function ticketMessage(ticket: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MSG.ticket);
  encoding.writeVarString(encoder, ticket);
  return encoding.toUint8Array(encoder);
}

/**
 * Whether a frame the client sends is one the room counts in `durable.seq` (sync step 2 or
 * update). Type and sub-type are below 128, so each is one byte.
 */
export function isCountedUpdate(data: unknown): boolean {
  let bytes: Uint8Array | null = null;
  if (data instanceof Uint8Array) {
    bytes = data;
  } else if (data instanceof ArrayBuffer) {
    bytes = new Uint8Array(data);
  } else if (ArrayBuffer.isView(data)) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (!bytes || bytes.length < 2) {
    return false;
  }
  return (
    bytes[0] === MSG.sync &&
    (bytes[1] === SYNC.step2 || bytes[1] === SYNC.update)
  );
}

/**
 * What the client does after the room closed its connection:
 *
 * - `reload`: the document's epoch is stale: drop it and open the document afresh;
 * - `retry`: reconnect (y-websocket does, with its back-off), after refreshing the ticket;
 * - `stop`: permanent (the file is gone or cannot be opened, the ticket named someone else).
 */
export type CloseAction = 'reload' | 'retry' | 'stop';

/**
 * The action for a close code (docs/protocol.md, "Close codes"). Codes the bridge does not
 * use follow y-websocket's rule: 4400–4499 are permanent, everything else is retried.
 */
export function closeAction(code: number): CloseAction {
  if (code === CLOSE_CODE.staleEpoch) {
    return 'reload';
  }
  if (code >= 4400 && code < 4500) {
    return 'stop';
  }
  return 'retry';
}
