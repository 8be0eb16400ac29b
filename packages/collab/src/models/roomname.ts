/**
 * Room names, built the way the bridge's room server parses them
 * (server-bridge/src/collab/room-name.ts): `<format>:<type>:<path>`, where `json:notebook`
 * and `text:file` are the two kinds served and the path is relative to the Jupyter root dir,
 * normalised, without `..`, NUL or control characters. The name travels URL-encoded as the
 * last segment of `{wsUrl}mlinfn-bridge/collab/<name>`.
 */

/**
 * The kinds of document a room holds.
 */
export type DocumentKind = 'notebook' | 'file';

/**
 * The format and content type of each kind, as JupyterLab's document factories name them
 * (`fileFormat`, `contentType`) and as the room name starts.
 */
export const KIND_FORMATS: Readonly<
  Record<DocumentKind, { format: 'json' | 'text'; type: 'notebook' | 'file' }>
> = {
  notebook: { format: 'json', type: 'notebook' },
  file: { format: 'text', type: 'file' }
};

/**
 * Why a path cannot have a room (the document then opens as an ordinary, unshared one).
 */
export type RoomPathProblem =
  | 'empty'
  | 'too-long'
  | 'control-character'
  | 'absolute'
  | 'parent-segment'
  | 'proxy-unsafe';

/**
 * A room name, or why there is none.
 */
export type RoomNameResult =
  | { ok: true; name: string; path: string; kind: DocumentKind }
  | { ok: false; problem: RoomPathProblem };

/**
 * The longest path the room server accepts, in UTF-8 bytes (PATH_MAX).
 */
export const MAX_PATH_BYTES = 4096;

/**
 * The kind of document a JupyterLab model factory makes, from its file format and content
 * type; `null` for anything a room does not serve.
 */
export function documentKind(
  format: string | null | undefined,
  contentType: string | null | undefined
): DocumentKind | null {
  if (format === 'json' && contentType === 'notebook') {
    return 'notebook';
  }
  if (format === 'text' && contentType === 'file') {
    return 'file';
  }
  return null;
}

/**
 * Normalise a path the way the room server does (`normalizeRelativePath`), or say why the
 * server would refuse it.
 *
 * One rule is the front end's own: `?` and `#` are refused, because jupyter-server-proxy
 * decodes the URL path and quotes it again with `?` and `#` left as they are, so the bridge
 * would read them as the start of the query or the fragment.
 *
 * @param raw - The path relative to the Jupyter root dir (JupyterLab's local path).
 * @param options.behindProxy - Whether the bridge is reached through jupyter-server-proxy
 *   (the normal case); standalone bridges take `?` and `#` encoded.
 */
export function normalizeRoomPath(
  raw: string,
  options: { behindProxy?: boolean } = {}
): { ok: true; path: string } | { ok: false; problem: RoomPathProblem } {
  if (raw.includes('\0')) {
    return { ok: false, problem: 'control-character' };
  }
  if (new TextEncoder().encode(raw).length > MAX_PATH_BYTES) {
    return { ok: false, problem: 'too-long' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) {
    return { ok: false, problem: 'control-character' };
  }
  if (
    raw.startsWith('/') ||
    raw.startsWith('\\') ||
    /^[A-Za-z]:[\\/]/.test(raw)
  ) {
    return { ok: false, problem: 'absolute' };
  }
  if (raw.split(/[/\\]/).some(segment => segment === '..')) {
    return { ok: false, problem: 'parent-segment' };
  }
  if ((options.behindProxy ?? true) && /[?#]/.test(raw)) {
    return { ok: false, problem: 'proxy-unsafe' };
  }
  // path.posix.normalize without `..` segments: drop empty and `.` segments.
  const path = raw
    .split('/')
    .filter(segment => segment !== '' && segment !== '.')
    .join('/');
  if (path === '') {
    return { ok: false, problem: 'empty' };
  }
  return { ok: true, path };
}

/**
 * The room name of a document.
 *
 * @param kind - What the document is.
 * @param rawPath - Its path relative to the Jupyter root dir.
 * @param options - See `normalizeRoomPath`.
 */
export function roomNameFor(
  kind: DocumentKind,
  rawPath: string,
  options: { behindProxy?: boolean } = {}
): RoomNameResult {
  const normal = normalizeRoomPath(rawPath, options);
  if (!normal.ok) {
    return normal;
  }
  const { format, type } = KIND_FORMATS[kind];
  return {
    ok: true,
    name: `${format}:${type}:${normal.path}`,
    path: normal.path,
    kind
  };
}

/**
 * The last URL segment for a room: the name, URL-encoded (`/` included, so that the whole name
 * is one segment).
 */
export function encodeRoomName(name: string): string {
  return encodeURIComponent(name);
}

/**
 * Split a room name into its kind and path (for the `newRoom` of a rename notice); `null` for
 * a name that is not `json:notebook:<path>` or `text:file:<path>`.
 */
export function parseRoomName(
  name: string
): { kind: DocumentKind; path: string } | null {
  for (const kind of ['notebook', 'file'] as DocumentKind[]) {
    const { format, type } = KIND_FORMATS[kind];
    const prefix = `${format}:${type}:`;
    if (name.startsWith(prefix) && name.length > prefix.length) {
      return { kind, path: name.slice(prefix.length) };
    }
  }
  return null;
}
