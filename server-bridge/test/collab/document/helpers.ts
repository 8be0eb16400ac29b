/**
 * Helpers for the document layer's tests: fixtures, Python's nbformat as the reference, and a
 * plain Node child that runs @jupyter/ydoc (an ES module, which Jest's CommonJS runtime here
 * cannot load) on Yjs updates.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as Y from 'yjs';

export const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'collab');
export const NOTEBOOKS = join(FIXTURES, 'notebooks');
const REPO = resolve(__dirname, '..', '..', '..', '..');
export const PYTHON =
  process.env.MLINFN_TEST_PYTHON ?? join(REPO, '.venv', 'bin', 'python');
export const HAVE_PYTHON = existsSync(PYTHON);

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export function readFixture(name: string): Promise<Buffer> {
  return readFile(join(NOTEBOOKS, name));
}

function run(
  file: string,
  args: string[],
  input?: string,
  cwd?: string
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      file,
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: 60000, cwd },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${file} failed: ${err.message}\n${stderr}`));
        } else {
          resolvePromise(stdout);
        }
      }
    );
    if (input !== undefined) {
      child.stdin?.end(input);
    }
  });
}

/** nbformat.read + nbformat.write of each file, and whether it validates (one Python run). */
export async function pythonGolden(
  paths: string[]
): Promise<Record<string, { written: Buffer; valid: boolean; error: string }>> {
  const out = JSON.parse(
    await run(PYTHON, [join(FIXTURES, 'nbformat_golden.py'), ...paths])
  ) as Record<string, { written: string; valid: boolean; error: string }>;
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [
      k,
      { ...v, written: Buffer.from(v.written, 'base64') }
    ])
  );
}

/** Whether nbformat reads and validates each content (one Python run). */
export async function pythonValidate(
  contents: Uint8Array[]
): Promise<{ valid: boolean; error: string }[]> {
  return JSON.parse(
    await run(
      PYTHON,
      [join(FIXTURES, 'nbformat_golden.py'), '--validate-stdin'],
      JSON.stringify(contents.map(c => Buffer.from(c).toString('base64')))
    )
  );
}

/** One job for the @jupyter/ydoc child (see fixtures/collab/ydoc-check.mjs). */
export type YdocJob =
  | { op: 'read'; kind: 'notebook' | 'file'; update: Uint8Array | Uint8Array[] }
  | { op: 'create'; notebook: unknown; edits?: unknown[] }
  | {
      op: 'edit';
      kind?: 'notebook' | 'file';
      update: Uint8Array | Uint8Array[];
      edits: unknown[];
    };

/** Run jobs through @jupyter/ydoc in a plain Node child; each answer has `json` and `update`. */
export async function ydoc(
  jobs: YdocJob[]
): Promise<{ json: unknown; update: Uint8Array }[]> {
  const input = JSON.stringify(
    jobs.map(job =>
      'update' in job
        ? {
            ...job,
            update: Array.isArray(job.update)
              ? job.update.map(u => Buffer.from(u).toString('base64'))
              : Buffer.from(job.update).toString('base64')
          }
        : job
    )
  );
  const out = JSON.parse(
    await run(
      process.execPath,
      [join(FIXTURES, 'ydoc-check.mjs')],
      input,
      resolve(REPO, 'server-bridge')
    )
  ) as { json: unknown; update: string }[];
  return out.map(o => ({
    json: o.json,
    update: Buffer.from(o.update, 'base64')
  }));
}

/** A new doc holding the state of `doc` (as a client that synced would). */
export function cloneDoc(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

/** Exchange everything between docs (a full sync of every pair). */
export function syncAll(...docs: Y.Doc[]): void {
  for (const a of docs) {
    for (const b of docs) {
      if (a !== b) {
        Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
      }
    }
  }
}
