/**
 * The room wire protocol: y-protocols sync (0) and awareness (1) exactly as the y-websocket
 * client speaks them, y-websocket's query-awareness (3), and the bridge's own messages
 * (docs/protocol.md, "Collaborative rooms"). Every message is a binary frame that starts with
 * its type as a lib0 var-uint.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import {
  COLLAB_CLOSE_CODE,
  COLLAB_MSG,
  COLLAB_SYNC,
  type CollabEpochMessage,
  type CollabRoomStatus
} from '../schema-types';

/** Message types (schema/collab-protocol.constants.json, shared with the front end). */
export const MSG = COLLAB_MSG;

/** Sync sub-types (y-protocols/sync). */
export const SYNC = COLLAB_SYNC;

/** WebSocket close codes the rooms use. */
export const CLOSE_CODE = COLLAB_CLOSE_CODE;

/** A complete message: its type, then what `write` writes. */
function message(type: number, write: (e: encoding.Encoder) => void) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** sync step 1: the room's state vector. */
export function syncStep1(stateVector: Uint8Array): Uint8Array {
  return message(MSG.sync, e => {
    encoding.writeVarUint(e, SYNC.step1);
    encoding.writeVarUint8Array(e, stateVector);
  });
}

/** sync step 2: what the other side lacks. */
export function syncStep2(update: Uint8Array): Uint8Array {
  return message(MSG.sync, e => {
    encoding.writeVarUint(e, SYNC.step2);
    encoding.writeVarUint8Array(e, update);
  });
}

/** sync update: one update to relay. */
export function syncUpdate(update: Uint8Array): Uint8Array {
  return message(MSG.sync, e => {
    encoding.writeVarUint(e, SYNC.update);
    encoding.writeVarUint8Array(e, update);
  });
}

/** An awareness message around an encoded awareness update. */
export function awarenessMessage(update: Uint8Array): Uint8Array {
  return message(MSG.awareness, e => encoding.writeVarUint8Array(e, update));
}

/**
 * The heartbeat: an awareness update with no states (what `encodeAwarenessUpdate(awareness,
 * [])` encodes). The y-websocket client applies it without effect or log line, and counts it
 * as a message received.
 */
export const HEARTBEAT = awarenessMessage(new Uint8Array([0]));

/**
 * durable: `seq` (how many update messages of this connection are now durable), then a
 * state vector in Yjs's encoding (var-uint count, then client id and clock pairs, what
 * `Y.decodeStateVector` reads) holding, for each client id this connection's updates
 * carried, the clock up to which the room's log is fsynced.
 */
export function durableMessage(
  seq: number,
  clocks: Map<number, number>
): Uint8Array {
  return message(MSG.durable, e => {
    encoding.writeVarUint(e, seq);
    const sv = encoding.createEncoder();
    encoding.writeVarUint(sv, clocks.size);
    for (const [client, clock] of clocks) {
      encoding.writeVarUint(sv, client);
      encoding.writeVarUint(sv, clock);
    }
    encoding.writeVarUint8Array(e, encoding.toUint8Array(sv));
  });
}

/** room-status: the JSON status as a var-string. */
export function roomStatusMessage(status: CollabRoomStatus): Uint8Array {
  return message(MSG.roomStatus, e =>
    encoding.writeVarString(e, JSON.stringify(status))
  );
}

/** epoch: the JSON epoch message as a var-string. */
export function epochMessage(epoch: CollabEpochMessage): Uint8Array {
  return message(MSG.epoch, e =>
    encoding.writeVarString(e, JSON.stringify(epoch))
  );
}

/** What a client sent, decoded far enough for the room to act on it. */
export type ClientMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2' | 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'ticket'; ticket: string }
  | { type: 'ignored'; messageType: number };

/**
 * Decode a client message.
 *
 * @throws Error on a truncated or malformed frame (the caller closes with 1002).
 */
export function decodeClientMessage(data: Uint8Array): ClientMessage {
  const decoder = decoding.createDecoder(data);
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MSG.sync: {
      const sub = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (sub === SYNC.step1) {
        return { type: 'sync-step1', stateVector: payload };
      }
      if (sub === SYNC.step2) {
        return { type: 'sync-step2', update: payload };
      }
      if (sub === SYNC.update) {
        return { type: 'sync-update', update: payload };
      }
      throw new Error(`unknown sync message type ${sub}`);
    }
    case MSG.awareness:
      return { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
    case MSG.queryAwareness:
      return { type: 'query-awareness' };
    case MSG.ticket:
      return { type: 'ticket', ticket: decoding.readVarString(decoder) };
    default:
      return { type: 'ignored', messageType: type };
  }
}

/** One entry of an awareness update. */
export interface IAwarenessEntry {
  clientID: number;
  clock: number;
  /** The state as JSON text ("null" when the client left). */
  json: string;
}

/**
 * Read an awareness update's entries (without applying them), so that the room can bound
 * their size and check who may change which client's state.
 *
 * @throws Error on a malformed update.
 */
export function readAwarenessEntries(update: Uint8Array): IAwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  if (count > 10000) {
    throw new Error('too many awareness entries');
  }
  const entries: IAwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarString(decoder);
    entries.push({ clientID, clock, json });
  }
  return entries;
}

/** Encode awareness entries back into an awareness update. */
export function writeAwarenessEntries(entries: IAwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientID);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, entry.json);
  }
  return encoding.toUint8Array(encoder);
}
