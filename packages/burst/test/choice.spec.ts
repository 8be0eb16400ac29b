import { StateDB } from '@jupyterlab/statedb';
import { BurstForm } from '../src/widgets/form';
import { ChoiceStore, IBurstChoice } from '../src/models/choice';
import { IContextCandidate } from '../src/models/context';
import { backend, localBackend } from './fixtures';

const CHOICE: IBurstChoice = {
  backend: 'pool',
  resources: {
    cpus: '4',
    memory: '8 GB',
    gpus: '1',
    walltime: '2:00:00',
    image: ''
  },
  inputs: ['data.csv', 'gone.csv'],
  context: { added: ['plain'], removed: [] }
};

const CELLS: IContextCandidate[] = [
  { id: 'tagged', cellType: 'code', tags: ['setup'], source: 'import math' },
  { id: 'plain', cellType: 'code', tags: [], source: 'x = 1' },
  { id: 'cell', cellType: 'code', tags: [], source: 'print(x)' }
];

describe('the remembered choice', () => {
  it('is kept per notebook in the state database', async () => {
    const state = new StateDB();
    const store = new ChoiceStore(state);
    await store.save('a/one.ipynb', CHOICE);
    await store.save('b/two.ipynb', { ...CHOICE, backend: 'local' });

    const fresh = new ChoiceStore(state);
    expect(await fresh.load('a/one.ipynb')).toEqual(CHOICE);
    expect((await fresh.load('b/two.ipynb'))?.backend).toBe('local');
    expect(await fresh.load('c/three.ipynb')).toBeNull();
    expect(await state.list('@mlinfn/burst')).toEqual(
      expect.objectContaining({
        ids: expect.arrayContaining([
          '@mlinfn/burst:choice:a/one.ipynb',
          '@mlinfn/burst:choice:b/two.ipynb'
        ])
      })
    );
  });

  it('ignores a stored value of another shape', async () => {
    const state = new StateDB();
    await state.save(ChoiceStore.key('x.ipynb'), { backend: 3 });
    expect(await new ChoiceStore(state).load('x.ipynb')).toBeNull();
  });

  it('opens the form as it was left: backend, resources, inputs still there, context', () => {
    const form = new BurstForm({
      backends: [localBackend(), backend()],
      defaultBackend: 'local',
      notebookPath: 'a/one.ipynb',
      cells: CELLS,
      cellId: 'cell',
      files: ['data.csv', 'model.py'],
      choice: CHOICE,
      setupTag: 'setup'
    });
    const select = form.node.querySelector('select')!;
    expect(select.value).toBe('pool');
    expect(form.draft.resources).toEqual(CHOICE.resources);
    expect(form.draft.inputs).toEqual(['data.csv']);
    expect(form.draft.context).toEqual(['tagged', 'plain']);
    const request = form.getValue().request!;
    expect(request.resources).toEqual({
      cpus: 4,
      memoryMB: 8192,
      gpus: 1,
      walltimeMinutes: 120
    });
    expect(request.inputFiles).toEqual(['data.csv']);
    form.dispose();
  });

  it('falls back to the default backend and its defaults when the remembered one is gone', () => {
    const form = new BurstForm({
      backends: [localBackend()],
      defaultBackend: 'local',
      notebookPath: 'a/one.ipynb',
      cells: CELLS,
      cellId: 'cell',
      files: [],
      choice: CHOICE,
      setupTag: 'setup'
    });
    expect(form.draft.backend).toBe('local');
    expect(form.draft.resources.walltime).toBe('0:30:00');
    expect(form.isValid).toBe(true);
    form.dispose();
  });
});
