import { decideEpoch } from '../src/models/epoch';
import { CLOSE_CODE, closeAction } from '../src/protocol';

describe('decideEpoch', () => {
  it('adopts the first epoch of a fresh document', () => {
    expect(decideEpoch(null, { epoch: 'e1', reload: false }, false)).toEqual({
      action: 'adopt',
      epoch: 'e1'
    });
  });

  it('keeps a matching epoch', () => {
    expect(decideEpoch('e1', { epoch: 'e1', reload: false }, true)).toEqual({
      action: 'keep'
    });
  });

  it('reloads when the room says so', () => {
    expect(decideEpoch('e1', { epoch: 'e2', reload: true }, true)).toEqual({
      action: 'reload',
      epoch: 'e2'
    });
    // even a fresh document: the room's word is final
    expect(decideEpoch(null, { epoch: 'e2', reload: true }, false).action).toBe(
      'reload'
    );
  });

  it('never merges a document of another history, whatever the room said', () => {
    expect(decideEpoch('e1', { epoch: 'e2', reload: false }, true)).toEqual({
      action: 'reload',
      epoch: 'e2'
    });
    // a synced document that never heard an epoch cannot prove its history
    expect(decideEpoch(null, { epoch: 'e2', reload: false }, true).action).toBe(
      'reload'
    );
  });
});

describe('closeAction', () => {
  it('reloads on a stale epoch', () => {
    expect(closeAction(CLOSE_CODE.staleEpoch)).toBe('reload');
  });

  it('stops on the permanent codes', () => {
    for (const code of [
      CLOSE_CODE.notFound,
      CLOSE_CODE.unloadable,
      CLOSE_CODE.unauthorized,
      4499
    ]) {
      expect(closeAction(code)).toBe('stop');
    }
  });

  it('retries everything else', () => {
    for (const code of [
      1001,
      1002,
      1006,
      1007,
      1008,
      1009,
      1011,
      1013,
      CLOSE_CODE.ticketExpired,
      CLOSE_CODE.unavailable
    ]) {
      expect(closeAction(code)).toBe('retry');
    }
  });
});
