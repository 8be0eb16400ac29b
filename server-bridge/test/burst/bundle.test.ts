/**
 * burst: input files stay inside the notebook's folder (no `..`, no absolute path, no symlink
 * out), within the byte cap; the bundle holds the runner, the cells and the inputs.
 */
import {
  mkdtemp,
  mkdir,
  readFile,
  rm,
  symlink,
  writeFile
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listInputs, writeBundle } from '../../src/burst/bundle';
import { BadJobRequest } from '../../src/burst/types';

let base: string;
let root: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'burst-bundle-'));
  root = path.join(base, 'root');
  await mkdir(path.join(root, 'proj', 'data', 'deep'), { recursive: true });
  await writeFile(path.join(root, 'proj', 'a.csv'), 'a,b\n1,2\n');
  await writeFile(
    path.join(root, 'proj', 'data', 'deep', 'x.bin'),
    Buffer.alloc(100)
  );
  await writeFile(path.join(root, 'secret.txt'), 'top secret');
  await writeFile(path.join(base, 'outside.txt'), 'outside the root');
  await symlink(
    path.join(root, 'secret.txt'),
    path.join(root, 'proj', 'link-up')
  );
  await symlink(
    path.join(base, 'outside.txt'),
    path.join(root, 'proj', 'data', 'link-out')
  );
  await symlink(
    path.join(root, 'proj', 'a.csv'),
    path.join(root, 'proj', 'data', 'link-in')
  );
});

afterAll(() => rm(base, { recursive: true, force: true }));

const refused = async (
  promise: Promise<unknown>,
  pattern: RegExp,
  status = 400
) => {
  const err = await promise.then(
    () => undefined,
    e => e
  );
  expect(err).toBeInstanceOf(BadJobRequest);
  expect(err.message).toMatch(pattern);
  expect(err.status).toBe(status);
};

describe('input files', () => {
  it('lists files and folders relative to the notebook folder', async () => {
    const files = await listInputs(
      root,
      'proj/nb.ipynb',
      ['a.csv', 'data'],
      1e6
    );
    expect(files.map(f => f.to).sort()).toEqual([
      'a.csv',
      'data/deep/x.bin',
      'data/link-in'
    ]);
    // The link inside the folder is copied as the file it points to; the one out is skipped.
    expect(files.find(f => f.to === 'data/link-in')!.bytes).toBe(8);
  });

  it.each([
    ['../secret.txt', /must not contain/],
    ['/etc/passwd', /must be relative/],
    ['data/../../secret.txt', /must not contain/],
    ['link-up', /outside the notebook's folder/],
    ['data/link-out', /outside the notebook's folder/],
    ['missing.csv', /does not exist/],
    ['a\nb', /control character/]
  ])('refuses %j', async (rel, pattern) => {
    await refused(listInputs(root, 'proj/nb.ipynb', [rel], 1e6), pattern);
  });

  it('refuses a notebook outside the root or in a missing folder', async () => {
    await refused(listInputs(root, '../x.ipynb', [], 1e6), /must not contain/);
    await refused(
      listInputs(root, 'nope/x.ipynb', [], 1e6),
      /does not exist/,
      404
    );
  });

  it('refuses inputs over the cap with 413', async () => {
    await refused(
      listInputs(root, 'proj/nb.ipynb', ['data'], 50),
      /larger than 50 bytes/,
      413
    );
  });

  it('writes runner, bundle.json and inputs', async () => {
    const sandbox = path.join(base, 'jobs', 'abcdef0123456789');
    const files = await listInputs(
      root,
      'proj/nb.ipynb',
      ['a.csv', 'data'],
      1e6
    );
    const request = {
      backend: 'local',
      notebookPath: 'proj/nb.ipynb',
      cellId: 'c2',
      code: 'print(2)',
      contextCells: [{ id: 'c1', code: 'x = 1' }],
      resources: { cpus: 1, memoryMB: 512, gpus: 0, walltimeMinutes: 2 }
    };
    const { hasInputs } = await writeBundle(
      {
        jobId: 'abcdef0123456789',
        sandbox,
        rootDir: root,
        request,
        maxInputBytes: 1e6,
        maxProducedBytes: 1000,
        spark: false
      },
      files
    );
    expect(hasInputs).toBe(true);
    const bundle = JSON.parse(
      await readFile(path.join(sandbox, 'bundle.json'), 'utf8')
    );
    expect(bundle).toEqual({
      jobId: 'abcdef0123456789',
      cells: [
        { id: 'c1', code: 'x = 1', context: true },
        { id: 'c2', code: 'print(2)', context: false }
      ],
      spark: false,
      walltimeSeconds: 120,
      maxProducedBytes: 1000
    });
    expect(await readFile(path.join(sandbox, 'inputs', 'a.csv'), 'utf8')).toBe(
      'a,b\n1,2\n'
    );
    expect(
      (await readFile(path.join(sandbox, 'inputs', 'data', 'deep', 'x.bin')))
        .length
    ).toBe(100);
    expect(await readFile(path.join(sandbox, 'runner.py'), 'utf8')).toContain(
      'def run(sandbox'
    );
  });
});
