/**
 * Identities: who a verified caller is and what the Jupyter Authorizer lets them do.
 */
import os from 'node:os';
import type {
  BridgeIdentity,
  Permissions,
  TicketPayload
} from '../schema-types';

/** Every resource the ticket's `perms` names, each with every action: the owner's rights. */
const ALL_PERMISSIONS: Permissions = {
  contents: ['read', 'write', 'execute'],
  kernels: ['read', 'write', 'execute'],
  kernelspecs: ['read', 'write', 'execute'],
  sessions: ['read', 'write', 'execute'],
  terminals: ['read', 'write', 'execute'],
  events: ['read', 'write', 'execute'],
  server: ['read', 'write', 'execute']
};

/** The identity a verified ticket names. */
export function identityFromTicket(payload: TicketPayload): BridgeIdentity {
  return {
    username: payload.sub,
    name: payload.name,
    initials: payload.initials,
    color: payload.color,
    permissions: payload.perms
  };
}

/** The standalone-mode caller: whoever holds the token is the owner, with every permission. */
export function ownerIdentity(): BridgeIdentity {
  let username = 'owner';
  try {
    username = os.userInfo().username || username;
  } catch {
    // No passwd entry (some containers): the name is cosmetic.
  }
  return {
    username,
    name: username,
    initials: username.slice(0, 2).toUpperCase(),
    color: null,
    permissions: structuredClone(ALL_PERMISSIONS)
  };
}

/**
 * Whether the Jupyter Authorizer lets this identity do `action` on `resource` (the ticket's
 * `perms`; in standalone mode the owner may do everything). The one permission check of every
 * module.
 */
export function hasPermission(
  user: BridgeIdentity,
  resource: string,
  action: string
): boolean {
  const actions = (user.permissions as Record<string, string[] | undefined>)[
    resource
  ];
  return Array.isArray(actions) && actions.includes(action);
}
