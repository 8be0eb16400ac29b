/**
 * burst: outputs into the notebook, by cell id, when no front end has applied them. Through
 * the collaborative room when one has the notebook open (every client sees the change and the
 * room saves), else into the file: read, change only that cell's outputs and execution count,
 * write atomically, with the rooms' own nbformat-exact serializer and file agent. Also the
 * job's produced files, copied next to the notebook under a size cap.
 */
import { copyFile, lstat, mkdir, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import * as Y from 'yjs';
import type { ICollabModule } from '../collab/index';
import {
  newCellId,
  parseNotebook,
  writeNotebook,
  type ICellJSON,
  type JSONObject,
  type JSONValue
} from '../collab/document/nbformat';
import { outputMap, serverEdit } from '../collab/document/layout';
import type { IFileAgent } from '../collab/document/types';
import { SERVER_EDIT_ORIGIN } from '../collab/document/types';
import type { BurstOutput, BurstProducedFile } from '../schema-types';
import { isInside, notebookFolder } from './paths';

/** The outputs could not be written; the message says why, in words. */
export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** What to write where. */
export interface IDeliveryTarget {
  notebookPath: string;
  cellId: string;
  /** To find the cell in a file without ids (with its source). */
  cellIndex?: number;
  code: string;
  outputs: BurstOutput[];
  executionCount: number | null;
}

/** Writes outputs into notebooks. */
export class Delivery {
  constructor(
    private readonly _rootDir: string,
    private readonly _files: IFileAgent,
    private readonly _collab?: ICollabModule
  ) {}

  /**
   * Put the outputs in the cell: through an open room, else in the file.
   *
   * @throws DeliveryError
   */
  async deliver(target: IDeliveryTarget): Promise<'room' | 'file'> {
    const room = this._collab?.enabled
      ? this._collab.room(`json:notebook:${target.notebookPath}`)
      : undefined;
    if (room && room.state === 'open') {
      this._applyToDoc(room.doc, target);
      return 'room';
    }
    await this._writeFile(target);
    return 'file';
  }

  /**
   * Copy the produced files (the sandbox's produced/ folder) to
   * `<notebook folder>/<notebook stem>.burst/<job id>/`, at most `maxBytes` in all.
   */
  async copyProduced(
    producedDir: string,
    notebookPath: string,
    jobId: string,
    maxBytes: number
  ): Promise<{ files: BurstProducedFile[]; skipped: number }> {
    const { root, folder } = await notebookFolder(this._rootDir, notebookPath);
    const stem = path.posix.basename(notebookPath).replace(/\.ipynb$/, '');
    const dest = path.join(folder, `${stem}.burst`, jobId);
    const files: BurstProducedFile[] = [];
    let skipped = 0;
    let total = 0;
    const list: { rel: string; bytes: number }[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        const r = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          await walk(full, r);
        } else if (entry.isFile()) {
          list.push({ rel: r, bytes: (await lstat(full)).size });
        }
      }
    };
    await walk(producedDir, '');
    list.sort((a, b) => a.bytes - b.bytes || a.rel.localeCompare(b.rel));
    for (const item of list) {
      if (total + item.bytes > maxBytes) {
        skipped++;
        continue;
      }
      const target = path.join(dest, item.rel);
      await mkdir(path.dirname(target), { recursive: true });
      // The folder must still be inside the root (no link swapped in meanwhile).
      if (!isInside(root, await realpath(path.dirname(target)))) {
        skipped++;
        continue;
      }
      await copyFile(path.join(producedDir, item.rel), target);
      total += item.bytes;
      files.push({
        path: path.relative(root, target).split(path.sep).join('/'),
        bytes: item.bytes
      });
    }
    return { files, skipped };
  }

  private _applyToDoc(doc: Y.Doc, target: IDeliveryTarget): void {
    const cells = doc.getArray<Y.Map<unknown>>('cells');
    const cell = cells.toArray().find(c => c.get('id') === target.cellId);
    if (!cell || cell.get('cell_type') !== 'code') {
      throw new DeliveryError(
        `the cell ${target.cellId} is no longer in ${target.notebookPath}`
      );
    }
    serverEdit(doc, SERVER_EDIT_ORIGIN, () => {
      let outputs = cell.get('outputs');
      if (!(outputs instanceof Y.Array)) {
        outputs = new Y.Array<Y.Map<unknown>>();
        cell.set('outputs', outputs);
      }
      const array = outputs as Y.Array<Y.Map<unknown>>;
      // In place, as YCodeCell.setOutputs does: clients observe this array.
      array.delete(0, array.length);
      array.insert(
        0,
        target.outputs.map(o => outputMap(o as unknown as JSONObject))
      );
      cell.set('execution_count', target.executionCount);
    });
  }

  private async _writeFile(target: IDeliveryTarget): Promise<void> {
    let disk;
    try {
      disk = await this._files.read(target.notebookPath);
    } catch (err) {
      throw new DeliveryError(
        `${target.notebookPath} cannot be read: ${(err as Error).message}`
      );
    }
    if (!disk) {
      throw new DeliveryError(`${target.notebookPath} no longer exists`);
    }
    let nb;
    try {
      nb = parseNotebook(disk.content, { normalizeIds: false });
    } catch (err) {
      throw new DeliveryError(
        `${target.notebookPath}: ${(err as Error).message}`
      );
    }
    let cell: ICellJSON | undefined = nb.cells.find(
      c => c.id === target.cellId
    );
    if (!cell) {
      // A notebook saved without ids: the cell at its index, or the one with its source.
      const withoutIds = nb.cells.every(c => typeof c.id !== 'string');
      if (withoutIds) {
        const atIndex =
          target.cellIndex !== undefined
            ? nb.cells[target.cellIndex]
            : undefined;
        cell =
          atIndex &&
          atIndex.source === target.code &&
          atIndex.cell_type === 'code'
            ? atIndex
            : nb.cells.find(
                c => c.cell_type === 'code' && c.source === target.code
              );
        if (cell) {
          // Ids on first use: the notebook becomes 4.5; this cell keeps the id the lab gave it.
          const used = new Set<string>([target.cellId]);
          for (const c of nb.cells) {
            if (c === cell) {
              c.id = target.cellId;
            } else {
              let id = newCellId();
              while (used.has(id)) {
                id = newCellId();
              }
              used.add(id);
              c.id = id;
            }
          }
          nb.nbformat_minor = Math.max(nb.nbformat_minor, 5);
        }
      }
    }
    if (!cell || cell.cell_type !== 'code') {
      throw new DeliveryError(
        `the cell ${target.cellId} is no longer in ${target.notebookPath}`
      );
    }
    cell.outputs = target.outputs as unknown as JSONValue[];
    cell.execution_count = target.executionCount;
    try {
      await this._files.writeAtomic(target.notebookPath, writeNotebook(nb));
    } catch (err) {
      throw new DeliveryError(
        `${target.notebookPath} cannot be written: ${(err as Error).message}`
      );
    }
  }
}
