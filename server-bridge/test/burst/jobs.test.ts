/**
 * burst: what the submit path leaves on disk and on the pool, whatever happens to the bridge.
 * The job's record and bundle are written before its backend hears of it (so a bridge that
 * stops during the submit finds the job again with its whole request); a refused request
 * leaves nothing; an HTCondor job whose submit never got an answer is resolved from the pool
 * on the next reconcile instead of staying `queued`.
 */
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  writeFile
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HTCondorBackend } from '../../src/burst/backends/htcondor';
import { writeJobFiles } from '../../src/burst/bundle';
import { BurstJobs } from '../../src/burst/jobs';
import { backendResources } from '../../src/burst/resources';
import {
  BackendUnavailable,
  BadJobRequest,
  IBackendContext,
  IBurstBackend,
  IJobRecord
} from '../../src/burst/types';
import type {
  BridgeIdentity,
  BurstHTCondorBackendConfig,
  BurstJobRequest
} from '../../src/schema-types';
import type { Hub } from '../../src/ws/hub';
import { captureLogger } from '../helpers';

const USER: BridgeIdentity = {
  username: 'alice',
  name: 'Alice',
  initials: 'A',
  color: null,
  permissions: { contents: ['read', 'write'], kernels: ['execute'] }
};

const CONDOR: BurstHTCondorBackendConfig = {
  id: 'pool',
  kind: 'htcondor',
  pool: '127.0.0.1:9618'
};

let base: string;
let jobs: BurstJobs;
let jobsDir: string;

/** A backend that looks at the disk when it is asked to take a job. */
function fakeBackend(
  onSubmit: (record: IJobRecord) => Promise<void>
): IBurstBackend {
  return {
    id: 'fake',
    info: () => ({
      id: 'fake',
      kind: 'htcondor',
      title: 'Fake pool',
      description: 'a test double',
      resources: backendResources(CONDOR),
      liveLogs: 'at-completion',
      available: true
    }),
    submit: onSubmit,
    cancel: async () => undefined,
    reconcile: async () => undefined,
    logPath: () => undefined,
    close: async () => undefined
  };
}

const request = (over: Partial<BurstJobRequest> = {}): BurstJobRequest => ({
  backend: 'fake',
  notebookPath: 'nb.ipynb',
  cellId: 'cell-1',
  code: 'print(1)',
  contextCells: [{ id: 'setup', code: 'x = 1' }],
  resources: { cpus: 1, memoryMB: 256, walltimeMinutes: 5 },
  deliver: 'frontend',
  ...over
});

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'burst-jobs-'));
  await mkdir(path.join(base, 'root'));
  await mkdir(path.join(base, 'state'));
  await writeFile(path.join(base, 'root', 'nb.ipynb'), '{}');
  jobs = new BurstJobs({
    config: { localBackend: false, reconcileIntervalSeconds: 3600 },
    stateDir: path.join(base, 'state'),
    rootDir: path.join(base, 'root'),
    logger: captureLogger().logger,
    hub: { publish: () => undefined } as unknown as Hub
  });
  jobsDir = jobs.store.jobsDir;
  await jobs.start();
});

afterEach(async () => {
  await jobs.close();
  await rm(base, { recursive: true, force: true });
});

