/**
 * The room server with real y-websocket clients, on small fakes of the document layer (a
 * text adapter in YFile's layout, a file agent on the in-process fs): protocol, permissions,
 * durability, lifecycle, limits. The integration tests run the same on the real layer.
 */
import { ownerIdentity } from '../../src/auth/identity';
import { existsSync } from 'node:fs';
import {
  appendFile,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import * as encoding from 'lib0/encoding';
import epochSchema from '../../../schema/collab-epoch.schema.json';
import roomStatusSchema from '../../../schema/collab-room-status.schema.json';
import { frame, LogWriter } from '../../src/collab/log';
import { writeAwarenessEntries } from '../../src/collab/protocol';
import type { CollabConfig } from '../../src/schema-types';
import { payload, proxyMode, signTicket } from '../helpers';
import {
  fsFileAgent,
  IRooms,
  portOf,
  rawSocket,
  sha,
  sleep,
  startRooms,
  TestClient,
  waitFor
} from './helpers';

const ROOM = 'text:file:a.txt';
const CONTENT = 'hello\nworld\n';
const FAST: CollabConfig = {
  saveDebounceMs: 30,
  diskCheckSeconds: 0.1,
  groupCommitMs: 2
};

let root: string;
let state: string;
let rooms: IRooms | undefined;
const clients: TestClient[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'collab-root-'));
  state = await mkdtemp(path.join(os.tmpdir(), 'collab-state-'));
  await writeFile(path.join(root, 'a.txt'), CONTENT);
});

