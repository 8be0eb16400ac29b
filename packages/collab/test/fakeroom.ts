// A fake room for the session tests: a WebSocket-like class whose other end is a Y.Doc that
// speaks the y-websocket sync protocol, with the bridge's own messages encoded by the room
// server's own encoders (server-bridge/src/collab/protocol.ts), so a change of the wire
// format on either side fails these tests.
import { ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import {
  durableMessage,
  epochMessage,
  roomStatusMessage
} from '../../../server-bridge/src/collab/protocol';
import type { CollabRoomStatus } from '@mlinfn/common';
import type { ITicketSource } from '../src/tokens';

/**
 * Tickets "t1", "t2"... and the `refreshed` signal.
 */
export class FakeTickets implements ITicketSource {
  count = 0;
  current = 't0';
  async ticket(): Promise<string> {
    if (this.current === 't0') {
      return this.refresh();
    }
    return this.current;
  }
  async refresh(): Promise<string> {
    this.count++;
    this.current = `t${this.count}`;
    this._refreshed.emit(this.current);
    return this.current;
  }
  get refreshed(): Signal<this, string> {
    return this._refreshed;
  }
  private _refreshed = new Signal<this, string>(this);
}

/**
 * The room's side: a Y.Doc, its epoch and what it answers.
 */
export class FakeRoom {
  doc = new Y.Doc();
  epoch = 'epoch-a';
  /** Acknowledge updates as durable automatically. */
  autoAck = true;
  /** Updates received per connection (the room's `seq`). */
  sockets: FakeSocket[] = [];
  /** Whether the room drops this client's updates (no `write` permission). */
  readOnly = false;

  get last(): FakeSocket {
    return this.sockets[this.sockets.length - 1];
  }

  status(overrides: Partial<CollabRoomStatus> = {}): CollabRoomStatus {
    return {
      room: 'text:file:a.txt',
      path: 'a.txt',
      kind: 'file',
      epoch: this.epoch,
      loaded: true,
      readOnly: this.readOnly,
      readOnlyReason: this.readOnly
        ? 'Your permissions on this server allow reading files, not writing them.'
        : null,
      documentReadOnly: false,
      lastSavedAt: null,
      unsavedChanges: false,
      ...overrides
    };
  }

  /** A WebSocket class connected to this room. */
  socketClass(): typeof WebSocket {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const room = this;
    return class extends FakeSocket {
      constructor(url: string) {
        super(room, url);
      }
    } as unknown as typeof WebSocket;
  }
}

/**
 * One connection as the client sees it.
 */
export class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;

  constructor(
    readonly room: FakeRoom,
    readonly url: string
  ) {
    room.sockets.push(this);
  }

  readyState = 0;
  binaryType = 'arraybuffer';
  bufferedAmount = 0;
  /** Frames the client sent. */
  sent: Uint8Array[] = [];
  /** Update frames the room applied (its `seq`). */
  seq = 0;
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  get params(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  /** Open, then play the room's handshake: epoch, status, sync step 1. */
  open(options: { reload?: boolean } = {}): void {
    this.readyState = 1;
    this.onopen?.({});
    const epoch = this.params.get('epoch');
    if (options.reload || (epoch && epoch !== this.room.epoch)) {
      this.receive(epochMessage({ epoch: this.room.epoch, reload: true }));
      this.serverClose(4409, 'the document was rebuilt: reload it');
      return;
    }
    this.receive(epochMessage({ epoch: this.room.epoch, reload: false }));
    this.receive(roomStatusMessage(this.room.status()));
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    syncProtocol.writeSyncStep1(encoder, this.room.doc);
    this.receive(encoding.toUint8Array(encoder));
    // The client's own step 1 is answered once the room is loaded and the handshake sent.
    this.handshakeDone = true;
    const replies = this.heldReplies;
    this.heldReplies = [];
    for (const reply of replies) {
      this.receive(reply);
    }
  }

  /** Whether epoch, status and step 1 went out. */
  handshakeDone = false;
  /** Answers to the client's step 1 held until the handshake is done. */
  heldReplies: Uint8Array[] = [];

  send(data: Uint8Array): void {
    if (this.readyState !== 1) {
      throw new Error('not open');
    }
    const bytes = new Uint8Array(data);
    this.sent.push(bytes);
    const decoder = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(decoder);
    if (type !== 0) {
      return;
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    const sub = syncProtocol.readSyncMessage(
      decoder,
      encoder,
      this.room.doc,
      this
    );
    if (encoding.length(encoder) > 1) {
      // sync step 2 answering the client's step 1
      if (this.handshakeDone) {
        this.later(encoding.toUint8Array(encoder));
      } else {
        this.heldReplies.push(encoding.toUint8Array(encoder));
      }
    }
    if ((sub === 1 || sub === 2) && !this.room.readOnly) {
      this.seq++;
      if (this.room.autoAck) {
        this.later(durableMessage(this.seq, new Map()));
      }
    }
  }

  /** Acknowledge every update received so far as durable. */
  ack(seq = this.seq): void {
    this.receive(durableMessage(seq, new Map()));
  }

  /** Deliver a message after the current task (as the network would). */
  later(data: Uint8Array): void {
    setTimeout(() => {
      if (this.readyState === 1) {
        this.receive(data);
      }
    }, 0);
  }

  receive(data: Uint8Array): void {
    const copy = data.slice();
    this.onmessage?.({ data: copy.buffer });
  }

  close(code = 1000): void {
    this.readyState = 3;
    this.closedWith = code;
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/**
 * Server settings whose WebSocket is the room's.
 */
export function roomSettings(room: FakeRoom): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    wsUrl: 'ws://localhost:8888/lab-base/',
    token: '',
    appendToken: false,
    WebSocket: room.socketClass()
  });
}

/**
 * Let timers and promise callbacks run.
 */
export async function tick(ms = 0): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms));
}
