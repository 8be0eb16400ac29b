import { NotebookModel } from '@jupyterlab/notebook';
import type * as nbformat from '@jupyterlab/nbformat';
import { BurstJobsModel } from '../src/models/jobs';
import { IOpenNotebook, OutputsDelivery } from '../src/models/delivery';
import { applyOutputs } from '../src/models/outputs';
import { FakeClient, flush, job, T0 } from './fixtures';

const OUTPUTS: nbformat.IOutput[] = [
  { output_type: 'stream', name: 'stdout', text: 'training…\n' },
  {
    output_type: 'display_data',
    data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': '<Figure>' },
    metadata: {}
  },
  {
    output_type: 'error',
    ename: 'ValueError',
    evalue: 'bad shape',
    traceback: ['Traceback…', 'ValueError: bad shape']
  }
];

function notebook(): NotebookModel {
  const model = new NotebookModel();
  model.sharedModel.insertCells(0, [
    { cell_type: 'code', id: 'setup-1', source: 'import math', metadata: {} },
    {
      cell_type: 'code',
      id: 'cell-3',
      source: 'print(1)',
      metadata: {},
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'old\n' }],
      execution_count: 7
    },
    { cell_type: 'markdown', id: 'notes', source: '# notes', metadata: {} }
  ]);
  return model;
}

describe('applyOutputs', () => {
  it('replaces the outputs and the execution count of the cell with that id, and nothing else', () => {
    const model = notebook();
    model.sharedModel
      .getCell(1)
      .setSource('print(2)  # edited while the job ran');
    const before = model.sharedModel.getCell(0).toJSON();

    expect(applyOutputs(model, 'cell-3', OUTPUTS, 3)).toBe('applied');

    const cell = model.sharedModel.getCell(1).toJSON() as nbformat.ICodeCell;
    expect(cell.outputs).toEqual(OUTPUTS);
    expect(cell.execution_count).toBe(3);
    expect(cell.source).toBe('print(2)  # edited while the job ran');
    expect(model.sharedModel.getCell(0).toJSON()).toEqual(before);
    // The cell model the notebook widget renders follows.
    const cellModel = model.cells.get(1) as unknown as {
      outputs: { length: number; get(i: number): { type: string } };
      executionCount: number;
    };
    expect(cellModel.outputs.length).toBe(3);
    expect(cellModel.outputs.get(1).type).toBe('display_data');
    expect(cellModel.executionCount).toBe(3);
  });

  it('says when the cell is gone or is no longer code', () => {
    const model = notebook();
    expect(applyOutputs(model, 'deleted', OUTPUTS, 1)).toBe('missing');
    expect(applyOutputs(model, 'notes', OUTPUTS, 1)).toBe('not-code');
  });
});

