/**
 * A big notebook reaches a client in messages under jupyter-server-proxy's 10 MiB limit, and
 * the client's document is complete when y-websocket's sync step 2 arrives.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { adapterFor } from '../../src/collab/document';
import { readNotebook } from '../../src/collab/document/layout';
import { COLLAB_MSG, COLLAB_SYNC } from '../../src/schema-types';
import { bigNotebook } from './helpers';
import {
  ISeedPart,
  MAX_SYNC_MESSAGE_BYTES,
  syncReply
} from '../../src/collab/sync-reply';

const adapter = adapterFor('notebook');

/** Apply the room's messages to a client doc as y-websocket does; the type of each. */
function receive(doc: Y.Doc, messages: Uint8Array[]): number[] {
  return messages.map(message => {
    const decoder = decoding.createDecoder(message);
    expect(decoding.readVarUint(decoder)).toBe(COLLAB_MSG.sync);
    return syncProtocol.readSyncMessage(
      decoder,
      encoding.createEncoder(),
      doc,
      'room'
    );
  });
}

describe('syncReply', () => {
  it('sends a 20 MB notebook in messages under the limit, the step 2 last', () => {
    const room = new Y.Doc();
    adapter.seed(room, bigNotebook(200, 100_000));
    const messages = syncReply(room);
    expect(messages.length).toBeGreaterThan(2);
    for (const message of messages) {
      expect(message.length).toBeLessThan(MAX_SYNC_MESSAGE_BYTES);
    }
    const client = new Y.Doc();
    const types = receive(client, messages);
    expect(types[types.length - 1]).toBe(COLLAB_SYNC.step2);
    expect(types.slice(0, -1).every(t => t === COLLAB_SYNC.update)).toBe(true);
    expect(readNotebook(client).nb).toEqual(readNotebook(room).nb);
  });

  it('a reconnecting client gets only what it lacks, also in parts', () => {
    const room = new Y.Doc();
    adapter.seed(room, bigNotebook(10, 1000));
    const client = new Y.Doc();
    receive(client, syncReply(room));
    // The room grows by 20 MB of edits made under many client ids while the client is away.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(room));
    for (let i = 0; i < 20; i++) {
      const editor = new Y.Doc();
      Y.applyUpdate(editor, Y.encodeStateAsUpdate(other));
      const source = editor
        .getArray<Y.Map<unknown>>('cells')
        .get(i % 10)
        .get('source') as Y.Text;
      source.insert(source.length, 'y'.repeat(1_000_000));
      Y.applyUpdate(other, Y.encodeStateAsUpdate(editor));
    }
    Y.applyUpdate(room, Y.encodeStateAsUpdate(other));
    const messages = syncReply(room, Y.encodeStateVector(client));
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(message.length).toBeLessThan(MAX_SYNC_MESSAGE_BYTES);
    }
    receive(client, messages);
    expect(readNotebook(client).nb).toEqual(readNotebook(room).nb);
  });

  it('serves a seed from its parts as they are: a peer gets the parts it lacks, and what it holds is not sent again', () => {
    const room = new Y.Doc();
    const parts: ISeedPart[] = [];
    room.on(
      'update',
      (update: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) => {
        const [client, clock] = [...tr.afterState].find(
          ([c, k]) => k !== (tr.beforeState.get(c) ?? 0)
        )!;
        parts.push({ client, clock, update });
      }
    );
    adapter.seed(room, bigNotebook(200, 100_000));
    expect(parts.length).toBeGreaterThan(2);

    const messages = syncReply(room, undefined, { parts });
    // Each part as the seed made it, then an empty step 2.
    expect(messages.length).toBe(parts.length + 1);
    const client = new Y.Doc();
    const types = receive(client, messages);
    expect(types[types.length - 1]).toBe(COLLAB_SYNC.step2);
    expect(readNotebook(client).nb).toEqual(readNotebook(room).nb);

    // A peer holding the first two parts gets only the others.
    const peer = new Y.Doc();
    receive(peer, messages.slice(0, 2));
    const rest = syncReply(room, Y.encodeStateVector(peer), { parts });
    expect(rest.length).toBe(parts.length - 1);
    receive(peer, rest);
    expect(readNotebook(peer).nb).toEqual(readNotebook(room).nb);
    // A peer holding everything gets an empty step 2.
    const none = syncReply(room, Y.encodeStateVector(client), { parts });
    expect(none.length).toBe(1);
    expect(none[0].length).toBeLessThan(10);
  });

  it('a small document is one sync step 2, as y-websocket expects', () => {
    const room = new Y.Doc();
    adapter.seed(room, bigNotebook(3, 10));
    const messages = syncReply(room);
    expect(messages.length).toBe(1);
    const client = new Y.Doc();
    expect(receive(client, messages)).toEqual([COLLAB_SYNC.step2]);
  });
});
