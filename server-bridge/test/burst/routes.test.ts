/**
 * burst: the REST routes of an in-process bridge in proxy mode (tickets with the Jupyter
 * Authorizer's permissions), with the local backend running a real runner and kernel.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../../src/config';
import { createBridge, IBridge } from '../../src/server';
import {
  captureLogger,
  payload,
  proxyMode,
  request,
  signTicket
} from '../helpers';

const PYTHON = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  '.venv',
  'bin',
  'python'
);

let dir: string;
let bridge: IBridge;
let base: string;

const ALL = {
  contents: ['read', 'write'],
  kernels: ['read', 'write', 'execute']
};

function call(
  method: string,
  p: string,
  body?: unknown,
  perms: Record<string, string[]> = ALL
) {
  const headers: Record<string, string> = {
    'X-Mlinfn-Ticket': signTicket(payload({ perms }))
  };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  return request(
    base,
    method,
    p,
    headers,
    body === undefined ? undefined : JSON.stringify(body)
  );
}

async function waitFor(id: string, done: (job: any) => boolean): Promise<any> {
  for (let i = 0; i < 150; i++) {
    const job = (await call('GET', `/api/burst/jobs/${id}`)).json();
    if (done(job)) {
      return job;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`job ${id} never got there`);
}

const notebook = (source: string) =>
  JSON.stringify({
    cells: [
      {
        cell_type: 'code',
        id: 'cell-a',
        metadata: {},
        source,
        outputs: [],
        execution_count: null
      }
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  });

const job = (extra: Record<string, unknown> = {}) => ({
  backend: 'local',
  notebookPath: 'nb.ipynb',
  cellId: 'cell-a',
  code: "print('hi from the runner')",
  deliver: 'file',
  ...extra
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'burst-routes-'));
  await writeFile(
    path.join(dir, 'nb.ipynb'),
    notebook("print('hi from the runner')")
  );
  const { logger } = captureLogger();
  bridge = createBridge({
    mode: proxyMode(),
    config: resolveConfig(
      {
        stateDir: path.join(dir, '.state'),
        burst: {
          reconcileIntervalSeconds: 0.2,
          backends: [{ id: 'local', kind: 'local', python: PYTHON }]
        }
      },
      {}
    ),
    listen: { host: '127.0.0.1', port: 0 },
    logger,
    rootDir: dir
  });
  base = `http://${await bridge.start()}`;
});

afterAll(async () => {
  await bridge.close();
  await rm(dir, { recursive: true, force: true });
});

describe('burst routes', () => {
  it('lists the backends to whoever may read kernels, nobody else', async () => {
    const ok = await call('GET', '/api/burst/backends');
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({
      defaultBackend: 'local',
      backends: [{ id: 'local', kind: 'local', liveLogs: 'stream' }]
    });
    const refused = await call('GET', '/api/burst/backends', undefined, {
      contents: ['read']
    });
    expect(refused.status).toBe(403);
  });

  it('refuses to run code for a user who may not execute kernels', async () => {
    const answer = await call('POST', '/api/burst/jobs', job(), {
      contents: ['read', 'write'],
      kernels: ['read']
    });
    expect(answer.status).toBe(403);
    expect(answer.json().reason).toMatch(/kernels:execute/);
  });

  it('answers 400 naming the field, 404 for what does not exist', async () => {
    const bad = await call('POST', '/api/burst/jobs', job({ cellId: 'a b' }));
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({
      error: 'bad_request',
      reason: expect.stringContaining('/cellId')
    });
    expect(
      (await call('POST', '/api/burst/jobs', job({ backend: 'nope' }))).status
    ).toBe(404);
    expect(
      (
        await call(
          'POST',
          '/api/burst/jobs',
          job({ notebookPath: 'gone.ipynb' })
        )
      ).status
    ).toBe(404);
    expect((await call('GET', '/api/burst/jobs/0123456789abcdef')).status).toBe(
      404
    );
    expect((await call('GET', '/api/burst/jobs/..%2F..%2Fetc')).status).toBe(
      404
    );
    expect(
      (await call('GET', '/api/burst/jobs/0123456789abcdef/log?offset=-1'))
        .status
    ).toBe(400);
    expect(
      (
        await call('POST', '/api/burst/jobs/0123456789abcdef/ack', {
          delivered: 'y'
        })
      ).status
    ).toBe(400);
    expect(
      (
        await call(
          'POST',
          '/api/burst/jobs',
          job({ resources: { cpus: 1, walltimeMinutes: 1, gpus: 1 } })
        )
      ).status
    ).toBe(400);
  });

  it('runs a cell, writes its outputs into the file, serves its log, forgets it', async () => {
    const created = await call('POST', '/api/burst/jobs', job());
    expect(created.status).toBe(201);
    const { id } = created.json();
    const done = await waitFor(id, j => j.delivery === 'file');
    expect(done).toMatchObject({
      state: 'completed',
      hasOutputs: true,
      executionCount: 1
    });
    expect(done.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'hi from the runner\n' }
    ]);
    const nb = JSON.parse(await readFile(path.join(dir, 'nb.ipynb'), 'utf8'));
    expect(nb.cells[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: ['hi from the runner\n'] }
    ]);
    const log = (
      await call('GET', `/api/burst/jobs/${id}/log?offset=0`)
    ).json();
    expect(log.text).toContain('hi from the runner');
    expect(log.complete).toBe(true);
    const tail = (
      await call('GET', `/api/burst/jobs/${id}/log?offset=${log.nextOffset}`)
    ).json();
    expect(tail).toMatchObject({ text: '', offset: log.nextOffset });
    expect(
      (await call('GET', '/api/burst/jobs')).json().jobs.map((j: any) => j.id)
    ).toContain(id);
    expect((await call('DELETE', `/api/burst/jobs/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/burst/jobs/${id}`)).status).toBe(404);
  });

  it('does not write the notebook for a user who may not write it', async () => {
    const created = await call('POST', '/api/burst/jobs', job(), {
      contents: ['read'],
      kernels: ['read', 'execute']
    });
    expect(created.status).toBe(201);
    const done = await waitFor(created.json().id, j => j.delivery === 'failed');
    expect(done.deliveryError).toMatch(/may not write/);
  });

  it('cancels a running job and resubmits it', async () => {
    const created = await call(
      'POST',
      '/api/burst/jobs',
      job({ code: 'import time\ntime.sleep(300)', deliver: 'frontend' })
    );
    const { id } = created.json();
    await waitFor(id, j => j.state === 'running');
    expect(
      (await call('POST', `/api/burst/jobs/${id}/cancel`, {})).status
    ).toBe(200);
    await waitFor(id, j => j.state === 'cancelled');
    expect((await call('DELETE', `/api/burst/jobs/${id}`)).status).toBe(204);
    const again = await call('POST', '/api/burst/jobs', job());
    const resubmitted = await call(
      'POST',
      `/api/burst/jobs/${again.json().id}/resubmit`,
      {}
    );
    expect(resubmitted.status).toBe(201);
    expect(resubmitted.json().resubmittedFrom).toBe(again.json().id);
    await waitFor(resubmitted.json().id, j => j.state === 'completed');
  });
});
