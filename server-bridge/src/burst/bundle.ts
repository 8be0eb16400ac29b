/**
 * burst: a job's bundle, in its sandbox: runner.py, bundle.json (context cells, the cell, the
 * walltime and produced-files cap) and inputs/ (the input files, confined to the notebook's
 * folder, `maxInputBytes` in all).
 */
import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  realpath,
  stat,
  writeFile
} from 'node:fs/promises';
import path from 'node:path';
import type { BurstJobRequest, BurstResourceValues } from '../schema-types';
import { inputPath, isInside, notebookFolder } from './paths';
import { pythonFilesDir } from './python-files';
import { BadJobRequest, IJobFile } from './types';

/** What the bundle is made from. */
export interface IBundleOptions {
  jobId: string;
  sandbox: string;
  rootDir: string;
  request: BurstJobRequest & { resources: BurstResourceValues };
  maxInputBytes: number;
  maxProducedBytes: number;
  /** The runner readies a `spark` session in the kernel. */
  spark: boolean;
  /** The caller has made the sandbox folder already. */
  sandboxMade?: boolean;
}

/** One file to copy: from (absolute, checked), to (relative to inputs/). */
export interface IInputFile {
  from: string;
  to: string;
  bytes: number;
}

/**
 * The input files of a request, checked: inside the notebook's folder, existing, within the
 * byte cap. Symlinks inside folders are followed only when they stay in the folder.
 *
 * @throws BadJobRequest (400 outside/missing, 413 over the cap).
 */
export async function listInputs(
  rootDir: string,
  notebookPath: string,
  inputFiles: string[],
  maxBytes: number,
  /** The notebook's folder when the caller has resolved it already. */
  resolvedFolder?: string
): Promise<IInputFile[]> {
  const folder =
    resolvedFolder ?? (await notebookFolder(rootDir, notebookPath)).folder;
  const files: IInputFile[] = [];
  let total = 0;
  const add = (from: string, bytes: number) => {
    total += bytes;
    if (total > maxBytes) {
      throw new BadJobRequest(
        `the input files are larger than ${maxBytes} bytes in all`,
        413
      );
    }
    files.push({ from, to: path.relative(folder, from), bytes });
  };
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      let full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        try {
          full = await realpath(full);
        } catch {
          continue;
        }
        if (!isInside(folder, full)) {
          continue; // a link out of the folder is not an input
        }
      }
      const info = await stat(full);
      if (info.isDirectory()) {
        await walk(full);
      } else if (info.isFile()) {
        add(path.join(dir, entry.name), info.size);
      }
    }
  };
  for (const rel of inputFiles) {
    const full = await inputPath(folder, rel);
    const info = await stat(full);
    if (info.isDirectory()) {
      await walk(full);
    } else if (info.isFile()) {
      add(full, info.size);
    } else {
      throw new BadJobRequest(`input file "${rel}" is not a file or folder`);
    }
  }
  return files;
}

/**
 * The notebook must be a file under the root (its folder resolved, no link out).
 *
 * @throws BadJobRequest (404 when it does not exist)
 */
export async function checkNotebookFile(
  rootDir: string,
  notebookPath: string
): Promise<string> {
  // Both at once: the folder's confinement, and the file (the schema has already refused
  // absolute paths and `..`; the file agent confines every later read and write).
  const [{ folder }, info] = await Promise.all([
    notebookFolder(rootDir, notebookPath),
    stat(path.join(rootDir, notebookPath)).catch(() => undefined)
  ]);
  if (!info) {
    throw new BadJobRequest(`the notebook ${notebookPath} does not exist`, 404);
  }
  if (!info.isFile()) {
    throw new BadJobRequest(`${notebookPath} is not a notebook file`);
  }
  return folder;
}

/** Write the bundle into a new sandbox; returns whether it carries inputs. */
export async function writeBundle(
  options: IBundleOptions,
  inputs: IInputFile[]
): Promise<{ hasInputs: boolean }> {
  await writeBundleFiles(options);
  await copyInputs(options.sandbox, inputs);
  return { hasInputs: inputs.length > 0 };
}

/**
 * The part of the bundle that does not depend on the request's checks: runner.py and
 * bundle.json (the submit path writes them while the notebook and inputs are checked).
 */
export async function writeBundleFiles(options: IBundleOptions): Promise<void> {
  if (!options.sandboxMade) {
    await mkdir(options.sandbox, { recursive: true, mode: 0o700 });
  }
  await writeJobFiles(options.sandbox, bundleFiles(options), false);
}

/** runner.py (copied from the package) and bundle.json, as files of the job's folder. */
export function bundleFiles(
  options: Pick<
    IBundleOptions,
    'jobId' | 'request' | 'spark' | 'maxProducedBytes'
  >
): IJobFile[] {
  const { request } = options;
  const cells = [
    ...(request.contextCells ?? []).map(c => ({
      id: c.id,
      code: c.code,
      context: true
    })),
    { id: request.cellId, code: request.code, context: false }
  ];
  return [
    { name: 'runner.py', copyFrom: path.join(pythonFilesDir(), 'runner.py') },
    {
      name: 'bundle.json',
      text: JSON.stringify({
        jobId: options.jobId,
        cells,
        spark: options.spark,
        walltimeSeconds: request.resources.walltimeMinutes * 60,
        maxProducedBytes: options.maxProducedBytes
      })
    }
  ];
}

/**
 * Write files into a job's folder, made here first when `makeFolder` (0700; its parent must
 * exist). Text files are created exclusively: nothing already there is overwritten.
 */
export async function writeJobFiles(
  folder: string,
  files: IJobFile[],
  makeFolder = true
): Promise<void> {
  if (makeFolder) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
  }
  await Promise.all(
    files.map(f => {
      const target = path.join(folder, path.basename(f.name));
      return f.copyFrom !== undefined
        ? copyFile(f.copyFrom, target)
        : writeFile(target, f.text ?? '', {
            flag: 'wx',
            ...(f.mode !== undefined ? { mode: f.mode } : {})
          });
    })
  );
}

/** Copy checked input files (from {@link listInputs}) into the sandbox's `inputs/`. */
export async function copyInputs(
  sandbox: string,
  inputs: IInputFile[]
): Promise<void> {
  for (const file of inputs) {
    const target = path.join(sandbox, 'inputs', file.to);
    await mkdir(path.dirname(target), { recursive: true });
    // The file may have changed into a link since it was listed: copy only a regular file.
    if ((await lstat(file.from)).isFile()) {
      await copyFile(file.from, target);
    }
  }
}
