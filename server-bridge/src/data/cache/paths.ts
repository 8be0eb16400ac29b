/**
 * Where cache entries live. Names are hashes: nothing a client sends becomes a path
 * component, so nothing can leave the cache root.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

/** The entry id of an object (one entry per object: its latest staged version). */
export function entryId(endpoint: string, bucket: string, key: string): string {
  return createHash('sha256')
    .update(`${endpoint}\0${bucket}\0${key}`)
    .digest('hex')
    .slice(0, 40);
}

/**
 * The key's extension, kept on the file so readers that go by the name (pandas, uproot...)
 * recognise it; only short alphanumeric extensions (and `.tar.<x>`) are kept.
 */
export function safeExtension(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const match = /((?:\.tar)?\.[a-z0-9]{1,10})$/i.exec(base);
  if (!match || match[1].length === base.length) {
    return '';
  }
  return match[1].toLowerCase();
}

/** The files of an entry. */
export function entryFiles(root: string, id: string, ext: string) {
  if (!/^[0-9a-f]{40}$/.test(id) || !/^(\.[a-z0-9]{1,10}){0,2}$/.test(ext)) {
    throw new Error('not a cache entry name');
  }
  return {
    ready: path.join(root, 'objects', id + ext),
    partial: path.join(root, 'partial', id + '.part')
  };
}
