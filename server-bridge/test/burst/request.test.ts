/**
 * burst: what the job request schema lets through. Injection attempts in every form field are
 * refused before anything is written; the cell's code itself may hold anything (it only ever
 * travels inside bundle.json).
 */
import { burstValidators } from '../../src/burst/schemas';
import type { BurstJobRequest } from '../../src/schema-types';

const ok: BurstJobRequest = {
  backend: 'pool',
  notebookPath: 'work/my notebook (1).ipynb',
  cellId: 'a1b2-c3_d4',
  code: 'print("hi")',
  contextCells: [{ id: 'setup', code: 'import os' }],
  resources: {
    cpus: 2,
    memoryMB: 2048,
    gpus: 0,
    walltimeMinutes: 30,
    image: 'docker://harbor.example.org/ml/lab:1.0'
  },
  inputFiles: ['data/train.csv', 'models'],
  deliver: 'frontend'
};

const valid = (body: unknown) => burstValidators.jobRequest(body);

const STRINGS = [
  'a\nb',
  'a"b',
  "a'b",
  '$(Cluster)',
  '$$(Memory)',
  'a b',
  'a;b',
  'a`b`',
  'a\u0000b',
  ''
];

describe('job request schema', () => {
  it('accepts a good request, and code with anything in it', () => {
    expect(valid(ok)).toBe(true);
    expect(
      valid({ ...ok, code: 'x = "$(Cluster)"\nqueue 100\n\u0000\'' })
    ).toBe(true);
  });

  it.each(STRINGS)(
    'refuses %j as a backend or cell id (also in context cells)',
    s => {
      expect(valid({ ...ok, backend: s })).toBe(false);
      expect(valid({ ...ok, cellId: s })).toBe(false);
      expect(valid({ ...ok, contextCells: [{ id: s, code: '' }] })).toBe(false);
    }
  );

  it.each(['x\n', 'a\u0000b', 'a\\b', 'x\'"$(y)\n'])(
    'refuses control characters in paths: %j',
    s => {
      expect(valid({ ...ok, notebookPath: `a/${s}.ipynb` })).toBe(false);
      expect(valid({ ...ok, inputFiles: [`d/${s}`] })).toBe(false);
    }
  );

  it.each([
    '/etc/passwd.ipynb',
    '../up.ipynb',
    'a/../../up.ipynb',
    'a/./b.ipynb',
    'notebook.py',
    '..'
  ])('refuses the notebook path %j', p => {
    expect(valid({ ...ok, notebookPath: p })).toBe(false);
  });

  it.each(['/etc/passwd', '../secret', 'a/../../b', './a', 'a/..', '..'])(
    'refuses the input file %j',
    p => {
      expect(valid({ ...ok, inputFiles: [p] })).toBe(false);
    }
  );

  it.each(['img name', 'img\nqueue', 'a"b', "a'b", '$(X)', 'img;rm', '-v', ''])(
    'refuses the image %j',
    image => {
      expect(valid({ ...ok, resources: { ...ok.resources, image } })).toBe(
        false
      );
    }
  );

  it('refuses resources that are not small integers', () => {
    for (const patch of [
      { cpus: 0 },
      { cpus: 1.5 },
      { cpus: '2' },
      { memoryMB: 1 },
      { gpus: -1 },
      { walltimeMinutes: 0 },
      { walltimeMinutes: 1e9 },
      { disk: 1 }
    ]) {
      expect(valid({ ...ok, resources: { ...ok.resources, ...patch } })).toBe(
        false
      );
    }
  });

  it('refuses unknown keys and a wrong delivery', () => {
    expect(valid({ ...ok, executable: '/bin/sh' })).toBe(false);
    expect(valid({ ...ok, deliver: 'shell' })).toBe(false);
    expect(
      valid({ ...ok, contextCells: [{ id: 'a', code: '', extra: 1 }] })
    ).toBe(false);
  });

  it('checks acks and log queries', () => {
    expect(burstValidators.ack({ delivered: true })).toBe(true);
    expect(burstValidators.ack({ delivered: 'yes' })).toBe(false);
    expect(burstValidators.logQuery({ offset: '1024' })).toBe(true);
    expect(burstValidators.logQuery({ offset: '-1' })).toBe(false);
    expect(burstValidators.logQuery({ offset: '1e3' })).toBe(false);
  });
});
