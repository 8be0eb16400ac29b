/**
 * The room's answer to a sync step 1, in messages that each stay under a size limit.
 *
 * jupyter-server-proxy's client connection to the bridge refuses any message over 10 MiB
 * (Tornado's default), closing the WebSocket: one sync step 2 holding a big notebook would never
 * reach the browser. The document's state is split by the client ids its content was made
 * under (a big notebook is seeded in parts, each under its own id), grouped into messages under
 * the limit, and sent as sync updates followed by one sync step 2: y-websocket applies the
 * updates as they come and reports the document synced only with the step 2, so nobody sees a
 * partial document as loaded.
 *
 * Encoding a big document is a walk over all of it, once per client id when it is split: the
 * seed's parts, as their transactions encoded them while the file was seeded ({@link
 * ISeedPart}), are sent as they are to a peer that lacks them, and only the rest of the
 * document is encoded.
 */
import * as Y from 'yjs';
import { syncStep2, syncUpdate } from './protocol';

/** An update with nothing in it (no structs, an empty delete set). */
const NOTHING = new Uint8Array([0, 0]);

/** The largest sync message the room sends when it can split one (below the proxy's 10 MiB). */
export const MAX_SYNC_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * One transaction of the seed, made under a client id of its own: its update (v1, as the
 * document's 'update' event gave it) holds everything of `client` from clock 0 to `clock`,
 * and the items it deleted.
 */
export interface ISeedPart {
  client: number;
  /** The client's clock after the transaction. */
  clock: number;
  update: Uint8Array;
  /** The sync update message of `update`, when the caller made it (one copy for everyone). */
  message?: Uint8Array;
}

/** A seed part and its sync update message, `update` a view into it (no second copy). */
export function seedPart(
  client: number,
  clock: number,
  update: Uint8Array
): ISeedPart {
  const message = syncUpdate(update);
  return {
    client,
    clock,
    update: message.subarray(message.length - update.length),
    message
  };
}

const messageOf = (part: ISeedPart) => part.message ?? syncUpdate(part.update);

/** What the caller knows that saves work. */
export interface ISyncReplyOptions {
  /**
   * The seed's parts, while the document holds nothing else (the caller drops them at the
   * first change: deleted seed content would travel in them again).
   */
  parts?: readonly ISeedPart[];
  /**
   * The size a message should stay under; a single client's part larger than that cannot be
   * split and goes as it is.
   */
  limit?: number;
}

/**
 * The messages that bring a peer at `stateVector` (none: an empty document) up to `doc`: sync
 * updates, then one sync step 2 (the only message when the reply fits in one).
 */
export function syncReply(
  doc: Y.Doc,
  stateVector?: Uint8Array,
  options: ISyncReplyOptions = {}
): Uint8Array[] {
  const limit = options.limit ?? MAX_SYNC_MESSAGE_BYTES;
  const theirs = stateVector
    ? Y.decodeStateVector(stateVector)
    : new Map<number, number>();
  // The seed's parts the peer has none of go as they are, when they are too big to go in one
  // message anyway (a small document is one step 2, as y-websocket expects).
  const parts = options.parts ?? [];
  const sent = parts.filter(part => (theirs.get(part.client) ?? 0) === 0);
  const big = sent.reduce((n, part) => n + part.update.length, 0) > limit;
  // The document holds nothing but the parts: a peer that holds each of them whole or not at
  // all lacks nothing else (no walk over the document to find that out).
  const wholeParts =
    parts.length > 0 &&
    parts.every(part => {
      const have = theirs.get(part.client) ?? 0;
      return have === 0 || have >= part.clock;
    });
  if (wholeParts && (big || sent.length === 0)) {
    return [...sent.map(messageOf), syncStep2(NOTHING)];
  }
  if (big) {
    const known = new Map(theirs);
    for (const part of sent) {
      known.set(part.client, part.clock);
    }
    // The rest: other clients' content and the whole delete set (a walk over the structs'
    // deleted flags, no content copied).
    const rest = splitReply(doc, known, limit);
    return [...sent.map(messageOf), ...rest];
  }
  return splitReply(doc, theirs, limit);
}

/** The update from `theirs` to `doc`, split by client id into messages under `limit`. */
function splitReply(
  doc: Y.Doc,
  theirs: Map<number, number>,
  limit: number
): Uint8Array[] {
  const all =
    theirs.size > 0
      ? Y.encodeStateAsUpdate(doc, encodeVector(theirs))
      : Y.encodeStateAsUpdate(doc);
  if (all.length <= limit) {
    return [syncStep2(all)];
  }
  const ours = Y.decodeStateVector(Y.encodeStateVector(doc));
  // The clients the peer lacks content of, in groups whose update fits: halved until it does
  // (a few encodes, each writing only its group's content; one client's content that does not
  // fit goes as it is).
  const lacking = [...ours]
    .filter(([client, clock]) => clock > (theirs.get(client) ?? 0))
    .map(([client]) => client);
  const encodeGroup = (group: number[]) => {
    // Everything of the group from where the peer is; the others' entries say "have it all".
    const vector = new Map(ours);
    for (const client of group) {
      vector.set(client, theirs.get(client) ?? 0);
    }
    return Y.encodeStateAsUpdate(doc, encodeVector(vector));
  };
  const messages: Uint8Array[] = [];
  const split = (group: number[], update: Uint8Array) => {
    if (update.length <= limit || group.length <= 1) {
      messages.push(update);
      return;
    }
    const half = Math.ceil(group.length / 2);
    for (const part of [group.slice(0, half), group.slice(half)]) {
      split(part, encodeGroup(part));
    }
  };
  split(lacking, all);
  return messages.map((update, i) =>
    i === messages.length - 1 ? syncStep2(update) : syncUpdate(update)
  );
}

/** A state vector as Yjs encodes one. */
function encodeVector(vector: Map<number, number>): Uint8Array {
  return Y.encodeStateVector(vector);
}
