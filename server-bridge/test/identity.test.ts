import { hasPermission, ownerIdentity } from '../src/auth/identity';
import type { BridgeIdentity } from '../src/schema-types';

const reader: BridgeIdentity = {
  username: 'carol',
  name: 'Carol',
  initials: 'CA',
  color: null,
  permissions: { contents: ['read'], kernels: [] } as any
};

describe('hasPermission', () => {
  it('answers what the Authorizer allowed, action by action', () => {
    expect(hasPermission(reader, 'contents', 'read')).toBe(true);
    expect(hasPermission(reader, 'contents', 'write')).toBe(false);
    expect(hasPermission(reader, 'kernels', 'execute')).toBe(false);
  });

  it('refuses a resource the ticket does not name', () => {
    expect(hasPermission(reader, 'terminals', 'read')).toBe(false);
  });

  it('lets the standalone owner do everything', () => {
    const owner = ownerIdentity();
    expect(hasPermission(owner, 'contents', 'write')).toBe(true);
    expect(hasPermission(owner, 'kernels', 'execute')).toBe(true);
  });
});
