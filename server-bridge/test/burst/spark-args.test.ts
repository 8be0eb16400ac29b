/**
 * burst/spark: spark-submit command lines for local, standalone (client mode: exercised against
 * the real rig by tests/test_burst_backends.py), k8s and yarn (cluster mode: not exercisable
 * here, so checked against Spark's documented options).
 */
import {
  buildSparkSubmit,
  deployModeFor,
  sparkSubmitPath
} from '../../src/burst/backends/spark-args';
import type { BurstSparkBackendConfig } from '../../src/schema-types';

const SUBMIT = '/opt/spark/bin/spark-submit';
const PY = '/opt/conda/bin/python';
const resources = { cpus: 4, memoryMB: 8192, gpus: 0, walltimeMinutes: 60 };
const spec = {
  jobId: 'abcdef0123456789',
  sandbox: '/state/burst/jobs/abcdef0123456789',
  resources,
  uiPort: 4711,
  proxyBase: '/user/alice/proxy/4711'
};
const cfg = (
  master: string,
  extra: Partial<BurstSparkBackendConfig> = {}
): BurstSparkBackendConfig => ({
  id: 's',
  kind: 'spark',
  master,
  ...extra
});

/** `--conf` values as a map. */
function confs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  args.forEach((a, i) => {
    if (a === '--conf') {
      const [k, ...v] = args[i + 1].split('=');
      out[k] = v.join('=');
    }
  });
  return out;
}

describe('spark-submit arguments', () => {
  it('local[*]: client mode, driver memory, the UI through the proxy, the runner last', () => {
    const cmd = buildSparkSubmit(cfg('local[*]'), spec, SUBMIT, PY);
    expect(cmd.command).toBe(SUBMIT);
    expect(cmd.deployMode).toBe('client');
    expect(cmd.args.slice(0, 6)).toEqual([
      '--master',
      'local[*]',
      '--deploy-mode',
      'client',
      '--name',
      'mlinfn-burst-abcdef0123456789'
    ]);
    expect(cmd.args).toContain('--driver-memory');
    expect(cmd.args[cmd.args.indexOf('--driver-memory') + 1]).toBe('8192m');
    expect(confs(cmd.args)).toMatchObject({
      'spark.ui.port': '4711',
      'spark.ui.proxyBase': '/user/alice/proxy/4711',
      'spark.pyspark.python': PY,
      'spark.pyspark.driver.python': PY
    });
    expect(cmd.args.slice(-2)).toEqual([
      `${spec.sandbox}/runner.py`,
      spec.sandbox
    ]);
    expect(cmd.env).toEqual({
      PYSPARK_PYTHON: PY,
      PYSPARK_DRIVER_PYTHON: PY,
      SPARK_HOME: '/opt/spark'
    });
  });

  it('spark:// standalone: client mode (no Python in cluster mode), executor cores and memory', () => {
    const cmd = buildSparkSubmit(
      cfg('spark://m:7077', { deployMode: 'cluster' }),
      spec,
      SUBMIT,
      PY
    );
    expect(cmd.deployMode).toBe('client');
    const at = (flag: string) => cmd.args[cmd.args.indexOf(flag) + 1];
    expect(at('--total-executor-cores')).toBe('4');
    expect(at('--executor-memory')).toBe('8192m');
    expect(cmd.args).not.toContain('--driver-memory');
  });

  it('k8s://: cluster mode, the image, namespace, the bundle as --files, result in the log', () => {
    const cmd = buildSparkSubmit(
      cfg('k8s://https://k8s.example.org:6443', {
        image: 'harbor.example.org/spark/py:4.0',
        namespace: 'ml-jobs'
      }),
      { ...spec, resources: { ...resources, gpus: 1 } },
      SUBMIT,
      PY
    );
    expect(cmd.deployMode).toBe('cluster');
    expect(cmd.args.slice(0, 4)).toEqual([
      '--master',
      'k8s://https://k8s.example.org:6443',
      '--deploy-mode',
      'cluster'
    ]);
    expect(confs(cmd.args)).toMatchObject({
      'spark.kubernetes.container.image': 'harbor.example.org/spark/py:4.0',
      'spark.kubernetes.namespace': 'ml-jobs',
      'spark.executor.instances': '1',
      'spark.executor.cores': '4',
      'spark.executor.resource.gpu.amount': '1'
    });
    // The UI of a remote driver is not ours to proxy.
    expect(confs(cmd.args)['spark.ui.port']).toBeUndefined();
    expect(cmd.args[cmd.args.indexOf('--files') + 1]).toBe(
      `${spec.sandbox}/bundle.json`
    );
    expect(cmd.args.slice(-3)).toEqual([
      `${spec.sandbox}/runner.py`,
      '.',
      '--emit-result'
    ]);
  });

  it('a form image overrides the backend image on k8s', () => {
    const cmd = buildSparkSubmit(
      cfg('k8s://https://k8s:6443', { image: 'a/b:1' }),
      { ...spec, resources: { ...resources, image: 'c/d:2' } },
      SUBMIT,
      PY
    );
    expect(confs(cmd.args)['spark.kubernetes.container.image']).toBe('c/d:2');
  });

  it('yarn: cluster mode with executors', () => {
    const cmd = buildSparkSubmit(cfg('yarn'), spec, SUBMIT, PY);
    expect(cmd.deployMode).toBe('cluster');
    const at = (flag: string) => cmd.args[cmd.args.indexOf(flag) + 1];
    expect(at('--num-executors')).toBe('1');
    expect(at('--executor-cores')).toBe('4');
    expect(at('--executor-memory')).toBe('8192m');
    expect(cmd.args.slice(-1)).toEqual(['--emit-result']);
  });

  it('yarn in client mode when the site asks for it', () => {
    expect(deployModeFor(cfg('yarn', { deployMode: 'client' }))).toBe('client');
  });

  it('site --conf pairs pass as single arguments (no shell ever splits them)', () => {
    const cmd = buildSparkSubmit(
      cfg('local[2]', {
        conf: { 'spark.driver.extraJavaOptions': '-Dx=1 -Dy="a b"; rm -rf /' }
      }),
      spec,
      SUBMIT,
      PY
    );
    expect(cmd.args).toContain(
      'spark.driver.extraJavaOptions=-Dx=1 -Dy="a b"; rm -rf /'
    );
  });

  it('finds spark-submit in the config, MLINFN_SPARK_SUBMIT or SPARK_HOME', () => {
    expect(
      sparkSubmitPath(cfg('local', { sparkSubmit: '/a/bin/spark-submit' }), {})
    ).toBe('/a/bin/spark-submit');
    expect(
      sparkSubmitPath(cfg('local'), { MLINFN_SPARK_SUBMIT: '/b/spark-submit' })
    ).toBe('/b/spark-submit');
    expect(sparkSubmitPath(cfg('local'), { SPARK_HOME: '/c' })).toBe(
      '/c/bin/spark-submit'
    );
    expect(sparkSubmitPath(cfg('local'), {})).toBeUndefined();
  });
});
