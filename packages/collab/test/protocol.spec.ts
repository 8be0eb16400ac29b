// The bridge's own messages, encoded by the room server's encoders and decoded here.
import * as decoding from 'lib0/decoding';
import {
  decodeClientMessage,
  durableMessage,
  epochMessage,
  MSG as SERVER_MSG,
  CLOSE_CODE as SERVER_CLOSE_CODE,
  roomStatusMessage,
  syncStep1,
  syncUpdate,
  syncStep2
} from '../../../server-bridge/src/collab/protocol';
import {
  CLOSE_CODE,
  isCountedUpdate,
  MSG,
  parseEpoch,
  parseRoomStatus,
  readDurable,
  ticketMessage
} from '../src/protocol';

function body(message: Uint8Array): decoding.Decoder {
  const decoder = decoding.createDecoder(message);
  decoding.readVarUint(decoder);
  return decoder;
}

describe('room protocol', () => {
  it('has the server’s message types and close codes', () => {
    expect(MSG).toEqual(SERVER_MSG);
    expect(CLOSE_CODE).toEqual(SERVER_CLOSE_CODE);
  });

  it('reads durable messages', () => {
    const clocks = new Map([
      [123456789, 42],
      [7, 0]
    ]);
    const message = durableMessage(300, clocks);
    expect(message[0]).toBe(MSG.durable);
    expect(readDurable(body(message))).toEqual({ seq: 300, clocks });
  });

  it('reads room status and epoch messages', () => {
    const status = {
      room: 'json:notebook:a.ipynb',
      path: 'a.ipynb',
      kind: 'notebook' as const,
      epoch: 'e-1',
      loaded: true,
      readOnly: false,
      readOnlyReason: null,
      documentReadOnly: false,
      lastSavedAt: 1764000000000,
      unsavedChanges: true,
      notice: { kind: 'disk-merged' as const, message: 'merged', at: 1 }
    };
    const message = roomStatusMessage(status);
    expect(message[0]).toBe(MSG.roomStatus);
    expect(parseRoomStatus(decoding.readVarString(body(message)))).toEqual(
      status
    );
    const epoch = epochMessage({ epoch: 'e-2', reload: true });
    expect(parseEpoch(decoding.readVarString(body(epoch)))).toEqual({
      epoch: 'e-2',
      reload: true
    });
  });

  it('refuses malformed payloads', () => {
    expect(parseRoomStatus('{')).toBeNull();
    expect(parseRoomStatus('{"room": 1}')).toBeNull();
    expect(parseEpoch('{"epoch": "", "reload": false}')).toBeNull();
    expect(parseEpoch('null')).toBeNull();
  });

  it('sends tickets the server decodes', () => {
    expect(decodeClientMessage(ticketMessage('v1.abc.def'))).toEqual({
      type: 'ticket',
      ticket: 'v1.abc.def'
    });
  });

  it('counts the frames the server counts (step 2 and update, not step 1)', () => {
    const update = new Uint8Array([0, 0]);
    expect(isCountedUpdate(syncStep2(update))).toBe(true);
    expect(isCountedUpdate(syncUpdate(update))).toBe(true);
    expect(isCountedUpdate(syncUpdate(update).buffer)).toBe(true);
    expect(isCountedUpdate(syncStep1(new Uint8Array([0])))).toBe(false);
    expect(isCountedUpdate(ticketMessage('t'))).toBe(false);
    expect(isCountedUpdate(new Uint8Array([1, 1, 0]))).toBe(false);
    expect(isCountedUpdate('text')).toBe(false);
  });
});
