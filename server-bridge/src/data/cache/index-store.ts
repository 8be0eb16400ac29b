/**
 * The cache's index (`<dir>/index.json`): what is staged, what is half-downloaded (with the
 * chunks already done, so a staging resumes after a kill), and when each entry was last used
 * (for LRU eviction). Written whole to a temporary file and renamed; writes are coalesced.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataStageEntry } from '../../schema-types';

/** One entry as stored. */
export interface IIndexEntry {
  id: string;
  endpoint: string;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  ext: string;
  state: 'ready' | 'partial';
  verified?: DataStageEntry['verified'];
  createdAt: number;
  lastUsedAt: number;
  /** partial: the chunk size the done list refers to. */
  chunkBytes?: number;
  /** partial: the chunks written to the .part file. */
  doneChunks?: number[];
}

/** The persisted index. */
export class IndexStore {
  constructor(readonly root: string) {
    this._file = path.join(root, 'index.json');
  }

  /** Read the index (an unreadable one is started afresh: the cache is only a cache). */
  async load(): Promise<void> {
    await mkdir(path.join(this.root, 'objects'), { recursive: true });
    await mkdir(path.join(this.root, 'partial'), { recursive: true });
    try {
      const parsed = JSON.parse(await readFile(this._file, 'utf8'));
      for (const e of Object.values<IIndexEntry>(parsed?.entries ?? {})) {
        if (e && typeof e.id === 'string' && /^[0-9a-f]{40}$/.test(e.id)) {
          this._entries.set(e.id, e);
        }
      }
    } catch {
      // No index yet, or a broken one.
    }
  }

  get(id: string): IIndexEntry | undefined {
    return this._entries.get(id);
  }

  all(): IIndexEntry[] {
    return [...this._entries.values()];
  }

  set(entry: IIndexEntry): void {
    this._entries.set(entry.id, entry);
    this.save();
  }

  delete(id: string): void {
    if (this._entries.delete(id)) {
      this.save();
    }
  }

  /** Schedule a write; resolves when the current state is on disk. */
  save(): Promise<void> {
    this._dirty = true;
    if (!this._writing) {
      this._writing = this._drain().finally(() => {
        this._writing = undefined;
      });
    }
    return this._writing;
  }

  private async _drain(): Promise<void> {
    while (this._dirty) {
      this._dirty = false;
      const body = JSON.stringify({
        version: 1,
        entries: Object.fromEntries(this._entries)
      });
      const tmp = `${this._file}.tmp`;
      try {
        await writeFile(tmp, body, { mode: 0o600 });
        await rename(tmp, this._file);
      } catch {
        // The disk is full or gone: the index is rebuilt from scratch next time.
      }
    }
  }

  private readonly _file: string;
  private readonly _entries = new Map<string, IIndexEntry>();
  private _dirty = false;
  private _writing: Promise<void> | undefined;
}