describe('the submit path', () => {
  it('has the job record and the bundle on disk before the backend is asked', async () => {
    let seen: { files: string[]; record: any } | undefined;
    jobs.backends.set(
      'fake',
      fakeBackend(async record => {
        seen = {
          files: (await readdir(record.sandbox)).sort(),
          record: JSON.parse(
            await readFile(path.join(record.sandbox, 'job.json'), 'utf8')
          ).record
        };
      })
    );
    const job = await jobs.submit(request(), USER);
    expect(job.state).toBe('queued');
    expect(seen!.files).toEqual(['bundle.json', 'job.json', 'runner.py']);
    // The whole request, as a restarted bridge needs it (resubmit, delivery, permissions).
    expect(seen!.record.job.id).toBe(job.id);
    expect(seen!.record.request).toMatchObject({
      code: 'print(1)',
      contextCells: [{ id: 'setup', code: 'x = 1' }],
      deliver: 'frontend'
    });
    expect(seen!.record.canWrite).toBe(true);
    expect(jobs.store.get(job.id)?.job.id).toBe(job.id);
  });

  it('leaves no folder and asks no backend when a check fails', async () => {
    const submit = jest.fn(async () => undefined);
    jobs.backends.set('fake', fakeBackend(submit));
    await expect(
      jobs.submit(request({ notebookPath: 'missing.ipynb' }), USER)
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      jobs.submit(request({ inputFiles: ['../nb.ipynb'] }), USER)
    ).rejects.toBeInstanceOf(BadJobRequest);
    expect(submit).not.toHaveBeenCalled();
    expect(await readdir(jobsDir)).toEqual([]);
    expect(jobs.store.all()).toEqual([]);
  });

  it('leaves nothing when the backend refuses the job', async () => {
    jobs.backends.set(
      'fake',
      fakeBackend(async () => {
        throw new BackendUnavailable('the pool refused the job: full');
      })
    );
    await expect(jobs.submit(request(), USER)).rejects.toThrow(/full/);
    expect(await readdir(jobsDir)).toEqual([]);
    expect(jobs.store.all()).toEqual([]);
  });

  /** A backend that prepares as the HTCondor helper does: in order, its submit behind. */
  function preparingBackend(onSubmit: (record: IJobRecord) => Promise<void>) {
    const log: string[] = [];
    let ready: Promise<void> = Promise.resolve();
    const backend = fakeBackend(async record => {
      await ready.catch(() => {
        throw new Error("the job's check or folder failed; not submitted");
      });
      log.push('submit');
      await onSubmit(record);
    });
    backend.prepare = (record, files, check) => {
      log.push(`prepare ${files.map(f => f.name).join(',')}`);
      ready = (async () => {
        await stat(path.join(check.root, check.notebookPath)); // the helper's own check
        await writeJobFiles(record.sandbox, files);
      })();
      return ready;
    };
    return { backend, log };
  }

  it('a backend that makes the folder itself gets the files, the check and then the submit', async () => {
    const { backend, log } = preparingBackend(async record => {
      // The record is there for the submit, as the module wrote it into the file list.
      expect(
        JSON.parse(
          await readFile(path.join(record.sandbox, 'job.json'), 'utf8')
        ).record.request.code
      ).toBe('print(1)');
    });
    const prepare = jest.spyOn(backend, 'prepare');
    jobs.backends.set('fake', backend);
    const job = await jobs.submit(request(), USER);
    expect(log).toEqual(['prepare runner.py,bundle.json,job.json', 'submit']);
    expect(prepare.mock.calls[0][2]).toEqual({
      root: await realpath(path.join(base, 'root')),
      notebookPath: 'nb.ipynb'
    });
    const sandbox = path.join(jobsDir, job.id);
    expect((await readdir(sandbox)).sort()).toEqual([
      'bundle.json',
      'job.json',
      'runner.py'
    ]);
  });

  it('a refused request leaves nothing where the backend made the folder', async () => {
    const { backend, log } = preparingBackend(async () => undefined);
    const cancel = jest.spyOn(backend, 'cancel');
    jobs.backends.set('fake', backend);
    await expect(
      jobs.submit(request({ notebookPath: 'missing.ipynb' }), USER)
    ).rejects.toMatchObject({ status: 404 });
    expect(log).not.toContain('submit'); // the backend's own check refused it
    expect(cancel).not.toHaveBeenCalled();
    expect(await readdir(jobsDir)).toEqual([]);
    expect(jobs.store.all()).toEqual([]);
  });

  it('a folder the backend could not make cancels a submit that went through', async () => {
    const cancel = jest.fn(async () => undefined);
    const backend = fakeBackend(async () => undefined);
    backend.prepare = async () => {
      throw new Error('No space left on device');
    };
    backend.cancel = cancel;
    jobs.backends.set('fake', backend);
    await expect(jobs.submit(request(), USER)).rejects.toThrow(/No space/);
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(jobs.store.all()).toEqual([]);
    expect(await readdir(jobsDir)).toEqual([]);
  });

  it('makes the inputs folder even when the inputs are empty folders', async () => {
    await mkdir(path.join(base, 'root', 'empty'));
    let files: string[] = [];
    jobs.backends.set(
      'fake',
      fakeBackend(async record => {
        files = (await readdir(record.sandbox)).sort();
      })
    );
    await jobs.submit(request({ inputFiles: ['empty'] }), USER);
    expect(files).toContain('inputs');
  });
});

