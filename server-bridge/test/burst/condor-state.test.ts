/**
 * burst/htcondor: job states from job ads and job event logs recorded from the real pool
 * (HTCondor 23.9 through the 25.x bindings helper; fixtures/condor-ads.json).
 */
import {
  ICondorEvent,
  stateFromAd,
  stateFromEvents
} from '../../src/burst/backends/condor-state';
import recorded from './fixtures/condor-ads.json';

const ads = recorded as unknown as Record<string, Record<string, unknown>> & {
  completedEvents: ICondorEvent[];
};

describe('state from a job ad', () => {
  it('a spooled job waiting for its sandbox (hold code 16) is queued, not held', () => {
    expect(ads.spooling.HoldReasonCode).toBe(16);
    expect(stateFromAd(ads.spooling)).toEqual({ state: 'queued' });
  });

  it('a held job carries the pool own words and code', () => {
    const view = stateFromAd(ads.held);
    expect(view.state).toBe('held');
    expect(view.holdReasonCode).toBe(6);
    expect(view.holdReason).toMatch(
      /Failed to execute '\/nonexistent\/python3'/
    );
  });

  it('running, removed and completed', () => {
    expect(stateFromAd(ads.running).state).toBe('running');
    expect(stateFromAd(ads.running).startedAt).toBe(
      (ads.running.JobStartDate as number) * 1000
    );
    const removed = stateFromAd(ads.removedHistory);
    expect(removed.state).toBe('cancelled');
    const done = stateFromAd(ads.completed);
    expect(done).toMatchObject({ state: 'done', exitCode: 0 });
    expect(done.finishedAt).toBe(
      (ads.completed.CompletionDate as number) * 1000
    );
  });

  it('other hold codes and statuses', () => {
    expect(
      stateFromAd({
        JobStatus: 5,
        HoldReasonCode: 47,
        HoldReason: 'The job exceeded allowed execute duration of 00:01:00'
      })
    ).toMatchObject({
      state: 'held',
      holdReasonCode: 47,
      holdReason: 'The job exceeded allowed execute duration of 00:01:00'
    });
    expect(stateFromAd({ JobStatus: 5, HoldReasonCode: 1 })).toMatchObject({
      state: 'held',
      holdReason: 'held by the pool (no reason given)'
    });
    expect(stateFromAd({ JobStatus: 1 }).state).toBe('queued');
    expect(stateFromAd({ JobStatus: 6 }).state).toBe('running');
    expect(
      stateFromAd({ JobStatus: 4, ExitBySignal: true, ExitSignal: 9 })
    ).toMatchObject({ state: 'done', exitCode: null });
    expect(
      stateFromAd({ JobStatus: 3, RemoveReason: 'cancelled from JupyterLab' })
    ).toMatchObject({
      state: 'cancelled',
      reason: 'cancelled from JupyterLab'
    });
  });
});

describe('state from a job event log', () => {
  it('the recorded log of a completed job: start and end times, exit code', () => {
    const events = ads.completedEvents;
    const view = stateFromEvents(events)!;
    expect(view.state).toBe('done');
    expect(view.exitCode).toBe(0);
    const execute = events.find(e => e.name === 'EXECUTE')!;
    const end = events.find(e => e.name === 'JOB_TERMINATED')!;
    expect(view.startedAt).toBe(execute.timestamp * 1000);
    expect(view.finishedAt).toBe(end.timestamp * 1000);
  });

  it('every prefix of the log says where the job was', () => {
    const events = ads.completedEvents;
    const states = events.map(
      (_, i) => stateFromEvents(events.slice(0, i + 1))!.state
    );
    expect(states[0]).toBe('queued');
    expect(states).toContain('running');
    expect(states[states.length - 1]).toBe('done');
  });

  it('held, released, aborted (event shapes as the helper returns them)', () => {
    const t = 1795610500;
    const held: ICondorEvent[] = [
      { type: 0, name: 'SUBMIT', timestamp: t },
      {
        type: 12,
        name: 'JOB_HELD',
        timestamp: t + 1,
        HoldReasonCode: 16,
        HoldReason: 'Spooling input data files'
      },
      { type: 13, name: 'JOB_RELEASED', timestamp: t + 2 },
      { type: 1, name: 'EXECUTE', timestamp: t + 3 },
      {
        type: 12,
        name: 'JOB_HELD',
        timestamp: t + 4,
        HoldReasonCode: 6,
        HoldReason: ads.held.HoldReason as string
      }
    ];
    expect(stateFromEvents(held)).toMatchObject({
      state: 'held',
      holdReasonCode: 6,
      startedAt: (t + 3) * 1000
    });
    expect(stateFromEvents(held.slice(0, 2))!.state).toBe('queued');
    expect(
      stateFromEvents([
        ...held,
        {
          type: 9,
          name: 'JOB_ABORTED',
          timestamp: t + 5,
          Reason: 'cancelled from JupyterLab'
        }
      ])
    ).toMatchObject({
      state: 'cancelled',
      reason: 'cancelled from JupyterLab',
      finishedAt: (t + 5) * 1000
    });
    expect(stateFromEvents([])).toBeUndefined();
  });
});
