import { nullTranslator } from '@jupyterlab/translation';
import { BurstForm } from '../src/widgets/form';
import { buildRequest, IFormDraft } from '../src/models/request';
import {
  checkResources,
  parseMemory,
  parseWalltime
} from '../src/models/validation';
import { submitFormValue } from '../src/run';
import { IContextCandidate } from '../src/models/context';
import { backend, job, localBackend } from './fixtures';

const CELLS: IContextCandidate[] = [
  { id: 'setup-1', cellType: 'code', tags: ['setup'], source: 'import math' },
  { id: 'cell-2', cellType: 'code', tags: [], source: 'print(math.pi)' }
];
const TARGET = {
  notebookPath: 'work/train.ipynb',
  cells: CELLS,
  cellId: 'cell-2'
};
const GOOD = {
  cpus: '2',
  memory: '4 GB',
  gpus: '1',
  walltime: '1:30:00',
  image: ''
};

function draft(resources: Partial<typeof GOOD> = {}): IFormDraft {
  return {
    backend: 'pool',
    resources: { ...GOOD, ...resources },
    inputs: [],
    context: ['setup-1']
  };
}

describe('resource parsing', () => {
  it('reads memory in the units people write', () => {
    expect(parseMemory('4 GB')).toBe(4096);
    expect(parseMemory('4G')).toBe(4096);
    expect(parseMemory('1.5GiB')).toBe(1536);
    expect(parseMemory('512 MB')).toBe(512);
    expect(parseMemory('512')).toBe(512);
    expect(parseMemory('2 TB')).toBe(2 * 1024 * 1024);
    expect(parseMemory('lots')).toBeNull();
    expect(parseMemory('4 GB; rm -rf /')).toBeNull();
  });

  it('reads walltimes as clocks, units or minutes', () => {
    expect(parseWalltime('1:30:00')).toBe(5400);
    expect(parseWalltime('90m')).toBe(5400);
    expect(parseWalltime('2h')).toBe(7200);
    expect(parseWalltime('1h30m')).toBe(5400);
    expect(parseWalltime('45')).toBe(2700);
    expect(parseWalltime('1d')).toBe(86400);
    expect(parseWalltime('1:75:00')).toBeNull();
    expect(parseWalltime('soon')).toBeNull();
    expect(parseWalltime('')).toBeNull();
  });
});

describe('form validation', () => {
  it('turns good fields into the request body, in the units of the schema', () => {
    const value = buildRequest(draft(), backend(), TARGET);
    expect(value.errors).toEqual([]);
    expect(value.request).toEqual({
      backend: 'pool',
      notebookPath: 'work/train.ipynb',
      cellId: 'cell-2',
      cellIndex: 1,
      code: 'print(math.pi)',
      contextCells: [{ id: 'setup-1', code: 'import math' }],
      resources: { cpus: 2, memoryMB: 4096, gpus: 1, walltimeMinutes: 90 },
      inputFiles: [],
      deliver: 'frontend'
    });
  });

  it.each([
    ['cpus', '0'],
    ['cpus', '17'],
    ['cpus', '1.5'],
    ['memory', 'a lot'],
    ['memory', '100 TB'],
    ['gpus', '3'],
    ['gpus', '-1'],
    ['walltime', '3d'],
    ['walltime', '1:99'],
    ['image', 'python:3.12"\nqueue 100'],
    ['image', 'python $(id)'],
    ['image', "it's"]
  ])('refuses %s = %j with a sentence', (field, text) => {
    const value = buildRequest(draft({ [field]: text }), backend(), TARGET);
    expect(value.request).toBeNull();
    expect(value.errors).toHaveLength(1);
    expect(value.errors[0]).toMatch(/must|cannot/);
    const checked = checkResources(
      { ...GOOD, [field]: text },
      backend().resources
    );
    expect(checked.ok).toBe(false);
    expect(Object.keys(checked.ok ? {} : checked.errors)).toEqual([field]);
  });

  it('ignores the fields a backend does not use, and refuses an image where none can run', () => {
    const local = localBackend();
    const value = buildRequest(
      { ...draft({ cpus: 'x', gpus: '9' }), backend: 'local' },
      local,
      TARGET
    );
    expect(value.errors).toEqual([]);
    expect(value.request?.resources).toEqual({ walltimeMinutes: 90 });

    const withImage = buildRequest(
      { ...draft({ image: 'docker://python:3.12' }), backend: 'local' },
      local,
      TARGET
    );
    expect(withImage.request).toBeNull();
    expect(withImage.errors[0]).toMatch(/cannot run a container image/);
  });

  it('refuses a backend that is gone or unavailable, and input paths out of the folder', () => {
    expect(buildRequest(draft(), undefined, TARGET).request).toBeNull();
    const down = buildRequest(
      draft(),
      backend({
        available: false,
        unavailableReason: 'The pool does not answer.'
      }),
      TARGET
    );
    expect(down.errors).toEqual(['The pool does not answer.']);
    const outside = buildRequest(
      { ...draft(), inputs: ['../secrets.txt'] },
      backend(),
      TARGET
    );
    expect(outside.request).toBeNull();
  });

  it('never sends a form with a wrong field to the bridge', async () => {
    const submit = jest.fn(async () => job());
    const form = new BurstForm({
      backends: [backend()],
      defaultBackend: 'pool',
      notebookPath: 'work/train.ipynb',
      cells: CELLS,
      cellId: 'cell-2',
      files: ['data.csv'],
      choice: null,
      setupTag: 'setup',
      translator: nullTranslator
    });
    expect(form.isValid).toBe(true);

    const memory = form.node.querySelector<HTMLInputElement>(
      'input.jp-BurstForm-memory'
    )!;
    const validity: boolean[] = [];
    form.validityChanged.connect((_, valid) => validity.push(valid));
    memory.value = '4 GB\nrequest_memory = 1';
    memory.dispatchEvent(new Event('input'));

    expect(form.isValid).toBe(false);
    expect(validity).toEqual([false]);
    expect(memory.getAttribute('aria-invalid')).toBe('true');
    expect(form.node.textContent).toContain('Memory must be an amount');
    expect(await submitFormValue({ submit }, form.getValue())).toBeNull();
    expect(submit).not.toHaveBeenCalled();

    memory.value = '8 GB';
    memory.dispatchEvent(new Event('input'));
    expect(form.isValid).toBe(true);
    await submitFormValue({ submit }, form.getValue());
    expect(submit).toHaveBeenCalledTimes(1);
    expect(submit.mock.calls[0]).toEqual([
      expect.objectContaining({
        resources: { cpus: 1, memoryMB: 8192, gpus: 0, walltimeMinutes: 60 },
        contextCells: [{ id: 'setup-1', code: 'import math' }]
      })
    ]);
    form.dispose();
  });

  it('shows the context rule and lets a checkbox change the context', () => {
    const form = new BurstForm({
      backends: [backend()],
      defaultBackend: 'pool',
      notebookPath: 'work/train.ipynb',
      cells: CELLS,
      cellId: 'cell-2',
      files: [],
      choice: null,
      setupTag: 'setup'
    });
    expect(form.node.textContent).toContain(
      'Before this cell it runs the code cells above it tagged "setup"'
    );
    const box = form.node.querySelector<HTMLInputElement>(
      '.jp-BurstForm-context input[type=checkbox]'
    )!;
    expect(box.checked).toBe(true);
    box.checked = false;
    box.dispatchEvent(new Event('change'));
    const value = form.getValue();
    expect(value.request?.contextCells).toEqual([]);
    expect(value.choice.context).toEqual({ added: [], removed: ['setup-1'] });
    form.dispose();
  });
});
