import { readOnlyDecision } from '../src/models/readonly';

const writer = {
  contents: ['read', 'write'],
  kernels: ['read', 'write', 'execute']
};
const reader = { contents: ['read'], kernels: ['read'] };
const readerWhoRunsCode = { contents: ['read'], kernels: ['read', 'execute'] };

describe('readOnlyDecision', () => {
  it('is editable with write on contents', () => {
    const d = readOnlyDecision({
      permissions: writer as any,
      status: null,
      personalServer: false
    });
    expect(d.readOnly).toBe(false);
  });

  it('is read-only without write on contents, before the room has said', () => {
    const d = readOnlyDecision({
      permissions: reader as any,
      status: null,
      personalServer: false
    });
    expect(d).toEqual({
      readOnly: true,
      reason: null,
      forEveryone: false,
      courtesy: false
    });
  });

  it('is a courtesy when the reader can run code, or on a personal server', () => {
    expect(
      readOnlyDecision({
        permissions: readerWhoRunsCode as any,
        status: null,
        personalServer: false
      }).courtesy
    ).toBe(true);
    expect(
      readOnlyDecision({
        permissions: reader as any,
        status: null,
        personalServer: true
      }).courtesy
    ).toBe(true);
    expect(
      readOnlyDecision({
        permissions: {
          contents: ['read'],
          terminals: ['read', 'write']
        } as any,
        status: null,
        personalServer: false
      }).courtesy
    ).toBe(true);
  });

  it('follows the room once it has spoken', () => {
    const d = readOnlyDecision({
      permissions: writer as any,
      status: {
        readOnly: true,
        readOnlyReason: 'the file is not UTF-8',
        documentReadOnly: true
      },
      personalServer: true
    });
    expect(d).toEqual({
      readOnly: true,
      reason: 'the file is not UTF-8',
      forEveryone: true,
      // read-only for everyone is no courtesy: nobody's edits are written
      courtesy: false
    });
    expect(
      readOnlyDecision({
        permissions: reader as any,
        status: {
          readOnly: false,
          readOnlyReason: null,
          documentReadOnly: false
        },
        personalServer: false
      }).readOnly
    ).toBe(false);
  });

  it('is editable when nothing is known yet', () => {
    expect(
      readOnlyDecision({
        permissions: null,
        status: null,
        personalServer: false
      }).readOnly
    ).toBe(false);
  });
});