describe('OutputsDelivery', () => {
  function setup(open: Partial<IOpenNotebook>[] = [{}]) {
    const client = new FakeClient();
    client.respond(endPoint =>
      endPoint.endsWith('/ack') ? job({ delivery: 'frontend' }) : { jobs: [] }
    );
    const jobs = new BurstJobsModel({ client: client.asClient() });
    jobs.start();
    const model = notebook();
    const copies: IOpenNotebook[] = open.map(o => ({
      path: 'work/train.ipynb',
      model,
      dirty: false,
      collaborative: false,
      save: jest.fn(async () => undefined),
      revert: jest.fn(async () => undefined),
      ...o
    }));
    const delivery = new OutputsDelivery({
      jobs,
      findOpen: path => copies.filter(c => c.path === path)
    });
    return { client, jobs, model, copies, delivery };
  }

  const message = {
    type: 'outputs' as const,
    id: 'job00001',
    notebookPath: 'work/train.ipynb',
    cellId: 'cell-3',
    outputs: OUTPUTS as never,
    executionCount: 4
  };

  it('applies outputs pushed for an open notebook, acknowledges, and saves a clean document', async () => {
    const { client, model, copies } = setup();
    client.push('burst', message);
    await flush();
    const cell = model.sharedModel.getCell(1).toJSON() as nbformat.ICodeCell;
    expect(cell.outputs).toEqual(OUTPUTS);
    expect(cell.execution_count).toBe(4);
    expect(client.request).toHaveBeenCalledWith('api/burst/jobs/job00001/ack', {
      method: 'POST',
      body: JSON.stringify({ delivered: true })
    });
    expect(copies[0].save).toHaveBeenCalledTimes(1);
  });

  it('leaves saving to the researcher when the document had unsaved changes, and to the room when shared', async () => {
    const dirty = setup([{ dirty: true }]);
    dirty.client.push('burst', message);
    await flush();
    expect(dirty.copies[0].save).not.toHaveBeenCalled();

    const shared = setup([{ collaborative: true }]);
    shared.client.push('burst', message);
    await flush();
    expect(shared.copies[0].save).not.toHaveBeenCalled();
    expect(shared.client.request).toHaveBeenCalledWith(
      'api/burst/jobs/job00001/ack',
      expect.anything()
    );
  });

  it('tells the bridge when the cell is gone, so it writes the file', async () => {
    const { client } = setup();
    client.push('burst', { ...message, cellId: 'deleted' });
    await flush();
    expect(client.request).toHaveBeenCalledWith('api/burst/jobs/job00001/ack', {
      method: 'POST',
      body: JSON.stringify({
        delivered: false,
        reason: 'the cell is no longer in the open notebook'
      })
    });
  });

  it('does nothing for a notebook that is not open, or when the bridge writes the file', async () => {
    const closed = setup([]);
    closed.client.push('burst', message);
    const forFile = setup();
    forFile.client.push('burst', { ...message, deliver: 'file' });
    await flush();
    for (const { client } of [closed, forFile]) {
      expect(client.request.mock.calls.map(c => c[0])).toEqual([
        'api/burst/jobs'
      ]);
    }
  });

  it('never lets an older job of the cell replace the outputs a newer one delivered', async () => {
    const { client, model } = setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({
          id: 'newer001',
          createdAt: T0 + 1000,
          state: 'completed',
          hasOutputs: true,
          delivery: 'frontend'
        }),
        job({
          id: 'job00001',
          state: 'completed',
          hasOutputs: true,
          delivery: 'pending'
        })
      ]
    });
    client.push('burst', message);
    await flush();
    const cell = model.sharedModel.getCell(1).toJSON() as nbformat.ICodeCell;
    expect(cell.execution_count).toBe(7);
    expect(client.request).toHaveBeenCalledWith('api/burst/jobs/job00001/ack', {
      method: 'POST',
      body: JSON.stringify({
        delivered: true,
        reason: 'superseded by the outputs of a newer job of this cell'
      })
    });
  });

  it('applies outputs still waiting when a notebook opens', async () => {
    const { client, jobs, model, delivery, copies } = setup([]);
    client.push('burst', {
      type: 'jobs',
      jobs: [job({ state: 'completed', hasOutputs: true, delivery: 'pending' })]
    });
    client.respond(endPoint =>
      endPoint === 'api/burst/jobs/job00001'
        ? job({
            state: 'completed',
            hasOutputs: true,
            delivery: 'pending',
            outputs: OUTPUTS as never,
            executionCount: 9
          })
        : job({ delivery: 'frontend' })
    );
    const opened: IOpenNotebook = {
      path: 'work/train.ipynb',
      model,
      dirty: false,
      collaborative: false,
      save: jest.fn(async () => undefined),
      revert: jest.fn(async () => undefined)
    };
    await delivery.notebookOpened(opened);
    const cell = model.sharedModel.getCell(1).toJSON() as nbformat.ICodeCell;
    expect(cell.execution_count).toBe(9);
    expect(cell.outputs).toHaveLength(3);
    expect(client.request).toHaveBeenCalledWith(
      'api/burst/jobs/job00001/ack',
      expect.anything()
    );
    expect(copies).toEqual([]);
    jobs.dispose();
  });

  it('reloads a clean open notebook that the bridge wrote meanwhile', async () => {
    const { client, copies } = setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [job({ state: 'completed', hasOutputs: true, delivery: 'pending' })]
    });
    client.push('burst', {
      type: 'job',
      job: job({ state: 'completed', hasOutputs: true, delivery: 'file' })
    });
    await flush();
    expect(copies[0].revert).toHaveBeenCalledTimes(1);
  });
});
