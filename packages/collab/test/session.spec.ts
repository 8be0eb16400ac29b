import { YFile } from '@jupyter/ydoc';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { MSG } from '../src/protocol';
import { CollabSession, IReloadRequest } from '../src/session';
import { FakeRoom, FakeTickets, roomSettings, tick } from './fakeroom';

function makeSession(
  room: FakeRoom,
  tickets = new FakeTickets(),
  permissions: any = { contents: ['read', 'write'] }
) {
  const sharedModel = new YFile() as any;
  const session = new CollabSession({
    sharedModel,
    kind: 'file',
    path: 'a.txt',
    roomName: 'text:file:a.txt',
    serverSettings: roomSettings(room),
    tickets,
    permissions,
    maxBackoffTime: 20,
    firstLoadAttempts: 4
  });
  return { session, sharedModel: sharedModel as YFile, tickets };
}

async function connected(room: FakeRoom, count = 1): Promise<void> {
  for (let i = 0; i < 50 && room.sockets.length < count; i++) {
    await tick(5);
  }
  expect(room.sockets.length).toBe(count);
}

describe('CollabSession', () => {
  let room: FakeRoom;
  beforeEach(() => {
    room = new FakeRoom();
    room.doc.getText('source').insert(0, 'hello from disk');
  });

  it('connects to the room with a ticket, and is ready only once synced', async () => {
    const { session, sharedModel } = makeSession(room);
    let ready = false;
    void session.ready.then(() => (ready = true));
    await connected(room);
    const socket = room.last;
    expect(socket.url).toBe(
      'ws://localhost:8888/lab-base/mlinfn-bridge/collab/text%3Afile%3Aa.txt?ticket=t1'
    );
    await tick();
    expect(ready).toBe(false);
    expect(sharedModel.source).toBe('');
    expect(session.dotState).toBe('connecting');
    socket.open();
    await session.ready;
    expect(ready).toBe(true);
    expect(sharedModel.source).toBe('hello from disk');
    expect(session.epoch).toBe('epoch-a');
    expect(session.roomStatus?.path).toBe('a.txt');
    expect(session.dotState).toBe('saved');
    session.dispose();
  });

  it('shows an edit pending until the room says it is durable', async () => {
    room.autoAck = false;
    const { session, sharedModel } = makeSession(room);
    await connected(room);
    room.last.open();
    await session.ready;
    room.last.ack();
    expect(session.dotState).toBe('saved');
    sharedModel.updateSource(0, 5, 'HELLO');
    expect(session.pending).toBe(true);
    expect(session.dotState).toBe('pending');
    expect(room.doc.getText('source').toString()).toBe('HELLO from disk');
    room.last.ack();
    expect(session.pending).toBe(false);
    expect(session.dotState).toBe('saved');
    // a deletion alone (no new Yjs item) is pending too
    sharedModel.updateSource(0, 6, '');
    expect(session.pending).toBe(true);
    room.last.ack();
    expect(session.pending).toBe(false);
    session.dispose();
  });

  it('keeps offline edits and merges them on reconnection with the same epoch', async () => {
    const { session, sharedModel } = makeSession(room);
    await connected(room);
    room.last.open();
    await session.ready;
    room.last.serverClose(1001, 'the bridge is shutting down');
    expect(session.dotState).toBe('reconnecting');
    sharedModel.updateSource(
      sharedModel.source.length,
      sharedModel.source.length,
      '!'
    );
    expect(session.pending).toBe(true);
    // someone else edits meanwhile
    room.doc.getText('source').insert(0, '> ');
    await connected(room, 2);
    const second = room.last;
    expect(second.params.get('epoch')).toBe('epoch-a');
    second.open();
    await tick();
    expect(session.dotState).toBe('saved');
    expect(sharedModel.source).toBe('> hello from disk!');
    expect(room.doc.getText('source').toString()).toBe('> hello from disk!');
    session.dispose();
  });

  it('reloads, never merges, when the room’s history was rebuilt', async () => {
    const { session, sharedModel } = makeSession(room);
    const reloads: IReloadRequest[] = [];
    session.reloadRequested.connect((_s, r) => reloads.push(r));
    await connected(room);
    room.last.open();
    await session.ready;
    room.last.serverClose(1011, 'the room failed');
    room.autoAck = false;
    sharedModel.updateSource(0, 0, 'offline ');
    // the room's log is lost: rebuilt from the file under a new epoch
    room.epoch = 'epoch-b';
    room.doc = new Y.Doc();
    room.doc.getText('source').insert(0, 'hello from disk');
    await connected(room, 2);
    const second = room.last;
    second.open();
    await tick();
    expect(reloads).toEqual([
      { reason: 'epoch', unsaved: 'offline hello from disk', path: 'a.txt' }
    ]);
    // nothing of the old history reached the room
    expect(room.doc.getText('source').toString()).toBe('hello from disk');
    expect(second.sent.filter(f => f[0] === 0 && f[1] !== 0)).toEqual([]);
    expect(session.connection).toBe('closed');
    await tick(50);
    expect(room.sockets.length).toBe(2);
    session.dispose();
  });

  it('fails the first load when the file does not exist', async () => {
    const { session } = makeSession(room);
    await connected(room);
    room.last.readyState = 1;
    room.last.onopen?.({});
    room.last.serverClose(4404, 'no such file');
    // a just-created file may appear a moment later: a few tries
    for (let i = 0; i < 3; i++) {
      await connected(room, i + 2);
      room.last.readyState = 1;
      room.last.onopen?.({});
      room.last.serverClose(4404, 'no such file');
    }
    await expect(session.ready).rejects.toThrow(/does not exist/);
    expect(session.dotState).toBe('closed');
    session.dispose();
  });

  it('refreshes the ticket of an open connection with message 7', async () => {
    const { session, tickets } = makeSession(room);
    await connected(room);
    room.last.open();
    await session.ready;
    await tickets.refresh();
    const frame = room.last.sent[room.last.sent.length - 1];
    const decoder = decoding.createDecoder(frame);
    expect(decoding.readVarUint(decoder)).toBe(MSG.ticket);
    expect(decoding.readVarString(decoder)).toBe('t2');
    session.dispose();
  });

  it('is read-only when the room says so, with its reason', async () => {
    room.readOnly = true;
    const { session } = makeSession(room, new FakeTickets(), {
      contents: ['read']
    });
    expect(session.readOnly.readOnly).toBe(true);
    await connected(room);
    room.last.open();
    await session.ready;
    expect(session.dotState).toBe('read-only');
    expect(session.readOnly.reason).toMatch(/reading files, not writing/);
    session.dispose();
  });

  it('publishes awareness fields and lists the room’s states', async () => {
    const { session } = makeSession(room);
    session.setAwarenessField('current', 'a.txt');
    const states = session.awarenessStates();
    expect(states).toHaveLength(1);
    expect(states[0].state.current).toBe('a.txt');
    session.dispose();
  });
});
