/**
 * burst/htcondor: the command-line client (`client: "cli"`), on outputs recorded from
 * HTCondor 23.9's own tools against the test pool (fixtures/cli/: `condor_q -json` of a
 * completed and a held job, `condor_history -json` of a removed one, condor_rm's answers,
 * `condor_submit -terse`, condor_transfer_data, and two job event logs). Debian 12 has no
 * HTCondor client tools, so the client itself is not run against a pool here: each tool is
 * replayed, and the arguments it would get are checked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CondorCli,
  execTool,
  IToolResult,
  parseJsonAds,
  ToolRunner
} from '../../src/burst/backends/condor-cli';
import { CondorError } from '../../src/burst/backends/condor-helper';
import { parseEventLog } from '../../src/burst/backends/condor-log';
import {
  AD_PROJECTION,
  stateFromAd,
  stateFromEvents
} from '../../src/burst/backends/condor-state';
import {
  buildSubmitDescription,
  submitFileText
} from '../../src/burst/backends/condor-submit';
import { HTCondorBackend } from '../../src/burst/backends/htcondor';
import { captureLogger } from '../helpers';

const FIXTURES = path.join(__dirname, 'fixtures', 'cli');
const recorded = (name: string) =>
  readFileSync(path.join(FIXTURES, name), 'utf8');

interface ICall {
  file: string;
  args: string[];
  input?: string;
  cwd?: string;
  env: NodeJS.ProcessEnv;
}

/** A runner that answers each tool with a recorded output. */
function replay(answers: Record<string, IToolResult | IToolResult[]>) {
  const calls: ICall[] = [];
  const run: ToolRunner = async (file, args, options) => {
    calls.push({ file, args, ...options });
    const answer = answers[path.basename(file)];
    if (!answer) {
      throw new Error(`no recorded answer for ${file}`);
    }
    return Array.isArray(answer) ? answer.shift()! : answer;
  };
  return { run, calls };
}

const ok = (stdout: string): IToolResult => ({ code: 0, stdout, stderr: '' });

function client(run: ToolRunner, schedd: string | null = 'vm') {
  return new CondorCli({
    bin: '/opt/condor/bin',
    pool: 'cm.example.org:9618',
    schedd: schedd ?? undefined,
    env: { CONDOR_CONFIG: '/etc/mlinfn/condor_config' },
    logger: captureLogger().logger,
    run
  });
}

const TARGET = ['-name', 'vm', '-pool', 'cm.example.org:9618'];

