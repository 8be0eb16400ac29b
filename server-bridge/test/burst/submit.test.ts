/**
 * burst/htcondor: the submit description holds validated values only. Injection attempts in
 * every field a user (or a site) can set are refused, or encoded so that they stay inert.
 */
import {
  buildSubmitDescription,
  ICondorJobSpec,
  percentDecode,
  percentEncode,
  submitFileText,
  SubmitValueError
} from '../../src/burst/backends/condor-submit';
import type { BurstHTCondorBackendConfig } from '../../src/schema-types';

const config: BurstHTCondorBackendConfig = {
  id: 'pool',
  kind: 'htcondor',
  pool: '127.0.0.1:9618'
};

function spec(overrides: Partial<ICondorJobSpec> = {}): ICondorJobSpec {
  return {
    jobId: 'abcdef0123456789',
    backendId: 'pool',
    notebookPath: 'work/train.ipynb',
    cellId: 'c-1',
    user: 'alice',
    sandbox: '/var/lib/mlinfn/burst/jobs/abcdef0123456789',
    resources: { cpus: 2, memoryMB: 4096, gpus: 1, walltimeMinutes: 30 },
    hasInputs: true,
    ...overrides
  };
}

/** Every line of the submit text is `key = value` with nothing that HTCondor expands. */
function expectInert(text: string): void {
  for (const line of text.trim().split('\n')) {
    if (line === 'queue') {
      continue;
    }
    expect(line).toMatch(/^[A-Za-z_.]+ = [^\n\r$]*$/);
  }
  expect(text.match(/^queue$/gm)).toHaveLength(1);
}

const ATTACKS = [
  'x\nqueue 100',
  'x\r\nexecutable = /bin/sh',
  'x"; My.Evil = "1',
  '$(Cluster)',
  '$ENV(HOME)',
  '$$(Memory)',
  "x' y",
  'a\\"b',
  'x\u0000y',
  '../../etc/passwd'
];

