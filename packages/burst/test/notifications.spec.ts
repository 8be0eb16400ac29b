import { BurstJobsModel } from '../src/models/jobs';
import { INotice, JobNotifier } from '../src/notifications';
import { FakeClient, job } from './fixtures';

function setup(inFront = false) {
  const client = new FakeClient();
  const jobs = new BurstJobsModel({ client: client.asClient() });
  jobs.start();
  const notices: INotice[] = [];
  new JobNotifier({
    jobs,
    isInFront: () => inFront,
    openJob: () => undefined,
    show: notice => notices.push(notice)
  });
  const push = (overrides: Parameters<typeof job>[0]) =>
    client.push('burst', { type: 'job', job: job(overrides) });
  return { client, notices, push };
}

describe('JobNotifier', () => {
  it('tells of failures and holds in words', () => {
    const { notices, push } = setup();
    push({ state: 'running' });
    push({
      state: 'held',
      holdReason: 'Job has gone over memory limit of 2048 megabytes.'
    });
    push({ id: 'other001', state: 'running' });
    push({
      id: 'other001',
      state: 'failed',
      error: 'The walltime of 60 min passed.'
    });
    expect(notices.map(n => n.kind)).toEqual(['warning', 'error']);
    expect(notices[0].message).toContain('over memory limit');
    expect(notices[1].message).toContain('The walltime of 60 min passed.');
  });

  it('tells of a completion only when the notebook is not in front', () => {
    const away = setup(false);
    away.push({ state: 'running' });
    away.push({ state: 'completed', hasOutputs: true });
    expect(away.notices.map(n => n.kind)).toEqual(['success']);

    const here = setup(true);
    here.push({ state: 'running' });
    here.push({ state: 'completed', hasOutputs: true });
    expect(here.notices).toEqual([]);
  });

  it('does not replay old news from a snapshot', () => {
    const { client, notices } = setup();
    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({ state: 'failed', error: 'old' }),
        job({ id: 'done0001', state: 'completed' })
      ]
    });
    expect(notices).toEqual([]);
  });
});
