/**
 * Room names, `<format>:<type>:<path>` as jupyter-collaboration writes them:
 * `json:notebook:<path>` and `text:file:<path>`, the path relative to the Jupyter root dir.
 * The client URL-encodes the name into the WebSocket path (`/collab/<name>`).
 */
import path from 'node:path';
import type { DocumentKind } from './types';

/** A checked room name. */
export interface IRoomName {
  /** Canonical form: `<format>:<type>:<normalised path>`. */
  name: string;
  format: 'json' | 'text';
  type: 'notebook' | 'file';
  kind: DocumentKind;
  /** Normalised, relative to the root dir, no `..`, never empty. */
  path: string;
}

/** The formats and types a room can serve. */
const KINDS: Record<string, DocumentKind> = {
  'json:notebook': 'notebook',
  'text:file': 'file'
};

/** Longest path accepted, in bytes (PATH_MAX). */
const MAX_PATH_BYTES = 4096;

/** A refused room name: the reason is fit for a 4xx answer. */
export class RoomNameError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string
  ) {
    super(message);
    this.name = 'RoomNameError';
  }
}

/**
 * Check a relative path: no NUL, not absolute, no `..` segment, normalised.
 *
 * @throws RoomNameError
 */
export function normalizeRelativePath(raw: string): string {
  if (raw.includes('\0')) {
    throw new RoomNameError(400, 'the path contains a NUL character');
  }
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) {
    throw new RoomNameError(400, 'the path is too long');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) {
    throw new RoomNameError(400, 'the path contains a control character');
  }
  if (
    raw.startsWith('/') ||
    raw.startsWith('\\') ||
    /^[A-Za-z]:[\\/]/.test(raw)
  ) {
    throw new RoomNameError(400, 'the path must be relative to the root dir');
  }
  if (raw.split(/[/\\]/).some(segment => segment === '..')) {
    throw new RoomNameError(400, 'the path must not contain ".."');
  }
  const normal = path.posix.normalize(raw).replace(/\/+$/, '');
  if (
    normal === '' ||
    normal === '.' ||
    normal.startsWith('../') ||
    path.posix.isAbsolute(normal)
  ) {
    throw new RoomNameError(
      400,
      'the path does not name a file in the root dir'
    );
  }
  return normal;
}

/**
 * Parse a decoded room name.
 *
 * @throws RoomNameError
 */
export function parseRoomName(decoded: string): IRoomName {
  const first = decoded.indexOf(':');
  const second = first < 0 ? -1 : decoded.indexOf(':', first + 1);
  if (first < 0 || second < 0) {
    throw new RoomNameError(
      400,
      'a room name is <format>:<type>:<path>, e.g. json:notebook:a.ipynb'
    );
  }
  const formatType = decoded.slice(0, second);
  const kind = KINDS[formatType];
  if (!kind) {
    throw new RoomNameError(
      404,
      `no rooms of format and type "${formatType}" (json:notebook and text:file are served)`
    );
  }
  const relPath = normalizeRelativePath(decoded.slice(second + 1));
  const [format, type] = formatType.split(':') as [
    IRoomName['format'],
    IRoomName['type']
  ];
  return {
    name: `${formatType}:${relPath}`,
    format,
    type,
    kind,
    path: relPath
  };
}

/**
 * The room name of a `/collab/<name>?...` URL path (the part after the prefix, still
 * URL-encoded).
 *
 * @throws RoomNameError
 */
export function roomFromUrlPath(encoded: string): IRoomName {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new RoomNameError(400, 'the room name is not valid URL encoding');
  }
  return parseRoomName(decoded);
}

/** The same room name with another path. */
export function withPath(room: IRoomName, newPath: string): IRoomName {
  const relPath = normalizeRelativePath(newPath);
  return {
    ...room,
    path: relPath,
    name: `${room.format}:${room.type}:${relPath}`
  };
}

/** Whether `candidate` is `dir` itself or inside it. */
export function isSameOrInside(candidate: string, dir: string): boolean {
  return candidate === dir || candidate.startsWith(`${dir}/`);
}
