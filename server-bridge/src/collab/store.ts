/**
 * A room's state directory on the bridge's local state dir:
 *
 *     <stateDir>/<stateSubdir>/rooms/<sha256(room name)>/
 *       log         the update log (log.ts)
 *       base        the file content the room last saved, seeded or merged (the merge
 *                   base); its sha256 is also in the log's last base record
 *       base-next-save, base-next-merge
 *                   the new base while a save or a merge is in progress; promoted once it is
 *                   done, so that a crash never leaves a base that disagrees with the log
 *                   or with a file the room wrote (room.ts says how a load decides)
 *       meta.json   the room's name and path (renames, deletes)
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat
} from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from './log';
import type { IRoomName } from './room-name';

/** meta.json. */
export interface IRoomMeta {
  room: string;
  path: string;
  kind: IRoomName['kind'];
  createdAt: number;
}

/** sha256 hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A new random epoch. */
export function newEpoch(): string {
  return randomUUID();
}

/** Write a file so that it survives a crash whole or not at all. */
export async function writeFileDurable(
  file: string,
  data: Uint8Array | string
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await syncDir(path.dirname(file));
}

/** The rooms' directory and the room directories in it. */
export class RoomStore {
  constructor(root: string) {
    this.root = root;
    this._rooms = path.join(root, 'rooms');
  }

  /** `<stateDir>/<stateSubdir>`. */
  readonly root: string;

  /** The directory of a room. */
  dirOf(roomName: string): string {
    return path.join(this._rooms, sha256(roomName));
  }

  /** Create the room's directory (and parents). */
  async ensure(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }

  /** Every room directory with its meta.json (unreadable ones skipped). */
  async list(): Promise<{ dir: string; meta: IRoomMeta }[]> {
    let names: string[];
    try {
      names = await readdir(this._rooms);
    } catch {
      return [];
    }
    const out: { dir: string; meta: IRoomMeta }[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name)) {
        continue;
      }
      const dir = path.join(this._rooms, name);
      const meta = await readMeta(dir);
      if (meta) {
        out.push({ dir, meta });
      }
    }
    return out;
  }

  /** Move a room's directory (a rename of its file); whatever was at `to` is removed. */
  async move(from: string, to: string): Promise<void> {
    if (from === to) {
      return;
    }
    await rm(to, { recursive: true, force: true });
    await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
    await rename(from, to);
    await syncDir(path.dirname(to));
  }

  /** Remove a room's state (its file was deleted). */
  async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Move a room's unreadable log aside, for whoever wants to look at it. */
  async quarantine(file: string): Promise<string | undefined> {
    const target = `${file}.corrupt-${Date.now()}`;
    try {
      await rename(file, target);
      return target;
    } catch {
      return undefined;
    }
  }

  private readonly _rooms: string;
}

/** meta.json of a room dir, or null. */
export async function readMeta(dir: string): Promise<IRoomMeta | null> {
  try {
    const meta = JSON.parse(
      await readFile(path.join(dir, 'meta.json'), 'utf8')
    );
    if (typeof meta?.room === 'string' && typeof meta?.path === 'string') {
      return meta as IRoomMeta;
    }
  } catch {
    // missing or unreadable: not a room we can name
  }
  return null;
}

/** Write meta.json. */
export async function writeMeta(dir: string, meta: IRoomMeta): Promise<void> {
  await writeFileDurable(path.join(dir, 'meta.json'), JSON.stringify(meta));
}

/** Why a new base is being written. */
export type BaseChange = 'save' | 'merge';

/** The base and a change of base that was in progress, if any. */
export interface IBaseState {
  base: Uint8Array | null;
  next: { kind: BaseChange; content: Uint8Array } | null;
}

const nextFile = (dir: string, kind: BaseChange) =>
  path.join(dir, `base-next-${kind}`);

/** Read base and any base-next. */
export async function readBase(dir: string): Promise<IBaseState> {
  const base = await readOptional(path.join(dir, 'base'));
  for (const kind of ['save', 'merge'] as const) {
    const content = await readOptional(nextFile(dir, kind));
    if (content) {
      return { base, next: { kind, content } };
    }
  }
  return { base, next: null };
}

/** Write base directly (seeding). */
export async function writeBase(
  dir: string,
  content: Uint8Array
): Promise<void> {
  await writeFileDurable(path.join(dir, 'base'), content);
  await dropBaseNext(dir);
}

/** Record the base a save or merge is about to make. */
export async function writeBaseNext(
  dir: string,
  kind: BaseChange,
  content: Uint8Array
): Promise<void> {
  await writeFileDurable(nextFile(dir, kind), content);
}

/** The change is done: base-next becomes base. */
export async function promoteBaseNext(
  dir: string,
  kind: BaseChange
): Promise<void> {
  await rename(nextFile(dir, kind), path.join(dir, 'base'));
  await syncDir(dir);
}

/** The change did not happen. */
export async function dropBaseNext(dir: string): Promise<void> {
  await rm(nextFile(dir, 'save'), { force: true });
  await rm(nextFile(dir, 'merge'), { force: true });
}

/** Whether a path exists (local state dir only). */
export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(file: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    return null;
  }
}
