import { NotebookPanel, NotebookTracker } from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/notebook/lib/testutils';
import { Widget } from '@lumino/widgets';
import { BurstJobsModel } from '../src/models/jobs';
import { CellBadges } from '../src/widgets/badges';
import { FakeClient, job, T0 } from './fixtures';

async function setup() {
  const context = await NBTestUtils.createMockContext(false);
  context.model.sharedModel.insertCells(0, [
    { cell_type: 'code', id: 'setup-1', source: 'import math', metadata: {} },
    { cell_type: 'code', id: 'cell-3', source: 'print(1)', metadata: {} }
  ]);
  const panel = NBTestUtils.createNotebookPanel(context);
  Widget.attach(panel, document.body);
  const tracker = new NotebookTracker({ namespace: 'test' });
  await tracker.add(panel);
  const client = new FakeClient();
  const jobs = new BurstJobsModel({ client: client.asClient() });
  jobs.start();
  const onClick = jest.fn();
  const badges = new CellBadges({
    jobs,
    tracker,
    onClick,
    now: () => T0 + 42_000
  });
  const path = context.path;
  return { client, jobs, panel, badges, onClick, path };
}

function badgeTexts(badges: CellBadges, panel: NotebookPanel) {
  return [...badges.badgesOf(panel)].map(([id, b]) => [id, b.textContent]);
}

describe('CellBadges', () => {
  it("shows a job's state on its cell until its outputs are in, whatever the backend still does", async () => {
    const { client, panel, badges, path } = await setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [job({ notebookPath: path, state: 'queued' })]
    });
    expect(badgeTexts(badges, panel)).toEqual([
      ['cell-3', 'Queued on INFN pool']
    ]);
    client.push('burst', {
      type: 'job',
      job: job({ notebookPath: path, state: 'running', startedAt: T0 })
    });
    expect(badgeTexts(badges, panel)).toEqual([
      ['cell-3', 'Running on INFN pool · 42 s']
    ]);
    // The outputs arrive while the backend winds down (a Spark driver stopping).
    client.push('burst', {
      type: 'outputs',
      id: 'job00001',
      notebookPath: path,
      cellId: 'cell-3',
      outputs: [],
      executionCount: 2
    });
    expect(badgeTexts(badges, panel)).toEqual([]);
    badges.dispose();
    panel.dispose();
  });

  it('keeps a badge for a job that failed without outputs until it is clicked', async () => {
    const { client, panel, badges, onClick, path } = await setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({
          notebookPath: path,
          state: 'failed',
          error: 'The runner could not start.'
        })
      ]
    });
    const badge = badges.badgesOf(panel).get('cell-3')!;
    expect(badge.textContent).toBe('Failed on INFN pool');
    expect(badge.title).toContain(
      'The job failed: The runner could not start.'
    );
    badge.click();
    expect(onClick).toHaveBeenCalledWith('job00001');
    expect(badges.badgesOf(panel).size).toBe(0);
    badges.dispose();
    panel.dispose();
  });

  it('shows nothing for jobs of other notebooks or that completed', async () => {
    const { client, panel, badges, path } = await setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({ id: 'other001', notebookPath: 'else.ipynb', state: 'running' }),
        job({ notebookPath: path, state: 'completed', hasOutputs: true })
      ]
    });
    expect(badges.badgesOf(panel).size).toBe(0);
    badges.dispose();
    panel.dispose();
  });
});
