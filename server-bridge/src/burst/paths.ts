/**
 * burst: paths under the Jupyter root. Every path a request names is relative (the schema
 * says so), is resolved through symlinks, and must stay inside its root: the notebook inside
 * the Jupyter root, input files inside the notebook's folder.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { BadJobRequest } from './types';

/** Whether `child` is `parent` or inside it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A relative path checked segment by segment: no `..`, `.`, empty or absolute parts. */
export function checkRelative(rel: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(rel)) {
    throw new BadJobRequest(
      `${what} contains a control character or a backslash`
    );
  }
  if (rel.startsWith('/')) {
    throw new BadJobRequest(`${what} must be relative`);
  }
  const parts = rel.split('/').filter(p => p !== '');
  if (parts.length === 0 || parts.some(p => p === '..' || p === '.')) {
    throw new BadJobRequest(`${what} must not contain "." or ".." segments`);
  }
  return parts.join('/');
}

const roots = new Map<string, Promise<string>>();

/** The Jupyter root resolved through symlinks (once: it does not move while we run). */
export function realRoot(rootDir: string): Promise<string> {
  let root = roots.get(rootDir);
  if (!root) {
    root = realpath(rootDir);
    root.catch(() => roots.delete(rootDir));
    roots.set(rootDir, root);
  }
  return root;
}

/** The notebook's folder, resolved, inside the (resolved) Jupyter root. */
export async function notebookFolder(
  rootDir: string,
  notebookPath: string
): Promise<{ root: string; folder: string }> {
  const rel = checkRelative(notebookPath, 'notebookPath');
  const root = await realRoot(rootDir);
  const folderRel = path.posix.dirname(rel);
  let folder: string;
  try {
    folder = await realpath(path.join(root, folderRel));
  } catch {
    throw new BadJobRequest(
      `the notebook's folder ${folderRel} does not exist`,
      404
    );
  }
  if (!isInside(root, folder)) {
    throw new BadJobRequest(
      "the notebook's folder is outside the Jupyter root"
    );
  }
  return { root, folder };
}

/** An input file or folder, resolved, inside the notebook's folder. */
export async function inputPath(folder: string, rel: string): Promise<string> {
  const clean = checkRelative(rel, `input file "${rel}"`);
  let full: string;
  try {
    full = await realpath(path.join(folder, clean));
  } catch {
    throw new BadJobRequest(`input file "${rel}" does not exist`);
  }
  if (!isInside(folder, full) || full === folder) {
    throw new BadJobRequest(
      `input file "${rel}" is outside the notebook's folder`
    );
  }
  return full;
}
