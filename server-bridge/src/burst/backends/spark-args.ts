/**
 * burst/spark: the spark-submit command line of a job, as an argument array (no shell).
 *
 * Client mode for `local[*]` and `spark://` (a standalone master cannot run Python in cluster
 * mode: the driver, which is the runner, runs next to the bridge); cluster mode for `k8s://`
 * and `yarn` (the runner travels with `--files` and prints its result into the driver log,
 * which the site's log collection brings back: built and tested here, not exercised).
 */
import path from 'node:path';
import type {
  BurstResourceValues,
  BurstSparkBackendConfig
} from '../../schema-types';

/** What the command is built from. */
export interface ISparkJobSpec {
  jobId: string;
  sandbox: string;
  resources: BurstResourceValues;
  /** The driver UI's port (client mode). */
  uiPort?: number;
  /** spark.ui.proxyBase: the UI's path through jupyter-server-proxy. */
  proxyBase?: string;
}

/** The spark-submit invocation. */
export interface ISparkCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  deployMode: 'client' | 'cluster';
}

/** Which deploy mode a master gets. */
export function deployModeFor(
  config: BurstSparkBackendConfig
): 'client' | 'cluster' {
  const master = config.master;
  if (master.startsWith('local') || master.startsWith('spark://')) {
    return 'client';
  }
  return config.deployMode ?? 'cluster';
}

/** The spark-submit to run: the config's, else $SPARK_HOME's. */
export function sparkSubmitPath(
  config: BurstSparkBackendConfig,
  env: NodeJS.ProcessEnv = process.env
): string | undefined {
  if (config.sparkSubmit) {
    return config.sparkSubmit;
  }
  if (env.MLINFN_SPARK_SUBMIT) {
    return env.MLINFN_SPARK_SUBMIT;
  }
  if (env.SPARK_HOME) {
    return path.join(env.SPARK_HOME, 'bin', 'spark-submit');
  }
  return undefined;
}

/** Build the command. */
export function buildSparkSubmit(
  config: BurstSparkBackendConfig,
  spec: ISparkJobSpec,
  sparkSubmit: string,
  python: string
): ISparkCommand {
  const r = spec.resources;
  const mode = deployModeFor(config);
  const master = config.master;
  const conf = (key: string, value: string | number) => [
    '--conf',
    `${key}=${value}`
  ];
  const args: string[] = [
    '--master',
    master,
    '--deploy-mode',
    mode,
    '--name',
    `mlinfn-burst-${spec.jobId}`
  ];
  if (master.startsWith('local')) {
    args.push('--driver-memory', `${r.memoryMB}m`);
  } else if (master.startsWith('spark://')) {
    args.push('--total-executor-cores', String(r.cpus));
    args.push('--executor-memory', `${r.memoryMB}m`);
  } else if (master.startsWith('k8s://')) {
    args.push(...conf('spark.executor.instances', 1));
    args.push(...conf('spark.executor.cores', r.cpus));
    args.push('--executor-memory', `${r.memoryMB}m`);
    const image = r.image ?? config.image;
    if (image) {
      args.push(...conf('spark.kubernetes.container.image', image));
    }
    if (config.namespace) {
      args.push(...conf('spark.kubernetes.namespace', config.namespace));
    }
    args.push(...conf('spark.kubernetes.driverEnv.MLINFN_BURST', 1));
  } else if (master === 'yarn') {
    args.push('--num-executors', '1');
    args.push('--executor-cores', String(r.cpus));
    args.push('--executor-memory', `${r.memoryMB}m`);
  }
  if (r.gpus > 0 && !master.startsWith('local')) {
    args.push(...conf('spark.executor.resource.gpu.amount', r.gpus));
  }
  if (mode === 'client') {
    if (spec.uiPort) {
      args.push(...conf('spark.ui.port', spec.uiPort));
    }
    if (spec.proxyBase) {
      args.push(...conf('spark.ui.proxyBase', spec.proxyBase));
    }
  }
  args.push(...conf('spark.pyspark.python', python));
  if (mode === 'client') {
    args.push(...conf('spark.pyspark.driver.python', python));
  }
  for (const [key, value] of Object.entries(config.conf ?? {})) {
    args.push(...conf(key, value ?? ''));
  }
  const runner = path.join(spec.sandbox, 'runner.py');
  if (mode === 'cluster') {
    args.push('--files', path.join(spec.sandbox, 'bundle.json'));
    args.push(runner, '.', '--emit-result');
  } else {
    args.push(runner, spec.sandbox);
  }
  const env: Record<string, string> = {
    PYSPARK_PYTHON: python,
    PYSPARK_DRIVER_PYTHON: python,
    SPARK_HOME: path.dirname(path.dirname(sparkSubmit))
  };
  return { command: sparkSubmit, args, env, deployMode: mode };
}
