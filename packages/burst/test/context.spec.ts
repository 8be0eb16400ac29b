import {
  contextRows,
  IContextCandidate,
  overridesFor,
  selectContext
} from '../src/models/context';

function cell(
  id: string,
  source: string,
  tags: string[] = [],
  cellType = 'code'
): IContextCandidate {
  return { id, source, tags, cellType };
}

const NOTEBOOK = [
  cell('intro', '# Training', [], 'markdown'),
  cell('imports', 'import numpy as np', ['setup']),
  cell('plot', 'plt.plot(x)'),
  cell('data', 'x = np.load("x.npy")\ny = x * 2', ['setup', 'data']),
  cell('empty', '   ', ['setup']),
  cell('train', 'model.fit(x, y)'),
  cell('after', 'import os', ['setup'])
];

describe('the context rule', () => {
  it('selects by default the code cells above that carry the setup tag, in notebook order', () => {
    expect(selectContext(NOTEBOOK, 'train')).toEqual(['imports', 'data']);
  });

  it('never takes cells below the cell, markdown, or empty cells', () => {
    const rows = contextRows(NOTEBOOK, 'train');
    expect(rows.map(r => r.id)).toEqual(['imports', 'plot', 'data']);
    expect(rows.map(r => r.index)).toEqual([1, 2, 3]);
  });

  it('shows each candidate with its first line and whether the rule picks it', () => {
    const rows = contextRows(NOTEBOOK, 'train');
    expect(rows[2]).toEqual({
      id: 'data',
      index: 3,
      preview: 'x = np.load("x.npy")',
      byDefault: true,
      selected: true
    });
    expect(rows[1].byDefault).toBe(false);
  });

  it('applies ticked and unticked cells as exceptions to the rule', () => {
    const overrides = { added: ['plot'], removed: ['imports'] };
    expect(selectContext(NOTEBOOK, 'train', overrides)).toEqual([
      'plot',
      'data'
    ]);
  });

  it('lets a cell tagged later join by default when the exceptions were saved earlier', () => {
    const overrides = { added: [], removed: ['imports'] };
    const retagged = NOTEBOOK.map(c =>
      c.id === 'plot' ? { ...c, tags: ['setup'] } : c
    );
    expect(selectContext(retagged, 'train', overrides)).toEqual([
      'plot',
      'data'
    ]);
  });

  it('uses the configured tag', () => {
    expect(selectContext(NOTEBOOK, 'train', undefined, 'data')).toEqual([
      'data'
    ]);
  });

  it('records only the differences from the rule', () => {
    const rows = contextRows(NOTEBOOK, 'train');
    expect(overridesFor(rows, ['imports', 'data'])).toEqual({
      added: [],
      removed: []
    });
    expect(overridesFor(rows, ['plot'])).toEqual({
      added: ['plot'],
      removed: ['imports', 'data']
    });
  });

  it('has no context for the first cell or an unknown cell', () => {
    expect(selectContext(NOTEBOOK, 'intro')).toEqual([]);
    expect(contextRows(NOTEBOOK, 'nope')).toEqual([]);
  });
});
