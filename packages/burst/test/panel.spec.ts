import { Widget } from '@lumino/widgets';
import { BurstJobsModel } from '../src/models/jobs';
import { JobsPanel } from '../src/widgets/panel';
import { FakeClient, flush, job, T0 } from './fixtures';

function setup() {
  const client = new FakeClient();
  const jobs = new BurstJobsModel({ client: client.asClient() });
  jobs.start();
  const actions = {
    cancel: jest.fn(),
    resubmit: jest.fn(),
    openCell: jest.fn(),
    openLog: jest.fn()
  };
  const panel = new JobsPanel({ jobs, actions, now: () => T0 + 65_000 });
  Widget.attach(panel, document.body);
  return { client, jobs, panel, actions };
}

describe('JobsPanel', () => {
  it('says what would appear, and how, while there are no jobs', async () => {
    const { client, panel } = setup();
    client.push('burst', { type: 'jobs', jobs: [] });
    await flush();
    expect(
      panel.node.querySelector('.jp-BurstJobs-state')!.textContent
    ).toContain(
      'No jobs yet. To run a cell on another machine, use "Run Cell on…"'
    );
    panel.dispose();
  });

  it('lists each job with its coloured state, notebook, backend and duration', () => {
    const { client, panel } = setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({
          id: 'run00001',
          state: 'running',
          startedAt: T0 + 5_000,
          createdAt: T0 + 1
        }),
        job({
          id: 'done0001',
          state: 'completed',
          startedAt: T0,
          finishedAt: T0 + 12_000
        })
      ]
    });
    const rows = [...panel.node.querySelectorAll('.jp-BurstJobs-item')];
    expect(rows.map(r => (r as HTMLElement).dataset.jobId)).toEqual([
      'run00001',
      'done0001'
    ]);
    const status = rows[0].querySelector('.jp-BurstJobs-status')!;
    expect(status.textContent).toBe('Running');
    expect(status.classList).toContain('jp-mod-running');
    expect(rows[0].querySelector('.jp-BurstJobs-what')!.textContent).toBe(
      'train.ipynb'
    );
    expect(rows[0].querySelector('.jp-BurstJobs-backend')!.textContent).toBe(
      'INFN pool'
    );
    expect(rows[0].querySelector('.jp-BurstJobs-duration')!.textContent).toBe(
      '1 min'
    );
    expect(rows[1].querySelector('.jp-BurstJobs-duration')!.textContent).toBe(
      '12 s'
    );
    expect(panel.node.querySelector('.jp-BurstJobs-state')!.textContent).toBe(
      '1 job unfinished'
    );
    panel.dispose();
  });

  it("shows a held job's reason in words, where its log comes from, and cancel", () => {
    const { client, panel, actions } = setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({
          state: 'held',
          holdReason:
            'Error from slot1@vm: Job has gone over memory limit of 2048 megabytes.',
          holdReasonCode: 34
        })
      ]
    });
    (panel.node.querySelector('.jp-BurstJobs-row') as HTMLElement).click();
    const details = panel.node.querySelector('.jp-BurstJobs-details')!;
    expect(
      details.querySelector('.jp-BurstJobs-explanation')!.textContent
    ).toBe(
      'The backend holds the job: Error from slot1@vm: Job has gone over memory limit of 2048 megabytes. It waits until someone releases it on the pool; cancel it here to give up.'
    );
    expect(details.querySelector('.jp-BurstJobs-logMode')!.textContent).toBe(
      'Log arrives when the job ends'
    );
    (details.querySelector('.jp-BurstJobs-cancel') as HTMLElement).click();
    expect(actions.cancel).toHaveBeenCalledWith('job00001');
    expect(details.querySelector('.jp-BurstJobs-resubmit')).toBeNull();

    // Once it has failed, it can be sent again instead.
    client.push('burst', {
      type: 'job',
      job: job({ state: 'failed', error: 'The walltime of 60 min passed.' })
    });
    expect(
      details.querySelector('.jp-BurstJobs-explanation')!.textContent
    ).toBe('The job failed: The walltime of 60 min passed.');
    (details.querySelector('.jp-BurstJobs-resubmit') as HTMLElement).click();
    expect(actions.resubmit).toHaveBeenCalledWith('job00001');
    panel.dispose();
  });

  it('says when the connection is lost', () => {
    const { client, panel } = setup();
    client.push('burst', { type: 'jobs', jobs: [job()] });
    client.stateChanged.emit('disconnected');
    expect(
      panel.node.querySelector('.jp-BurstJobs-state')!.textContent
    ).toMatch(/connection to the mlinfn bridge is lost/);
    panel.dispose();
  });
});