describe('the HTCondor CLI client', () => {
  it('submits with spooling: the description on stdin, one argument per value', async () => {
    const { run, calls } = replay({
      condor_submit: ok(recorded('condor_submit-terse.out'))
    });
    const description = buildSubmitDescription(
      {
        jobId: 'abcdef0123456789',
        backendId: 'pool',
        notebookPath: 'work/my "notebook"\n$(x).ipynb',
        cellId: 'c-1',
        user: "alice'; rm -rf /",
        sandbox: '/var/lib/mlinfn/state/burst/jobs/abcdef0123456789',
        resources: { cpus: 1, memoryMB: 512, gpus: 0, walltimeMinutes: 5 },
        hasInputs: false
      },
      { id: 'pool', kind: 'htcondor', pool: 'cm.example.org:9618' }
    );
    const answer = await client(run).call('submit', { description });
    expect(answer).toEqual({ cluster: 1097, schedd: 'vm' });
    expect(calls).toHaveLength(1);
    expect(calls[0].file).toBe('/opt/condor/bin/condor_submit');
    expect(calls[0].args).toEqual(['-spool', '-terse', ...TARGET, '-']);
    expect(calls[0].cwd).toBe(
      '/var/lib/mlinfn/state/burst/jobs/abcdef0123456789'
    );
    expect(calls[0].env.CONDOR_CONFIG).toBe('/etc/mlinfn/condor_config');
    // The submit file is the validated description: one line per key, nothing expandable.
    expect(calls[0].input).toBe(submitFileText(description));
    expect(calls[0].input).not.toMatch(/\$|rm -rf|"notebook"/);
    expect(calls[0].input).toContain(
      'My.MlinfnNotebookPath = "work/my%20%22notebook%22%0A%24%28x%29.ipynb"'
    );
  });

  it('reads the queue from condor_q -json (every user, the projection, the constraint)', async () => {
    const { run, calls } = replay({
      condor_q: [ok(recorded('condor_q-json.out')), ok('')]
    });
    const cli = client(run);
    const constraint = 'MlinfnBackend == "pool"';
    const { ads } = await cli.call('query', {
      constraint,
      projection: AD_PROJECTION
    });
    expect(calls[0].args).toEqual([
      '-json',
      '-allusers',
      '-attributes',
      AD_PROJECTION.join(','),
      '-constraint',
      constraint,
      ...TARGET
    ]);
    expect(ads.map((ad: any) => ad.MlinfnJobId)).toEqual([
      'cliok00000000001',
      'cliheld000000001'
    ]);
    expect(stateFromAd(ads[0])).toMatchObject({ state: 'done', exitCode: 0 });
    expect(stateFromAd(ads[1])).toMatchObject({
      state: 'held',
      holdReasonCode: 6,
      holdReason: expect.stringContaining(
        "Failed to execute '/nonexistent/python3'"
      )
    });
    // condor_q prints nothing at all when nothing matches.
    expect((await cli.call('query', { constraint })).ads).toEqual([]);
  });

  it('reads the history from condor_history -json', async () => {
    const { run, calls } = replay({
      condor_history: [ok(recorded('condor_history-json.out')), ok('[\n]\n')]
    });
    const cli = client(run);
    const { ads } = await cli.call('history', {
      constraint: 'MlinfnJobId == "cliheld000000001"',
      projection: AD_PROJECTION,
      match: 1
    });
    expect(calls[0].args.slice(0, 3)).toEqual(['-json', '-match', '1']);
    expect(stateFromAd(ads[0])).toMatchObject({
      state: 'cancelled',
      reason: 'via condor_rm (by user condor)'
    });
    expect(
      (await cli.call('history', { constraint: 'false', match: 1 })).ads
    ).toEqual([]);
  });

  it('removes with condor_rm and tells a removal from nothing to remove', async () => {
    const { run, calls } = replay({
      condor_rm: [
        ok(recorded('condor_rm.out')),
        { code: 1, stdout: recorded('condor_rm-nothing.out'), stderr: '' },
        {
          code: 1,
          stdout: '',
          stderr: 'AUTHENTICATE:1003:Failed to authenticate with any method'
        }
      ]
    });
    const cli = client(run);
    const constraint = 'MlinfnJobId == "cliheld000000001"';
    const args = { action: 'remove', constraint, reason: 'cancelled' };
    expect(await cli.call('act', args)).toEqual({
      result: { TotalSuccess: 1 }
    });
    expect(calls[0].args).toEqual([
      '-reason',
      'cancelled',
      '-constraint',
      constraint,
      ...TARGET
    ]);
    expect(await cli.call('act', args)).toEqual({
      result: { TotalSuccess: 0 }
    });
    await expect(cli.call('act', args)).rejects.toThrow(
      /condor_rm failed \(exit 1\): AUTHENTICATE:1003/
    );
    await expect(
      cli.call('act', { action: 'vacate', constraint })
    ).rejects.toBeInstanceOf(CondorError);
  });

  it('retrieves the output sandbox with condor_transfer_data', async () => {
    const { run, calls } = replay({
      condor_transfer_data: ok(recorded('condor_transfer_data.out'))
    });
    const constraint = 'ClusterId == 1097 && MlinfnJobId == "clisub0000000001"';
    expect(await client(run).call('retrieve', { constraint })).toEqual({});
    expect(calls[0].args).toEqual(['-constraint', constraint, ...TARGET]);
  });

  it('asks the collector for a schedd once when none is configured', async () => {
    const { run, calls } = replay({
      condor_status: ok('vm\n'),
      condor_q: [ok(''), ok('')]
    });
    const cli = client(run, null);
    await cli.call('query', { constraint: 'true' });
    await cli.call('query', { constraint: 'true' });
    expect(calls.map(c => path.basename(c.file))).toEqual([
      'condor_status',
      'condor_q',
      'condor_q'
    ]);
    expect(calls[0].args).toEqual([
      '-schedd',
      '-pool',
      'cm.example.org:9618',
      '-af',
      'Name'
    ]);
    expect(calls[1].args.slice(-4)).toEqual(TARGET);
  });

  it('refuses output that is not a list of ads', () => {
    expect(() => parseJsonAds('Error: no such attribute')).toThrow(CondorError);
    expect(() => parseJsonAds('{"a": 1}')).toThrow(/not a list/);
  });
});

