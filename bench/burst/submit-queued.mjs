// `burst-submit-queued`: the time from sending a cell to the HTCondor pool through the bridge
// (POST /api/burst/jobs: the bundle written, the job submitted and spooled by the bindings
// helper, the answer `queued`) against a plain htcondor2 bindings submit of the equivalent
// job (same description, spooled; the floor). Rounds alternate which goes first; every job is
// removed after its measurement, so the queue stays short.
import { spawn } from 'node:child_process';
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../lib/jupyter.mjs';
import { fmt, median, onCleanup } from '../lib/proc.mjs';
import { startBridge, writeNotebook } from './bridge.mjs';
import { startRig } from './rigs.mjs';

const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** The anchor: a long-lived Python with the bindings, answering one line per submit. */
function startAnchor(env) {
  const child = spawn(
    PYTHON,
    ['-u', path.join(ROOT, 'bench', 'burst', 'bindings_submit.py')],
    {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit']
    }
  );
  const stop = onCleanup(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', line => waiting.shift()?.(JSON.parse(line)));
  const ask = req =>
    new Promise(resolve => {
      waiting.push(resolve);
      child.stdin.write(JSON.stringify(req) + '\n');
    });
  return { ask, stop };
}

export async function submitQueued({ smoke, log }) {
  const env = startRig('htcondor.sh', log);
  const bridge = await startBridge({
    reconcileIntervalSeconds: 2,
    backends: [
      {
        id: 'pool',
        kind: 'htcondor',
        pool: env.CONDOR_POOL,
        schedd: env.CONDOR_SCHEDD_NAME,
        condorConfig: env.MLINFN_CONDOR_CONFIG,
        helperPython: PYTHON
      }
    ]
  });
  const anchor = startAnchor(env);
  const code = 'print(sum(range(10)))\n';
  writeNotebook(bridge.root, 'bench.ipynb', code);
  const request = {
    backend: 'pool',
    notebookPath: 'bench.ipynb',
    cellId: 'cell-1',
    code,
    resources: { cpus: 1, memoryMB: 256, walltimeMinutes: 5 },
    deliver: 'file'
  };
  const ours = async () => {
    const t0 = performance.now();
    const job = await bridge.call('POST', '/api/burst/jobs', request);
    const ms = performance.now() - t0;
    if (job.state !== 'queued') {
      throw new Error(`the job is ${job.state}, not queued`);
    }
    await bridge.call('POST', `/api/burst/jobs/${job.id}/cancel`, {});
    return ms;
  };
  let n = 0;
  const theirs = async () => {
    // The equivalent job by hand: its folder with runner.py and bundle.json, then the
    // bindings' submit and spool (timed from the folder on, as the bridge's POST is).
    const t0 = performance.now();
    const dir = path.join(bridge.dir, 'anchor', String(n++));
    mkdirSync(dir, { recursive: true });
    copyFileSync(
      path.join(ROOT, 'mlinfn_lab', 'burst', 'runner.py'),
      path.join(dir, 'runner.py')
    );
    writeFileSync(
      path.join(dir, 'bundle.json'),
      JSON.stringify({
        jobId: `anchor${n}`,
        cells: [{ id: 'cell-1', code, context: false }],
        spark: false,
        walltimeSeconds: 300,
        maxProducedBytes: 0
      })
    );
    const answer = await anchor.ask({ initialdir: dir, jobId: `anchor${n}` });
    const ms = performance.now() - t0;
    await anchor.ask({ remove: `ClusterId == ${answer.cluster}` });
    return ms;
  };
  // Warm both (the helper starts and locates the schedd on first use; the anchor has already).
  await ours();
  await theirs();
  const rounds = smoke ? 2 : 15;
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2) {
      a.push(await ours());
      b.push(await theirs());
    } else {
      b.push(await theirs());
      a.push(await ours());
    }
  }
  // Each round pairs one of ours with one anchor run back to back: the median of the rounds'
  // ratios resists the load swings of a shared machine better than a ratio of medians.
  const ratio = median(a.map((x, i) => x / b[i]));
  log(
    `# ratio of medians ${fmt(median(a) / median(b))}; ` +
      `round ratios ${a.map((x, i) => fmt(x / b[i])).join(' ')}`
  );
  log(
    `# burst-submit-queued: bridge POST→queued median ${fmt(median(a))} ms (${a.map(x => fmt(x)).join(' ')})`
  );
  log(
    `# burst-submit-queued: bindings submit+spool median ${fmt(median(b))} ms (${b.map(x => fmt(x)).join(' ')})`
  );
  await anchor.stop();
  await bridge.stop();
  return { ratio };
}