afterEach(async () => {
  for (const client of clients.splice(0)) {
    client.destroy();
  }
  await rooms?.close();
  rooms = undefined;
  await rm(root, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

async function start(config: CollabConfig = {}, extra = {}): Promise<IRooms> {
  rooms = await startRooms({
    stateDir: state,
    rootDir: root,
    config: { ...FAST, ...config },
    ...extra
  });
  return rooms;
}

/** Stop and start again on the same port and state dir: a bridge restart. */
async function restart(config: CollabConfig = {}): Promise<IRooms> {
  const port = portOf(rooms!.url);
  await rooms!.close();
  rooms = undefined;
  return start(config, { port });
}

function client(
  room = ROOM,
  options: ConstructorParameters<typeof TestClient>[2] = {}
): TestClient {
  const c = new TestClient(rooms!.url, room, options);
  clients.push(c);
  return c;
}

/** What the room sent follows its schemas. */
const ajv = new Ajv({ strict: false });
const validStatus = ajv.compile(roomStatusSchema);
const validEpoch = ajv.compile(epochSchema);
function expectValidMessages(c: TestClient): void {
  for (const status of c.statuses) {
    expect([validStatus(status), validStatus.errors]).toEqual([true, null]);
  }
  for (const epoch of c.epochs) {
    expect([validEpoch(epoch), validEpoch.errors]).toEqual([true, null]);
  }
}

const fileText = (name = 'a.txt') => readFile(path.join(root, name), 'utf8');
const count = (text: string, part: string) => text.split(part).length - 1;

describe('sync, awareness and durability', () => {
  it('syncs text and awareness between two clients, acks durability and saves the file', async () => {
    await start();
    const a = client();
    const b = client();
    await a.synced();
    await b.synced();
    expect(a.text).toBe(CONTENT);
    expect(a.epochs[0]).toEqual({ epoch: expect.any(String), reload: false });
    expect(a.statuses[0]).toMatchObject({
      room: ROOM,
      path: 'a.txt',
      kind: 'file',
      readOnly: false,
      documentReadOnly: false,
      loaded: true
    });
    a.doc.getText('source').insert(0, 'A:');
    await waitFor(() => b.text === `A:${CONTENT}`, 'the edit at b');
    await waitFor(() => a.allDurable, 'the durable ack');
    expect(a.durable.at(-1)!.seq).toBeGreaterThan(0);
    a.provider.awareness.setLocalStateField('user', { name: 'Alice' });
    await waitFor(
      () =>
        // Standalone: every client is the token's owner, whatever it claims.
        b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name ===
        ownerIdentity().name,
      "a's awareness at b"
    );
    await waitFor(
      async () => (await fileText()) === `A:${CONTENT}`,
      'the save'
    );
    await waitFor(
      () => a.statuses.some(s => s.lastSavedAt && !s.unsavedChanges),
      'a saved status'
    );
    expectValidMessages(a);
    expectValidMessages(b);
    // b leaves: a sees its awareness go.
    b.provider.awareness.setLocalStateField('user', { name: 'Bob' });
    await waitFor(
      () => a.provider.awareness.getStates().has(b.doc.clientID),
      "b's awareness at a"
    );
    b.destroy();
    await waitFor(
      () => !a.provider.awareness.getStates().has(b.doc.clientID),
      "b's awareness removed"
    );
    const metrics = await rooms!.registry.metrics();
    expect(metrics).toMatch(/mlinfn_bridge_collab_rooms_open 1/);
    expect(metrics).toMatch(
      /mlinfn_bridge_collab_updates_total\{source="client"\} \d/
    );
    expect(metrics).toMatch(/mlinfn_bridge_collab_log_commit_seconds_count \d/);
  });

  it('after a reconnect with nothing new to send, the client still learns its edits are durable', async () => {
    await start();
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'mine ');
    await waitFor(() => a.allDurable, 'durable');
    a.provider.disconnect();
    a.durableClocks.clear();
    expect(a.allDurable).toBe(false);
    a.provider.connect();
    await a.synced('resync');
    await waitFor(() => a.allDurable, 'durable again');
  });

  it('never relays an update before it is fsynced in the log', async () => {
    await start();
    const durableAt: number[] = [];
    const original = LogWriter.prototype.append;
    const spy = jest
      .spyOn(LogWriter.prototype, 'append')
      .mockImplementation(async function (this: LogWriter, updates) {
        await sleep(150);
        await original.call(this, updates);
        durableAt.push(Date.now());
      });
    try {
      const a = client();
      const b = client();
      await a.synced();
      await b.synced();
      let seenAt = 0;
      b.doc.on('update', () => {
        seenAt ||= Date.now();
      });
      a.doc.getText('source').insert(0, 'X');
      await waitFor(() => b.text.startsWith('X'), 'the relay');
      expect(durableAt.length).toBeGreaterThan(0);
      expect(seenAt).toBeGreaterThanOrEqual(durableAt[0]);
      // A client that connects now is not served the edit before it is durable either.
      const c = client();
      await c.synced();
      expect(c.text.startsWith('X')).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('serves the file while the seed is written, but relays and acks no edit before the log exists', async () => {
    await start();
    // The seed's log stays unwritten until the test opens the gate.
    let open = () => undefined as void;
    const gate = new Promise<void>(resolve => (open = resolve));
    let created = false;
    const original = LogWriter.create;
    const spy = jest
      .spyOn(LogWriter, 'create')
      .mockImplementation(async (...args: Parameters<typeof original>) => {
        await gate;
        const writer = await original.apply(LogWriter, args);
        created = true;
        return writer;
      });
    try {
      const a = client();
      const b = client();
      await a.synced();
      await b.synced();
      expect(created).toBe(false); // served before the seed is durable
      a.doc.getText('source').insert(0, 'early ');
      await sleep(200);
      expect(b.text.startsWith('early ')).toBe(false);
      expect(a.allDurable).toBe(false);
      open();
      await waitFor(() => b.text.startsWith('early '), 'the relay');
      await waitFor(() => a.allDurable, 'the durability ack');
      expect(created).toBe(true);
    } finally {
      open();
      spy.mockRestore();
    }
    // The seed and the edit are in the log: a restart neither loses nor duplicates them.
    await restart();
    const c = client();
    await c.synced();
    expect(c.text).toBe(`early ${CONTENT}`);
    expect(c.epochs[0].epoch).toBe(clients[0].epochs[0].epoch);
  });

  it('group commit: edits that arrive during an fsync share the next one, none is lost', async () => {
    await start({ groupCommitMs: 0 });
    const a = client();
    const b = client();
    await a.synced();
    await b.synced();
    const batches: number[] = [];
    const original = LogWriter.prototype.append;
    const spy = jest
      .spyOn(LogWriter.prototype, 'append')
      .mockImplementation(async function (this: LogWriter, records) {
        batches.push(records.length);
        await sleep(100);
        await original.call(this, records);
      });
    try {
      const text = a.doc.getText('source');
      text.insert(0, '0');
      // The first edit's fsync is now in flight: the next 19 arrive while it runs.
      await waitFor(() => batches.length === 1, 'the first fsync');
      for (let i = 1; i < 20; i++) {
        text.insert(text.length, String(i % 10));
      }
      await waitFor(() => a.allDurable, 'every edit durable');
      await waitFor(() => b.text === text.toString(), 'every edit relayed');
      // 20 update records (and perhaps a save's record) in fewer fsyncs than edits.
      expect(batches.reduce((n, k) => n + k, 0)).toBeGreaterThanOrEqual(20);
      expect(batches.length).toBeLessThan(20);
    } finally {
      spy.mockRestore();
    }
  });

  it('never serves a sync before the file is loaded', async () => {
    let readDone = 0;
    const agent = fsFileAgent(root, { readDelayMs: 300 });
    const read = agent.read.bind(agent);
    agent.read = async rel => {
      const result = await read(rel);
      readDone ||= Date.now();
      return result;
    };
    await start({}, { fileAgent: agent });
    const a = client();
    const received: { at: number; text: string }[] = [];
    const sync = a.provider.messageHandlers[0];
    a.provider.messageHandlers[0] = (...args) => {
      sync(...args);
      received.push({ at: Date.now(), text: a.text });
    };
    let emptyWhenSynced = false;
    a.provider.on('sync', (synced: boolean) => {
      emptyWhenSynced ||= synced && a.text === '';
    });
    await a.synced();
    expect(emptyWhenSynced).toBe(false);
    expect(a.text).toBe(CONTENT);
    expect(received.length).toBeGreaterThan(0);
    expect(received[0].at).toBeGreaterThanOrEqual(readDone);
    expect(a.epochs.length).toBe(1);
  });

  it('sends a heartbeat at least every heartbeatSeconds, which y-websocket takes silently', async () => {
    await start({ heartbeatSeconds: 0.1 });
    const errors = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    const warns = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    try {
      const raw = rawSocket(rooms!.url, ROOM);
      expect(await raw.opened).toBe(101);
      const a = client();
      await a.synced();
      await sleep(450);
      const beats = raw.messages.filter(
        m => m.length === 3 && m[0] === 1 && m[1] === 1 && m[2] === 0
      );
      expect(beats.length).toBeGreaterThanOrEqual(3);
      expect(a.provider.wsconnected).toBe(true);
      expect(errors).not.toHaveBeenCalled();
      expect(warns).not.toHaveBeenCalled();
      raw.ws.close();
    } finally {
      errors.mockRestore();
      warns.mockRestore();
    }
  });
});

describe('permissions and authentication', () => {
  const ticketFor = (contents: ('read' | 'write')[], sub = 'alice') =>
    signTicket(payload({ sub, perms: { contents } }));

  it("drops a read-only user's edits (not applied, not relayed), tells them once, still serves sync and awareness", async () => {
    await start({}, { mode: proxyMode() });
    const writer = client(ROOM, {
      params: { ticket: ticketFor(['read', 'write']) }
    });
    const reader = client(ROOM, {
      params: {
        ticket: signTicket(
          payload({
            sub: 'bob',
            name: 'Bob Builder',
            initials: 'BB',
            color: null,
            perms: { contents: ['read'] }
          })
        )
      }
    });
    await writer.synced();
    await reader.synced();
    expect(reader.statuses[0]).toMatchObject({
      readOnly: true,
      documentReadOnly: false,
      readOnlyReason: expect.stringMatching(/reading/)
    });
    // y-websocket answered the room's sync step 1: that is not an edit.
    expect(reader.statuses.filter(s => s.notice).length).toBe(0);
    reader.doc.getText('source').insert(0, 'RO1 ');
    reader.doc.getText('source').insert(0, 'RO2 ');
    writer.doc.getText('source').insert(0, 'RW ');
    await waitFor(
      () => reader.text.includes('RW '),
      "the writer's edit at the reader"
    );
    await waitFor(() => writer.allDurable, 'durable');
    await sleep(100);
    expect(writer.text).toBe(`RW ${CONTENT}`);
    expect(rooms!.module.room(ROOM)!.doc.getText('source').toString()).toBe(
      `RW ${CONTENT}`
    );
    expectValidMessages(reader);
    const notices = reader.statuses.filter(s => s.notice);
    expect(notices.length).toBe(1);
    expect(notices[0].notice).toMatchObject({ kind: 'updates-dropped' });
    // Bob claims to be Alice: his peers see who his ticket says he is.
    reader.provider.awareness.setLocalStateField('user', {
      name: 'Alice Liddell',
      username: 'alice',
      color: '#ff0000'
    });
    await waitFor(
      () => writer.provider.awareness.getStates().get(reader.doc.clientID),
      "the reader's awareness"
    );
    expect(
      writer.provider.awareness.getStates().get(reader.doc.clientID)!.user
    ).toEqual({
      username: 'bob',
      name: 'Bob Builder',
      display_name: 'Bob Builder',
      initials: 'BB',
      // No colour in his identity: his own choice stands.
      color: '#ff0000'
    });
    await waitFor(
      async () => (await fileText()) === `RW ${CONTENT}`,
      'the save'
    );
    expect(await rooms!.registry.metrics()).toMatch(
      /mlinfn_bridge_collab_updates_total\{source="dropped"\} [1-9]/
    );
  });

  it("closes with 4001 when a ticket expires unrefreshed; a refresh (message 7) keeps the socket, another user's ticket closes it with 4401", async () => {
    await start({}, { mode: proxyMode(0) });
    const now = Math.floor(Date.now() / 1000);
    const short = signTicket(payload({ iat: now, exp: now + 1 }));
    const refresh = (ticket: string) => {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 7);
      encoding.writeVarString(enc, ticket);
      return encoding.toUint8Array(enc);
    };
    const lapsed = rawSocket(rooms!.url, ROOM, `ticket=${short}`);
    const kept = rawSocket(rooms!.url, ROOM, `ticket=${short}`);
    expect(await lapsed.opened).toBe(101);
    expect(await kept.opened).toBe(101);
    kept.ws.send(refresh(signTicket(payload())));
    expect((await lapsed.closed).code).toBe(4001);
    await sleep(100);
    expect(kept.ws.readyState).toBe(kept.ws.OPEN);
    kept.ws.send(refresh(signTicket(payload({ sub: 'mallory' }))));
    expect((await kept.closed).code).toBe(4401);
  });

  it('authenticates the upgrade and checks the room name', async () => {
    await start({}, { mode: proxyMode() });
    const good = ticketFor(['read', 'write']);
    const cases: [string, string, number][] = [
      [ROOM, '', 401],
      [ROOM, 'ticket=v1.bad.sig', 401],
      [ROOM, `ticket=${signTicket(payload({ perms: { contents: [] } }))}`, 403],
      ['text:file:../outside.txt', `ticket=${good}`, 400],
      ['json:notebook:/etc/passwd', `ticket=${good}`, 400],
      ['text:notebook:a.txt', `ticket=${good}`, 404],
      [ROOM, `ticket=${good}&epoch=${'x'.repeat(80)}`, 400],
      [ROOM, `ticket=${good}`, 101]
    ];
    for (const [room, query, status] of cases) {
      const raw = rawSocket(rooms!.url, room, query);
      expect([room, query.slice(0, 20), await raw.opened]).toEqual([
        room,
        query.slice(0, 20),
        status
      ]);
      raw.ws.terminate();
    }
    // The ticket never reaches the log.
    expect(rooms!.lines.join('\n')).not.toContain(good.split('.')[2]);
    expect(rooms!.lines.join('\n')).toContain('ticket=[redacted]');
  });
});

describe('restarts, reconnects, lost logs, disk changes', () => {
  it('no duplicated or stale text after a bridge restart, a reconnect, or both', async () => {
    await start();
    const a = client();
    const b = client();
    await a.synced();
    await b.synced();
    const epoch = a.epochs[0].epoch;
    a.doc.getText('source').insert(0, 'one ');
    await waitFor(() => b.text.startsWith('one '), 'relay');
    await waitFor(() => a.allDurable, 'durable');
    // Restart: both clients reconnect on their own with their epoch.
    await restart();
    // Edits made while the bridge was down are merged exactly once.
    a.doc.getText('source').insert(0, 'offline ');
    await a.synced('resync after restart');
    await b.synced('resync after restart');
    await waitFor(
      () => b.text === `offline one ${CONTENT}`,
      'offline edit at b'
    );
    expect(a.epochs.at(-1)).toEqual({ epoch, reload: false });
    // A reconnect without a restart.
    b.provider.disconnect();
    b.doc.getText('source').insert(b.text.length, 'tail\n');
    b.provider.connect();
    await waitFor(
      () => a.text === `offline one ${CONTENT}tail\n`,
      'b reconnect'
    );
    // Restart again, then a fresh client: the latest content, once.
    await waitFor(() => a.allDurable && b.allDurable, 'durable');
    await restart();
    const c = client();
    await c.synced();
    expect(c.text).toBe(`offline one ${CONTENT}tail\n`);
    await waitFor(() => a.provider.synced && b.provider.synced, 'resync');
    await sleep(50);
    for (const x of [a, b, c]) {
      expect(x.text).toBe(`offline one ${CONTENT}tail\n`);
      expect(count(x.text, 'one ')).toBe(1);
    }
    await waitFor(
      async () => (await fileText()) === `offline one ${CONTENT}tail\n`,
      'file'
    );
  });

  it('a lost log: the room is rebuilt under a new epoch and old clients reload instead of merging', async () => {
    await start();
    const a = client();
    await a.synced();
    const oldEpoch = a.epochs[0].epoch;
    a.doc.getText('source').insert(0, 'saved ');
    await waitFor(
      async () => (await fileText()) === `saved ${CONTENT}`,
      'save'
    );
    await rooms!.close();
    const port = portOf(rooms!.url);
    rooms = undefined;
    // The log is lost (or unreadable).
    for (const dir of await readdir(path.join(state, 'collab', 'rooms'))) {
      await rm(path.join(state, 'collab', 'rooms', dir, 'log'));
    }
    a.doc.getText('source').insert(0, 'offline ');
    await start({}, { port });
    await waitFor(() => a.closed, 'the stale client closed');
    expect(a.closed!.code).toBe(4409);
    expectValidMessages(a);
    expect(a.epochs.at(-1)).toEqual({
      epoch: expect.any(String),
      reload: true
    });
    const newEpoch = a.epochs.at(-1)!.epoch;
    expect(newEpoch).not.toBe(oldEpoch);
    // The front end reloads: a fresh document with the new epoch.
    const fresh = client(ROOM, { params: { epoch: newEpoch } });
    await fresh.synced();
    expect(fresh.text).toBe(`saved ${CONTENT}`);
    expect(rooms!.module.room(ROOM)!.doc.getText('source').toString()).toBe(
      `saved ${CONTENT}`
    );
    await sleep(100);
    expect(await fileText()).toBe(`saved ${CONTENT}`);
  });

  it('a corrupt log (bad record in the middle) is quarantined and rebuilt under a new epoch', async () => {
    await start();
    const a = client();
    await a.synced();
    for (let i = 0; i < 3; i++) {
      a.doc.getText('source').insert(0, `${i}`);
      await waitFor(() => a.allDurable, 'durable');
    }
    await waitFor(async () => (await fileText()) === `210${CONTENT}`, 'save');
    a.destroy();
    await rooms!.close();
    const dir = path.join(state, 'collab', 'rooms', sha(ROOM));
    const log = await readFile(path.join(dir, 'log'));
    log[log.length - 40] ^= 0xff;
    log[60] ^= 0xff;
    await writeFile(path.join(dir, 'log'), log);
    rooms = undefined;
    await start();
    const b = client();
    await b.synced();
    expect(b.text).toBe(`210${CONTENT}`);
    expect(b.epochs[0].epoch).not.toBe(a.epochs[0].epoch);
    expect((await readdir(dir)).some(f => f.startsWith('log.corrupt-'))).toBe(
      true
    );
  });

  it('a torn last log record is truncated on load: nothing before it is lost, the epoch stays', async () => {
    await start();
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'kept ');
    await waitFor(() => a.allDurable, 'durable');
    await rooms!.close();
    rooms = undefined;
    const log = path.join(state, 'collab', 'rooms', sha(ROOM), 'log');
    const torn = frame(new Uint8Array(200).fill(7));
    await appendFile(log, torn.subarray(0, 100));
    a.destroy();
    await start();
    const b = client();
    await b.synced();
    expect(b.text).toBe(`kept ${CONTENT}`);
    expect(b.epochs[0]).toEqual(a.epochs[0]);
    b.doc.getText('source').insert(0, 'more ');
    await waitFor(() => b.allDurable, 'durable after truncation');
    await restart();
    const c = client();
    await c.synced();
    expect(c.text).toBe(`more kept ${CONTENT}`);
  });

  it('a file changed on disk while no room was open is merged, never re-seeded or duplicated', async () => {
    await start();
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'room ');
    await waitFor(async () => (await fileText()) === `room ${CONTENT}`, 'save');
    await rooms!.close();
    const port = portOf(rooms!.url);
    rooms = undefined;
    await writeFile(path.join(root, 'a.txt'), `room ${CONTENT}disk\n`);
    await start({}, { port });
    // The old client reconnects with its epoch and merges: one copy of everything.
    await a.synced('resync');
    await waitFor(
      () => a.text === `room ${CONTENT}disk\n`,
      'merged disk change'
    );
    const b = client();
    await b.synced();
    expect(b.text).toBe(`room ${CONTENT}disk\n`);
    expect(b.epochs[0].epoch).toBe(a.epochs[0].epoch);
  });

  it('unsaved room edits and a disk change made while unloaded both survive', async () => {
    await start({ saveDebounceMs: 60000, diskCheckSeconds: 3600 });
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'room ');
    await waitFor(() => a.allDurable, 'durable');
    a.destroy();
    // A crash: nothing saved (the module is dropped without close()).
    const crashed = rooms!;
    rooms = undefined;
    // (The crashed module is still there until the end of the test; a real crash is the
    // kill -9 test. Its disk checks are off so that it does not react to the disk edit.)
    await writeFile(path.join(root, 'a.txt'), `${CONTENT}disk\n`);
    await start();
    const b = client();
    await b.synced();
    expect(b.text).toBe(`room ${CONTENT}disk\n`);
    await waitFor(
      async () => (await fileText()) === `room ${CONTENT}disk\n`,
      'save'
    );
    await crashed.close().catch(() => undefined);
  });
});

describe('changes on disk while the room is open', () => {
  it('an out-of-band edit merges with room edits: both survive', async () => {
    await start();
    const a = client();
    await a.synced();
    await waitFor(
      () => rooms!.module.room(ROOM)?.unsavedChanges === false,
      'base'
    );
    a.doc.getText('source').insert(0, 'room ');
    // The disk edit is made against the last saved content, concurrently.
    await writeFile(path.join(root, 'a.txt'), `${CONTENT}disk\n`);
    await waitFor(() => a.text === `room ${CONTENT}disk\n`, 'merge at a');
    await waitFor(
      async () => (await fileText()) === `room ${CONTENT}disk\n`,
      'file'
    );
    await waitFor(
      () => a.statuses.some(s => s.notice?.kind === 'disk-merged'),
      'notice'
    );
  });

  it('a contents save event triggers a disk check', async () => {
    await start({ diskCheckSeconds: 3600 });
    const a = client();
    await a.synced();
    // The save the room makes after loading (a no-op here) checks the disk too.
    await waitFor(
      () => rooms!.module.room(ROOM)?.unsavedChanges === false,
      'first save'
    );
    await writeFile(path.join(root, 'a.txt'), `${CONTENT}saved by jupyter\n`);
    await sleep(100);
    expect(a.text).toBe(CONTENT);
    await rooms!.module.onContentsEvent({ action: 'save', path: 'a.txt' });
    await waitFor(() => a.text === `${CONTENT}saved by jupyter\n`, 'merge');
  });

  it('a conflict keeps both versions and tells the clients where the disk version went', async () => {
    await start();
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'room ');
    await waitFor(async () => (await fileText()) === `room ${CONTENT}`, 'save');
    await writeFile(
      path.join(root, 'a.txt'),
      'totally <<CONFLICT>> different\n'
    );
    const status = await waitFor(
      () => a.statuses.find(s => s.notice?.kind === 'conflict'),
      'conflict notice'
    );
    expect(status.notice!.copyPath).toBe('a.conflict.txt');
    expectValidMessages(a);
    expect(await fileText('a.conflict.txt')).toBe(
      'totally <<CONFLICT>> different\n'
    );
    expect(a.text).toBe(`room ${CONTENT}`);
    await waitFor(
      async () => (await fileText()) === `room ${CONTENT}`,
      'room version back'
    );
  });

  it('content is never reset while edits stream in and saves and save events happen', async () => {
    await start({ saveDebounceMs: 5 });
    const a = client();
    const b = client();
    await a.synced();
    await b.synced();
    let previous = b.text;
    let shrank = false;
    b.doc.on('update', () => {
      shrank ||= !b.text.startsWith(previous.slice(0, -1));
      previous = b.text;
    });
    const ytext = a.doc.getText('source');
    for (let i = 0; i < 60; i++) {
      ytext.insert(ytext.length, `out ${i}\n`);
      if (i % 10 === 0) {
        void rooms!.module.onContentsEvent({ action: 'save', path: 'a.txt' });
      }
      await sleep(5);
    }
    await waitFor(() => b.text === ytext.toString(), 'all output at b');
    await waitFor(async () => (await fileText()) === ytext.toString(), 'saved');
    expect(shrank).toBe(false);
    expect(count(b.text, 'out 59\n')).toBe(1);
  });
});

