import { DurabilityTracker } from '../src/models/durability';
import { dotState } from '../src/models/status';

describe('DurabilityTracker', () => {
  it('holds an edit pending until the room acknowledges the frame that carried it', () => {
    const t = new DurabilityTracker();
    const ws = {};
    t.connectionOpened(ws);
    t.frameSent(ws); // sync step 2 answering the room's step 1
    expect(t.pending).toBe(false);
    t.localEdit();
    t.frameSent(ws); // its update message
    expect(t.pending).toBe(true);
    expect(t.pendingCount).toBe(1);
    expect(t.durable(ws, 1)).toBe(false); // only the step 2 is durable
    expect(t.pending).toBe(true);
    expect(t.durable(ws, 2)).toBe(true);
    expect(t.pending).toBe(false);
  });

  it('counts every edit, deletions included (they do not advance Yjs clocks)', () => {
    const t = new DurabilityTracker();
    const ws = {};
    t.connectionOpened(ws);
    t.localEdit();
    t.frameSent(ws);
    t.localEdit();
    t.localEdit();
    t.frameSent(ws);
    t.durable(ws, 1);
    expect(t.pendingCount).toBe(2);
    t.durable(ws, 2);
    expect(t.pendingCount).toBe(0);
  });

  it('keeps edits made offline pending until the reconnection sync is acknowledged', () => {
    const t = new DurabilityTracker();
    const first = {};
    t.connectionOpened(first);
    t.localEdit();
    t.frameSent(first);
    t.connectionClosed(first);
    t.localEdit(); // offline
    // An ack arriving from the old connection changes nothing.
    expect(t.durable(first, 1)).toBe(false);
    expect(t.pendingCount).toBe(2);
    const second = {};
    t.connectionOpened(second);
    t.frameSent(second); // sync step 2 carrying both edits
    t.durable(second, 1);
    expect(t.pending).toBe(false);
  });

  it('ignores acks of unknown connections and seq 0', () => {
    const t = new DurabilityTracker();
    const ws = {};
    t.connectionOpened(ws);
    t.localEdit();
    t.frameSent(ws);
    expect(t.durable({}, 5)).toBe(false);
    expect(t.durable(ws, 0)).toBe(false);
    expect(t.pending).toBe(true);
  });
});

describe('dotState', () => {
  it('says connecting before the first sync and reconnecting after', () => {
    const base = { pending: false, readOnly: false };
    expect(
      dotState({ ...base, connection: 'connecting', everSynced: false })
    ).toBe('connecting');
    expect(
      dotState({ ...base, connection: 'reconnecting', everSynced: true })
    ).toBe('reconnecting');
  });

  it('says pending, saved, read-only and closed', () => {
    expect(
      dotState({
        connection: 'connected',
        everSynced: true,
        pending: true,
        readOnly: false
      })
    ).toBe('pending');
    expect(
      dotState({
        connection: 'connected',
        everSynced: true,
        pending: false,
        readOnly: false
      })
    ).toBe('saved');
    expect(
      dotState({
        connection: 'connected',
        everSynced: true,
        pending: false,
        readOnly: true
      })
    ).toBe('read-only');
    expect(
      dotState({
        connection: 'closed',
        everSynced: true,
        pending: true,
        readOnly: false
      })
    ).toBe('closed');
  });
});