describe('HTCondor: submits without an answer', () => {
  function condor() {
    const ctx = {
      logger: captureLogger().logger,
      update: jest.fn(),
      finished: jest.fn(),
      record: () => undefined,
      jobsDir: path.join(base, 'jobs')
    } satisfies IBackendContext;
    const backend = new HTCondorBackend(
      { ...CONDOR, helperPython: '/nonexistent/python' },
      ctx
    );
    return { backend, ctx };
  }

  function queuedRecord(id: string): IJobRecord {
    return {
      job: {
        id,
        backend: 'pool',
        backendKind: 'htcondor',
        notebookPath: 'nb.ipynb',
        cellId: 'cell-1',
        user: 'alice',
        state: 'queued',
        resources: { cpus: 1, memoryMB: 256, gpus: 0, walltimeMinutes: 5 },
        liveLogs: 'at-completion',
        createdAt: Date.now(),
        hasOutputs: false,
        delivery: 'none'
      },
      request: {
        backend: 'pool',
        notebookPath: 'nb.ipynb',
        cellId: 'cell-1',
        code: 'print(1)',
        resources: { cpus: 1, memoryMB: 256, gpus: 0, walltimeMinutes: 5 }
      },
      sandbox: path.join(base, 'jobs', id),
      backendState: {},
      canWrite: true
    };
  }

  it('a job whose submit is under way is not looked for in the history', async () => {
    const { backend, ctx } = condor();
    let answer!: (value: unknown) => void;
    const calls: string[] = [];
    jest
      .spyOn(backend.helper, 'call')
      .mockImplementation(async (op: string) => {
        calls.push(op);
        if (op === 'submit') {
          return new Promise(resolve => (answer = resolve));
        }
        return { ads: [] };
      });
    const record = queuedRecord('aaaabbbbccccdddd');
    const submitted = backend.submit(record);
    await backend.reconcile([record]);
    expect(calls).toEqual(['submit', 'query']);
    expect(ctx.finished).not.toHaveBeenCalled();
    answer({ cluster: 7, schedd: 'sched' });
    await submitted;
    expect(ctx.update).toHaveBeenCalledWith(
      'aaaabbbbccccdddd',
      { state: 'queued', backendRef: 'sched/7.0' },
      { cluster: 7, schedd: 'sched' }
    );
    await backend.close();
  });

  it('a record left without a cluster by a stopped bridge is resolved from the pool', async () => {
    const { backend, ctx } = condor();
    const calls: [string, any][] = [];
    jest
      .spyOn(backend.helper, 'call')
      .mockImplementation(async (op: string, args: any) => {
        calls.push([op, args]);
        return { ads: [] };
      });
    const record = queuedRecord('eeeeffff00001111');
    await backend.reconcile([record]);
    expect(calls.map(c => c[0])).toEqual(['query', 'history']);
    expect(calls[1][1].constraint).toBe('MlinfnJobId == "eeeeffff00001111"');
    expect(ctx.finished).toHaveBeenCalledWith('eeeeffff00001111', {
      error: 'the job is in neither the queue nor the history of the pool'
    });
    await backend.close();
  });
});