describe('room lifecycle', () => {
  it('idle rooms are saved and unloaded; the log is compacted in the background', async () => {
    await start({ idleUnloadSeconds: 0.2, compactAfterBytes: 2048 });
    const a = client();
    await a.synced();
    const ytext = a.doc.getText('source');
    for (let i = 0; i < 150; i++) {
      ytext.insert(ytext.length, `${i},`);
      if (i % 20 === 0) {
        await sleep(5);
      }
    }
    await waitFor(() => a.allDurable, 'durable');
    const room = rooms!.module.room(ROOM)!;
    await waitFor(() => room.logBytes < 2048 + 1024, 'compaction');
    expect(await rooms!.registry.metrics()).toMatch(
      /mlinfn_bridge_collab_compactions_total\{result="done"\} [1-9]/
    );
    const expected = ytext.toString();
    a.destroy();
    await waitFor(() => rooms!.module.roomCount === 0, 'unload');
    expect(await fileText()).toBe(expected);
    const b = client();
    await b.synced();
    expect(b.text).toBe(expected);
  });

  it('a rename moves the room with its log; a delete closes it and drops its state', async () => {
    await start();
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'x ');
    await waitFor(() => a.allDurable, 'durable');
    await rename(path.join(root, 'a.txt'), path.join(root, 'b.txt'));
    await rooms!.module.onContentsEvent({
      action: 'rename',
      path: 'a.txt',
      newPath: 'b.txt'
    });
    const renamed = await waitFor(
      () => a.statuses.find(s => s.notice?.kind === 'renamed'),
      'renamed notice'
    );
    expect(renamed.notice).toMatchObject({
      newPath: 'b.txt',
      newRoom: 'text:file:b.txt'
    });
    expect(existsSync(path.join(state, 'collab', 'rooms', sha(ROOM)))).toBe(
      false
    );
    a.doc.getText('source').insert(0, 'y ');
    await waitFor(
      async () => (await fileText('b.txt')) === `y x ${CONTENT}`,
      'saved under the new name'
    );
    const b = client('text:file:b.txt');
    await b.synced();
    expect(b.text).toBe(`y x ${CONTENT}`);
    expect(b.epochs[0].epoch).toBe(a.epochs[0].epoch);
    // A rename of a directory, with the room unloaded, moves its state too.
    a.destroy();
    b.destroy();
    await rooms!.close();
    rooms = undefined;
    await start();
    // A delete while the room is unloaded drops its state: the next room starts afresh.
    await rooms!.module.onContentsEvent({ action: 'delete', path: 'b.txt' });
    expect(
      existsSync(path.join(state, 'collab', 'rooms', sha('text:file:b.txt')))
    ).toBe(false);
    const c = client('text:file:b.txt');
    await c.synced();
    expect(c.epochs[0].epoch).not.toBe(a.epochs[0].epoch);
    await rooms!.module.onContentsEvent({ action: 'delete', path: 'b.txt' });
    await waitFor(() => c.closed, 'closed on delete');
    expect(c.closed!.code).toBe(4404);
    expect(c.statuses.some(s => s.notice?.kind === 'deleted')).toBe(true);
    expect(
      existsSync(path.join(state, 'collab', 'rooms', sha('text:file:b.txt')))
    ).toBe(false);
  });

  it('renames of a directory move unloaded rooms', async () => {
    await writeFile(path.join(root, 'a.txt'), CONTENT);
    await rm(path.join(root, 'd'), { recursive: true, force: true });
    await start();
    await import('node:fs/promises').then(fs => fs.mkdir(path.join(root, 'd')));
    await writeFile(path.join(root, 'd', 'n.txt'), 'n\n');
    const a = client('text:file:d/n.txt');
    await a.synced();
    a.doc.getText('source').insert(0, 'edited ');
    await waitFor(() => a.allDurable, 'durable');
    a.destroy();
    await rooms!.close();
    rooms = undefined;
    await rename(path.join(root, 'd'), path.join(root, 'e'));
    await start();
    await rooms!.module.onContentsEvent({
      action: 'rename',
      path: 'd',
      newPath: 'e'
    });
    const b = client('text:file:e/n.txt');
    await b.synced();
    expect(b.text).toBe('edited n\n');
    expect(b.epochs[0].epoch).toBe(a.epochs[0].epoch);
  });

  it('storage trouble: a failed read closes with 4503 (the client retries), a failed save is reported and retried', async () => {
    let failReads = 1;
    let failWrites = true;
    const agent = fsFileAgent(root, { failWrites: () => failWrites });
    const read = agent.read.bind(agent);
    agent.read = async rel => {
      if (failReads > 0) {
        failReads--;
        throw Object.assign(new Error('storage timed out'), {
          code: 'ETIMEDOUT'
        });
      }
      return read(rel);
    };
    await start({ saveDebounceMs: 10 }, { fileAgent: agent });
    const a = client();
    await a.synced();
    expect(a.closes[0]?.code).toBe(4503);
    expect(a.text).toBe(CONTENT);
    a.doc.getText('source').insert(0, 'x');
    await waitFor(
      () => a.statuses.find(s => s.notice?.kind === 'save-failed'),
      'save-failed notice'
    );
    expect(
      a.statuses.filter(s => s.notice?.kind === 'save-failed').length
    ).toBe(1);
    failWrites = false;
    await rooms!.module.room(ROOM)!.saveNow();
    expect(await fileText()).toBe(`x${CONTENT}`);
  });

  it('shutdown flushes, saves and closes every socket with 1001', async () => {
    await start({ saveDebounceMs: 60000 });
    const a = client();
    await a.synced();
    a.doc.getText('source').insert(0, 'last ');
    await waitFor(() => a.allDurable, 'durable');
    const raw = rawSocket(rooms!.url, ROOM);
    await raw.opened;
    await rooms!.close();
    rooms = undefined;
    expect((await raw.closed).code).toBe(1001);
    expect(await fileText()).toBe(`last ${CONTENT}`);
  });

  it('a missing file closes with 4404; a file that is not UTF-8 opens read-only for everyone and is never written', async () => {
    await start();
    const missing = client('text:file:nope.txt');
    await waitFor(() => missing.closed, 'closed');
    expect(missing.closed!.code).toBe(4404);
    const bytes = Buffer.from([0x41, 0xff, 0xfe, 0x0a]);
    await writeFile(path.join(root, 'latin.txt'), bytes);
    const a = client('text:file:latin.txt');
    await a.synced();
    expect(a.statuses[0]).toMatchObject({
      readOnly: true,
      documentReadOnly: true,
      readOnlyReason: expect.stringMatching(/UTF-8/)
    });
    a.doc.getText('source').insert(0, 'no');
    await sleep(150);
    expect(
      rooms!.module
        .room('text:file:latin.txt')!
        .doc.getText('source')
        .toString()
    ).toBe('');
    await rooms!.close();
    rooms = undefined;
    expect(
      Buffer.compare(await readFile(path.join(root, 'latin.txt')), bytes)
    ).toBe(0);
  });
});

