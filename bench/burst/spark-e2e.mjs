// `burst-spark-e2e`: a trivial cell on the Spark standalone master, end to end through the
// bridge (POST, spark-submit in client mode, the runner's kernel with its `spark` session,
// the result read back, the job `completed` with its outputs) against a raw spark-submit of
// the equivalent script (a SparkSession, the same cell, stop), timed from spawn to exit.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/jupyter.mjs';
import { fmt, median, sleep } from '../lib/proc.mjs';
import { startBridge, writeNotebook } from './bridge.mjs';
import { startRig } from './rigs.mjs';

const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CELL = 'print(spark.sparkContext.parallelize(range(1000)).sum())\n';

function rawSparkSubmit(env, script) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      env.MLINFN_SPARK_SUBMIT,
      [
        '--master',
        env.SPARK_MASTER,
        '--deploy-mode',
        'client',
        '--name',
        'mlinfn-bench-raw',
        '--total-executor-cores',
        '1',
        '--executor-memory',
        '512m',
        script
      ],
      {
        // The rig's environment (SPARK_LOCAL_IP...), as the bridge gets it.
        env: {
          ...process.env,
          ...env,
          PYSPARK_PYTHON: PYTHON,
          PYSPARK_DRIVER_PYTHON: PYTHON
        },
        stdio: ['ignore', 'pipe', 'pipe']
      }
    );
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.resume();
    child.on('exit', code => {
      const ms = performance.now() - t0;
      if (code !== 0 || !out.includes('499500')) {
        reject(
          new Error(`raw spark-submit failed (${code}): ${out.slice(-500)}`)
        );
      } else {
        resolve(ms);
      }
    });
  });
}

export async function sparkE2e({ smoke, log }) {
  const env = startRig('spark.sh', log);
  const bridge = await startBridge(
    {
      reconcileIntervalSeconds: 1,
      backends: [
        {
          id: 'spark',
          kind: 'spark',
          master: env.SPARK_MASTER,
          sparkSubmit: env.MLINFN_SPARK_SUBMIT,
          python: PYTHON,
          resources: { cpus: 1, memoryMB: 512 }
        }
      ]
    },
    env // the rig's environment (SPARK_LOCAL_IP...), as the raw spark-submit gets it
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-bench-spark-'));
  const script = path.join(dir, 'cell.py');
  writeFileSync(
    script,
    'from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n' +
      CELL +
      'spark.stop()\n'
  );
  writeNotebook(bridge.root, 'bench.ipynb', CELL);
  const request = {
    backend: 'spark',
    notebookPath: 'bench.ipynb',
    cellId: 'cell-1',
    code: CELL,
    resources: { cpus: 1, memoryMB: 512, walltimeMinutes: 10 },
    deliver: 'file'
  };
  const ours = async () => {
    const t0 = performance.now();
    const job = await bridge.call('POST', '/api/burst/jobs', request);
    for (;;) {
      const now = await bridge.call('GET', `/api/burst/jobs/${job.id}`);
      if (now.state === 'completed') {
        const ms = performance.now() - t0;
        if (now.outputs?.[0]?.text !== '499500\n') {
          throw new Error(`unexpected outputs ${JSON.stringify(now.outputs)}`);
        }
        return ms;
      }
      if (now.state === 'failed' || now.state === 'cancelled') {
        throw new Error(`the job ${now.state}: ${now.error}`);
      }
      await sleep(50);
    }
  };
  const theirs = () => rawSparkSubmit(env, script);
  await theirs(); // warm the JVM's file cache and the worker
  const rounds = smoke ? 1 : 5;
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
    `# burst-spark-e2e: bridge cell end to end median ${fmt(median(a))} ms (${a.map(x => fmt(x)).join(' ')})`
  );
  log(
    `# burst-spark-e2e: raw spark-submit median ${fmt(median(b))} ms (${b.map(x => fmt(x)).join(' ')})`
  );
  await bridge.stop();
  return { ratio };
}
