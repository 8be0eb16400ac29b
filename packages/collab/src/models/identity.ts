/**
 * The awareness `user` field: who a collaborator is, as JupyterLab's `User.IIdentity` names
 * it (`username`, `name`, `display_name`, `initials`, `color`), which remote cursors and
 * avatars read. It comes from the identity the bridge verified from the ticket.
 */

/**
 * The user as published on every room's awareness.
 */
export interface IAwarenessUser {
  username: string;
  name: string;
  display_name: string;
  initials: string;
  /**
   * A CSS colour (usually `var(--jp-collaborator-colorN)`), the same for cursors and avatars.
   */
  color: string;
  avatar_url: null;
}

/**
 * How many collaborator colours JupyterLab's themes define (`--jp-collaborator-color1..7`).
 */
export const COLLABORATOR_COLORS = 7;

/**
 * A colour for a user without one: the same for the same user name everywhere (FNV-1a hash).
 */
export function colorFor(username: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < username.length; i++) {
    hash ^= username.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `var(--jp-collaborator-color${(hash % COLLABORATOR_COLORS) + 1})`;
}

/**
 * Up to two initials from a name ("Alice Liddell" → "AL", "alice" → "A").
 */
export function initialsOf(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/)
    .filter(word => word.length > 0);
  if (words.length === 0) {
    return '?';
  }
  const first = Array.from(words[0])[0] ?? '';
  const last =
    words.length > 1 ? (Array.from(words[words.length - 1])[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/**
 * Only colours that are CSS variables or plain colour values are kept (a colour is written
 * into style attributes on everyone's screen).
 */
export function safeColor(color: unknown): string | null {
  if (typeof color !== 'string') {
    return null;
  }
  const value = color.trim();
  if (/^var\(--[A-Za-z0-9-]+\)$/.test(value)) {
    return value;
  }
  if (/^#[0-9A-Fa-f]{3,8}$/.test(value)) {
    return value;
  }
  if (/^(rgb|hsl)a?\([0-9.,%\s]+\)$/.test(value)) {
    return value;
  }
  if (/^[a-z]{3,20}$/.test(value)) {
    return value;
  }
  return null;
}

/**
 * The awareness user from a verified identity.
 */
export function awarenessUser(identity: {
  username: string;
  name?: string | null;
  initials?: string | null;
  color?: string | null;
}): IAwarenessUser {
  const name = identity.name || identity.username;
  return {
    username: identity.username,
    name,
    display_name: name,
    initials: (identity.initials || initialsOf(name)).slice(0, 3),
    color: safeColor(identity.color) ?? colorFor(identity.username),
    avatar_url: null
  };
}

/**
 * Read a remote client's `user` field defensively (it is whatever that client published).
 */
export function readAwarenessUser(value: unknown): IAwarenessUser | null {
  const v = value as Partial<IAwarenessUser> | null;
  if (!v || typeof v !== 'object') {
    return null;
  }
  const username =
    typeof v.username === 'string' && v.username
      ? v.username
      : typeof v.name === 'string' && v.name
        ? v.name
        : null;
  if (!username) {
    return null;
  }
  const name =
    (typeof v.display_name === 'string' && v.display_name) ||
    (typeof v.name === 'string' && v.name) ||
    username;
  return {
    username: username.slice(0, 200),
    name: name.slice(0, 200),
    display_name: name.slice(0, 200),
    initials: (typeof v.initials === 'string' && v.initials
      ? v.initials
      : initialsOf(name)
    ).slice(0, 3),
    color: safeColor(v.color) ?? colorFor(username),
    avatar_url: null
  };
}