describe('limits and bad input', () => {
  it('closes on bad frames, ignores unknown types, bounds sizes and connections, and keeps serving', async () => {
    await start({
      maxMessageBytes: 4096,
      maxConnectionsPerRoom: 3,
      maxConnectionsPerUser: 4,
      maxAwarenessBytes: 200
    });
    const cases: [Uint8Array | string, number][] = [
      [new Uint8Array(8000), 1009],
      ['{"type":"auth"}', 1002],
      [new Uint8Array([0, 7, 1, 0]), 1002],
      [new Uint8Array([0, 2, 200]), 1002],
      [new Uint8Array([0, 2, 4, 1, 2, 3, 4]), 1007]
    ];
    for (const [data, code] of cases) {
      const raw = rawSocket(rooms!.url, ROOM);
      expect(await raw.opened).toBe(101);
      await waitFor(() => raw.messages.length >= 3, 'handshake');
      raw.ws.send(data);
      expect((await raw.closed).code).toBe(code);
    }
    // Unknown message types are ignored.
    const a = client();
    await a.synced();
    a.provider.ws!.send(new Uint8Array([99, 1, 2, 3]));
    a.doc.getText('source').insert(0, 'still ');
    await waitFor(() => a.allDurable, 'still works');
    // An oversized awareness state is not relayed; a normal one is.
    const b = client();
    await b.synced();
    a.provider.awareness.setLocalStateField('big', 'x'.repeat(500));
    await sleep(100);
    expect(b.provider.awareness.getStates().has(a.doc.clientID)).toBe(false);
    a.provider.awareness.setLocalState({ user: { name: 'a' } });
    await waitFor(
      () => b.provider.awareness.getStates().has(a.doc.clientID),
      'awareness'
    );
    // Connections per room and per user.
    const third = rawSocket(rooms!.url, ROOM);
    expect(await third.opened).toBe(101);
    const fourth = rawSocket(rooms!.url, ROOM);
    expect((await fourth.closed).code).toBe(1008);
    await writeFile(path.join(root, 'b.txt'), 'b');
    const other = rawSocket(rooms!.url, 'text:file:b.txt');
    expect(await other.opened).toBe(101);
    const fifth = rawSocket(rooms!.url, 'text:file:b.txt');
    expect((await fifth.closed).code).toBe(1008);
    other.ws.close();
    // One connection cannot overwrite another's awareness state.
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 1);
    encoding.writeVarUint8Array(
      enc,
      writeAwarenessEntries([
        {
          clientID: a.doc.clientID,
          clock: 1000,
          json: JSON.stringify({ user: { name: 'mallory' } })
        }
      ])
    );
    third.ws.send(encoding.toUint8Array(enc));
    await sleep(100);
    expect(
      b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name
    ).toBe(ownerIdentity().name);
    third.ws.close();
    expect(await rooms!.registry.metrics()).toMatch(
      /refused_total\{reason="room_limit"\} 1/
    );
  });
});
