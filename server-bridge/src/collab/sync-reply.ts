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
 */
import * as Y from 'yjs';
import { syncStep2, syncUpdate } from './protocol';

/** The largest sync message the room sends when it can split one (below the proxy's 10 MiB). */
export const MAX_SYNC_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * The messages that bring a peer at `stateVector` (none: an empty document) up to `doc`.
 *
 * @param whole - the update from `stateVector` to `doc`, when the caller has it encoded.
 * @param limit - the size a message should stay under; a single client's part larger than
 * that cannot be split and goes as it is.
 */
export function syncReply(
  doc: Y.Doc,
  stateVector?: Uint8Array,
  whole?: Uint8Array,
  limit = MAX_SYNC_MESSAGE_BYTES
): Uint8Array[] {
  const all =
    whole ??
    (stateVector
      ? Y.encodeStateAsUpdate(doc, stateVector)
      : Y.encodeStateAsUpdate(doc));
  if (all.length <= limit) {
    return [syncStep2(all)];
  }
  const theirs = stateVector
    ? Y.decodeStateVector(stateVector)
    : new Map<number, number>();
  const ours = Y.decodeStateVector(Y.encodeStateVector(doc));
  // One update per client the peer lacks content of: everything of that client from where the
  // peer is, and nothing of the others (their state vector entries say "have it all").
  const parts: Uint8Array[] = [];
  for (const [client, clock] of ours) {
    const from = theirs.get(client) ?? 0;
    if (clock <= from) {
      continue;
    }
    const vector = new Map(ours);
    vector.set(client, from);
    parts.push(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(vector)));
  }
  if (parts.length <= 1) {
    return [syncStep2(all)];
  }
  // Small parts (edits) travel together; each message stays under the limit where it can.
  const messages: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (group.length > 0) {
      messages.push(group.length === 1 ? group[0] : Y.mergeUpdates(group));
      group = [];
      size = 0;
    }
  };
  for (const part of parts) {
    if (size > 0 && size + part.length > limit) {
      flush();
    }
    group.push(part);
    size += part.length;
  }
  flush();
  return messages.map((update, i) =>
    i === messages.length - 1 ? syncStep2(update) : syncUpdate(update)
  );
}
