import { BridgeError } from '@mlinfn/common';
import { BurstJobsModel } from '../src/models/jobs';
import { IJobChange } from '../src/tokens';
import { FakeClient, flush, job, T0 } from './fixtures';

function start(client = new FakeClient()) {
  const model = new BurstJobsModel({ client: client.asClient() });
  model.start();
  return { client, model };
}

describe('BurstJobsModel', () => {
  it('subscribes to the burst channel and takes its snapshot, newest first', async () => {
    const { client, model } = start();
    expect([...client.handlers.keys()]).toEqual(['burst']);
    expect(model.state).toBe('loading');

    client.push('burst', {
      type: 'jobs',
      jobs: [
        job({ id: 'older001', createdAt: T0 }),
        job({ id: 'newer001', createdAt: T0 + 5000, state: 'running' })
      ]
    });
    await flush();
    expect(model.state).toBe('live');
    expect(model.jobs.map(j => j.id)).toEqual(['newer001', 'older001']);
    expect(model.active.map(j => j.id)).toEqual(['newer001', 'older001']);
    model.dispose();
    expect(client.handlers.size).toBe(0);
  });

  it('updates one job per message and says what it was before', () => {
    const { client, model } = start();
    client.push('burst', { type: 'jobs', jobs: [job()] });
    const changes: IJobChange[] = [];
    model.jobChanged.connect((_, change) => changes.push(change));

    client.push('burst', {
      type: 'job',
      job: job({
        state: 'held',
        holdReason: 'Memory limit exceeded',
        holdReasonCode: 34
      })
    });
    client.push('burst', {
      type: 'job',
      job: job({ id: 'second01', createdAt: T0 + 1, state: 'queued' })
    });

    expect(model.get('job00001')?.state).toBe('held');
    expect(model.get('job00001')?.holdReason).toBe('Memory limit exceeded');
    expect(
      changes.map(c => [c.job.id, c.previous?.state ?? null, c.job.state])
    ).toEqual([
      ['job00001', 'queued', 'held'],
      ['second01', null, 'queued']
    ]);
    expect(model.jobs.map(j => j.id)).toEqual(['second01', 'job00001']);

    client.push('burst', {
      type: 'job',
      job: job({ state: 'completed', hasOutputs: true, finishedAt: T0 + 9000 })
    });
    expect(model.active.map(j => j.id)).toEqual(['second01']);
  });

  it('passes outputs on and ignores log messages on the main channel', () => {
    const { client, model } = start();
    const outputs: unknown[] = [];
    model.outputsReceived.connect((_, message) => outputs.push(message));
    const changed = jest.fn();
    model.changed.connect(changed);
    const message = {
      type: 'outputs',
      id: 'job00001',
      notebookPath: 'work/train.ipynb',
      cellId: 'cell-3',
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'hi\n' }],
      executionCount: 2
    };
    client.push('burst', message);
    client.push('burst', { type: 'log', id: 'job00001', offset: 0, text: 'x' });
    expect(outputs).toEqual([message]);
    expect(changed).not.toHaveBeenCalled();
  });

  it("follows one job's log on its own channel", () => {
    const { client, model } = start();
    const pieces: string[] = [];
    const sub = model.subscribeLog('job00001', m => pieces.push(m.text));
    expect(client.handlers.has('burst/job00001')).toBe(true);
    client.push('burst/job00001', {
      type: 'log',
      id: 'job00001',
      offset: 0,
      text: 'a'
    });
    client.push('burst/job00001', {
      type: 'log',
      id: 'other001',
      offset: 0,
      text: 'b'
    });
    expect(pieces).toEqual(['a']);
    sub.dispose();
    expect(client.handlers.has('burst/job00001')).toBe(false);
  });

  it('submits, cancels and resubmits through the bridge REST API', async () => {
    const client = new FakeClient();
    client.respond((endPoint, init) => {
      if (endPoint === 'api/burst/jobs' && init?.method === 'POST') {
        return job({ id: 'new00001' });
      }
      if (endPoint.endsWith('/cancel')) {
        return job({ id: 'new00001', state: 'cancelled' });
      }
      if (endPoint.endsWith('/resubmit')) {
        return job({
          id: 'again001',
          createdAt: T0 + 10,
          resubmittedFrom: 'new00001'
        });
      }
      return { jobs: [] };
    });
    const { model } = start(client);
    await flush();
    const request = {
      backend: 'pool',
      notebookPath: 'work/train.ipynb',
      cellId: 'cell-3',
      code: 'print(1)'
    };
    await model.submit(request);
    expect(client.request).toHaveBeenCalledWith('api/burst/jobs', {
      method: 'POST',
      body: JSON.stringify(request)
    });
    expect(model.get('new00001')?.state).toBe('queued');

    await model.cancel('new00001');
    expect(client.request).toHaveBeenLastCalledWith(
      'api/burst/jobs/new00001/cancel',
      { method: 'POST', body: '{}' }
    );
    expect(model.get('new00001')?.state).toBe('cancelled');

    await model.resubmit('new00001');
    expect(model.jobs.map(j => j.id)).toEqual(['again001', 'new00001']);
  });

  it('keeps a state pushed while a REST answer travelled: an answer never takes a job back', async () => {
    const client = new FakeClient();
    let answer: (value: unknown) => void = () => undefined;
    const { model } = start(client);
    client.push('burst', { type: 'jobs', jobs: [job({ state: 'running' })] });
    client.request.mockImplementation(
      () => new Promise(resolve => (answer = resolve))
    );
    const cancelling = model.cancel('job00001');
    // The bridge pushes the cancelled state before its answer (taken while it still ran).
    client.push('burst', { type: 'job', job: job({ state: 'cancelled' }) });
    answer(job({ state: 'running' }));
    await cancelling;
    expect(model.get('job00001')?.state).toBe('cancelled');

    client.push('burst', {
      type: 'job',
      job: job({ state: 'completed', hasOutputs: true, delivery: 'frontend' })
    });
    client.request.mockResolvedValueOnce(
      job({ state: 'completed', hasOutputs: true, delivery: 'pending' })
    );
    await model.acknowledge('job00001', { delivered: true });
    expect(model.get('job00001')?.delivery).toBe('frontend');
  });

  it('takes a second acknowledgement refused with 409 as delivered elsewhere', async () => {
    const client = new FakeClient();
    client.respond(endPoint =>
      endPoint.endsWith('/ack')
        ? new BridgeError(409, 'conflict', 'Already delivered.')
        : { jobs: [] }
    );
    const { model } = start(client);
    await expect(
      model.acknowledge('job00001', { delivered: true })
    ).resolves.toBeUndefined();
    client.respond(() => new BridgeError(403, 'forbidden', 'No.'));
    await expect(
      model.acknowledge('job00001', { delivered: true })
    ).rejects.toThrow('No.');
  });

  it('says in words why there is no list', async () => {
    const client = new FakeClient();
    client.respond(
      () =>
        new BridgeError(404, 'not-found', 'Burst is turned off on this server.')
    );
    const { model } = start(client);
    await flush();
    expect(model.state).toBe('error');
    expect(model.error).toBe('Burst is turned off on this server.');
  });

  it('keeps a pushed snapshot over an older REST answer', async () => {
    const client = new FakeClient();
    let answer: (value: unknown) => void = () => undefined;
    client.request.mockImplementation(
      () => new Promise(resolve => (answer = resolve))
    );
    const { model } = start(client);
    client.push('burst', { type: 'jobs', jobs: [job({ state: 'running' })] });
    answer({ jobs: [] });
    await flush();
    expect(model.jobs.map(j => j.state)).toEqual(['running']);
  });

  it('says when the connection is lost and waits for the next snapshot', () => {
    const { client, model } = start();
    client.push('burst', { type: 'jobs', jobs: [] });
    client.stateChanged.emit('disconnected');
    expect(model.state).toBe('disconnected');
    expect(model.error).toMatch(/Jobs keep running/);
    client.stateChanged.emit('connected');
    expect(model.state).toBe('loading');
    client.push('burst', { type: 'jobs', jobs: [job()] });
    expect(model.state).toBe('live');
  });
});