describe('submit description', () => {
  it('is built from fixed names and checked values', () => {
    const d = buildSubmitDescription(spec(), config);
    expect(d).toMatchObject({
      universe: 'vanilla',
      executable: '/usr/bin/python3',
      transfer_executable: 'false',
      arguments: 'runner.py',
      initialdir: '/var/lib/mlinfn/burst/jobs/abcdef0123456789',
      transfer_input_files: 'runner.py,bundle.json,inputs',
      transfer_output_files: 'result.json,produced',
      request_cpus: '2',
      request_memory: '4096',
      request_gpus: '1',
      allowed_execute_duration: '1800',
      'My.MlinfnJobId': '"abcdef0123456789"',
      'My.MlinfnBackend': '"pool"',
      'My.MlinfnCellId': '"c-1"',
      'My.MlinfnNotebookPath': '"work/train.ipynb"',
      'My.MlinfnUser': '"alice"'
    });
    expect(d.container_image).toBeUndefined();
    expectInert(submitFileText(d));
  });

  it('asks for no GPU when none is wanted, and sends no inputs folder when there is none', () => {
    const d = buildSubmitDescription(
      spec({
        resources: { cpus: 1, memoryMB: 128, gpus: 0, walltimeMinutes: 1 },
        hasInputs: false
      }),
      config
    );
    expect(d.request_gpus).toBeUndefined();
    expect(d.transfer_input_files).toBe('runner.py,bundle.json');
  });

  it.each(ATTACKS)('percent-encodes the notebook path and user %j', attack => {
    const d = buildSubmitDescription(
      spec({ notebookPath: `nb/${attack}.ipynb`, user: attack }),
      config
    );
    expectInert(submitFileText(d));
    const path = d['My.MlinfnNotebookPath'];
    expect(path).toMatch(/^"[A-Za-z0-9._/%-]*"$/);
    expect(percentDecode(path.slice(1, -1))).toBe(`nb/${attack}.ipynb`);
    expect(percentDecode(d['My.MlinfnUser'].slice(1, -1))).toBe(attack);
  });

  it.each(ATTACKS)(
    'refuses %j as a cell id, job id, backend id or sandbox',
    attack => {
      for (const field of [
        'cellId',
        'jobId',
        'backendId',
        'sandbox'
      ] as const) {
        expect(() =>
          buildSubmitDescription(spec({ [field]: attack }), config)
        ).toThrow(SubmitValueError);
      }
    }
  );

  it.each(ATTACKS.concat(['docker://x y', 'image:tag\nqueue']))(
    'refuses %j as a container image',
    attack => {
      const container = { ...config, universe: 'container' as const };
      expect(() =>
        buildSubmitDescription(
          spec({
            resources: {
              cpus: 1,
              memoryMB: 128,
              gpus: 0,
              walltimeMinutes: 1,
              image: attack
            }
          }),
          container
        )
      ).toThrow(SubmitValueError);
    }
  );

  it('refuses non-integer or out-of-range resources', () => {
    const bad = [
      { cpus: 0 },
      { cpus: 1.5 },
      { cpus: NaN },
      { memoryMB: -1 },
      { memoryMB: '1024\nqueue' as unknown as number },
      { gpus: 65 },
      { walltimeMinutes: 0 }
    ];
    for (const patch of bad) {
      const resources = {
        cpus: 1,
        memoryMB: 128,
        gpus: 0,
        walltimeMinutes: 1,
        ...patch
      };
      expect(() => buildSubmitDescription(spec({ resources }), config)).toThrow(
        SubmitValueError
      );
    }
  });

  it('writes container_image in the container universe (not runnable here: checked on the text)', () => {
    const d = buildSubmitDescription(
      spec({
        resources: {
          cpus: 1,
          memoryMB: 1024,
          gpus: 0,
          walltimeMinutes: 10,
          image: 'docker://harbor.cloud.infn.it/ml/lab:1.2@sha256:0123abcd'
        }
      }),
      {
        ...config,
        universe: 'container',
        workerPython: '/opt/conda/bin/python'
      }
    );
    const text = submitFileText(d);
    expect(text).toContain('universe = container\n');
    expect(text).toContain(
      'container_image = docker://harbor.cloud.infn.it/ml/lab:1.2@sha256:0123abcd\n'
    );
    expect(text).toContain('executable = /opt/conda/bin/python\n');
    expectInert(text);
    expect(() =>
      buildSubmitDescription(spec(), { ...config, universe: 'container' })
    ).toThrow(/needs an image/);
    expect(() =>
      buildSubmitDescription(
        spec({
          resources: {
            cpus: 1,
            memoryMB: 1,
            gpus: 0,
            walltimeMinutes: 1,
            image: 'a/b'
          }
        }),
        config
      )
    ).toThrow(SubmitValueError);
  });

  it('checks what the site writes too: env, requirements, worker python', () => {
    const ok = buildSubmitDescription(spec(), {
      ...config,
      env: { OMP_NUM_THREADS: '2', DATA: '/data/set one' },
      requirements: 'OpSysAndVer == "AlmaLinux9"',
      accountingGroup: 'group_ml.alice'
    });
    expect(ok.environment).toBe(
      "\"OMP_NUM_THREADS='2' DATA='/data/set one' MLINFN_BURST=1\""
    );
    expect(ok.requirements).toBe('OpSysAndVer == "AlmaLinux9"');
    expect(ok.accounting_group).toBe('group_ml.alice');
    for (const bad of [
      { env: { X: "a' B='b" } },
      { env: { X: 'a"b' } },
      { env: { X: '$(HOME)' } },
      { env: { 'X Y': '1' } },
      { requirements: 'true\nqueue' },
      { requirements: '$$(Memory) > 1' },
      { workerPython: '/usr/bin/python3 -c evil' },
      { workerPython: 'python3' },
      { accountingGroup: 'a b' }
    ]) {
      expect(() =>
        buildSubmitDescription(spec(), { ...config, ...bad })
      ).toThrow(SubmitValueError);
    }
  });

  it('percent-encodes only what needs it', () => {
    expect(percentEncode('a b/ç.ipynb')).toBe('a%20b/%C3%A7.ipynb');
    expect(percentDecode('a%20b/%C3%A7.ipynb')).toBe('a b/ç.ipynb');
  });
});
