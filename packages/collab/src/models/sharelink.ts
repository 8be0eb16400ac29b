/**
 * Share links: a URL that opens a document in collaborative mode,
 * `<share base>lab/tree/<path>?collab=1` (the share base is JupyterLab's: under JupyterHub it
 * reaches the same server for every user the server is shared with). JupyterLab opens the
 * path itself (its tree route); the `collab` parameter tells this extension to open that one
 * document as a shared one, whatever the collaborative-mode setting says.
 */

/**
 * The query parameter that asks for collaborative mode.
 */
export const SHARE_PARAM = 'collab';

/**
 * Encode each segment of a path for a URL (JupyterLab's `URLExt.encodeParts`).
 */
function encodeParts(path: string): string {
  return path
    .split('/')
    .map(part => encodeURIComponent(part))
    .join('/');
}

/**
 * Build the share link of a document.
 *
 * @param labUrl - JupyterLab's URL for sharing, ending in `lab` or `lab/` (PageConfig's
 *   `getUrl({ toShare: true, workspace: 'default' })`).
 * @param path - The document's path relative to the root dir.
 */
export function buildShareLink(labUrl: string, path: string): string {
  const base = labUrl.endsWith('/') ? labUrl : `${labUrl}/`;
  const clean = path.replace(/^\/+/, '');
  return `${base}tree/${encodeParts(clean)}?${SHARE_PARAM}=1`;
}

/**
 * The document a share link asks to open collaboratively; `null` when the URL is not one.
 *
 * @param href - The page's URL.
 */
export function parseShareLink(href: string): { path: string } | null {
  let url: URL;
  try {
    url = new URL(href, 'http://localhost/');
  } catch {
    return null;
  }
  const flag = url.searchParams.get(SHARE_PARAM);
  if (flag === null || !['1', 'true', 'yes', ''].includes(flag)) {
    return null;
  }
  const match = /\/(?:lab|doc)(?:\/workspaces\/[^/]+)?\/tree\/(.+)$/.exec(
    url.pathname
  );
  if (!match) {
    return null;
  }
  let path: string;
  try {
    path = match[1]
      .split('/')
      .map(part => decodeURIComponent(part))
      .filter(part => part !== '')
      .join('/');
  } catch {
    return null;
  }
  return path ? { path } : null;
}

/**
 * The page URL without the share parameter (so that a reload does not ask again).
 */
export function withoutShareParam(href: string): string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return href;
  }
  url.searchParams.delete(SHARE_PARAM);
  return url.toString();
}