describe('job event logs without the bindings', () => {
  it('a completed job: submitted, started, ended with its exit code', () => {
    const events = parseEventLog(recorded('completed.job.log'));
    expect(events.map(e => e.type)).toEqual([0, 40, 40, 1, 6, 40, 40, 5]);
    expect(events[7]).toMatchObject({
      name: 'JOB_TERMINATED',
      cluster: 1095,
      proc: 0,
      TerminatedNormally: true,
      ReturnValue: 0
    });
    const view = stateFromEvents(events)!;
    expect(view).toMatchObject({ state: 'done', exitCode: 0 });
    expect(view.startedAt).toBe(events[3].timestamp * 1000);
    expect(view.finishedAt).toBe(events[7].timestamp * 1000);
  });

  it('held with the pool own words and code, released, removed', () => {
    const events = parseEventLog(recorded('held-released-removed.job.log'));
    const held = events.find(e => e.type === 12)!;
    expect(held).toMatchObject({
      name: 'JOB_HELD',
      HoldReasonCode: 6,
      HoldReason:
        "Error from slot1_1@vm: Failed to execute '/nonexistent/python3' with arguments runner.py: (errno=2: 'No such file or directory')"
    });
    expect(events.find(e => e.type === 13)).toMatchObject({
      Reason: 'via condor_release (by user mlinfn)'
    });
    // Every prefix says where the job was; the whole log ends removed.
    const heldAt = events.indexOf(held);
    expect(stateFromEvents(events.slice(0, heldAt + 1))).toMatchObject({
      state: 'held',
      holdReasonCode: 6
    });
    expect(stateFromEvents(events)).toMatchObject({
      state: 'cancelled',
      reason: 'via condor_rm (by user mlinfn)'
    });
  });

  it('dates with a zone, the old date format, and a log cut mid-event', () => {
    const [utc, offset] = parseEventLog(
      '000 (1.000.000) 2026-11-25T15:44:53Z Job submitted from host: <x>\n...\n' +
        '001 (1.000.000) 2026-11-25 16:44:53+01:00 Job executing on host: <x>\n...\n'
    );
    expect(utc.timestamp).toBe(Date.UTC(2026, 10, 25, 15, 44, 53) / 1000);
    expect(offset.timestamp).toBe(utc.timestamp);
    const [old, cut] = parseEventLog(
      '000 (7.000.000) 11/25 15:44:53 Job submitted from host: <x>\n...\n' +
        '012 (7.000.000) 11/25 15:45:00 Job was held.\n\tvia condor_hold (by user a)\n'
    );
    expect(new Date(old.timestamp * 1000).getMonth()).toBe(10);
    expect(cut).toMatchObject({
      type: 12,
      HoldReason: 'via condor_hold (by user a)'
    });
  });
});

describe('the tools run without a shell', () => {
  it('passes each argument as it is', async () => {
    const result = await execTool('/bin/echo', ['$(id)', '; ls', '`x`'], {
      env: process.env,
      timeoutMs: 10_000
    });
    expect(result).toEqual({ code: 0, stdout: '$(id) ; ls `x`\n', stderr: '' });
  });

  it('a backend with client "cli" and no tools says the pool cannot be reached', async () => {
    const backend = new HTCondorBackend(
      {
        id: 'pool',
        kind: 'htcondor',
        pool: '127.0.0.1:9',
        schedd: 'vm',
        client: 'cli',
        condorBin: '/nonexistent/condor/bin'
      },
      {
        logger: captureLogger().logger,
        update: () => undefined,
        finished: () => undefined,
        record: () => undefined,
        jobsDir: '/nonexistent/jobs'
      }
    );
    expect(backend.helper).toBeInstanceOf(CondorCli);
    await backend.reconcile([]);
    const info = backend.info();
    expect(info.available).toBe(false);
    expect(info.unavailableReason).toMatch(
      /^the pool cannot be reached: condor_q failed/
    );
    await backend.close();
  });
});
