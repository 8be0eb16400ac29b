/**
 * burst/spark: jobs as Spark applications through spark-submit. In client mode the driver (the
 * runner, whose kernel gets a `spark` session on the driver's gateway) is a process here,
 * tracked like a local job; its log streams; cancel stops it (SIGTERM: the driver's shutdown
 * hook stops the application, which the master then lists as finished).
 */
import { open } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type {
  BurstBackendInfo,
  BurstSparkBackendConfig
} from '../../schema-types';
import { defaultPython } from '../python-files';
import { backendResources } from '../resources';
import {
  BackendUnavailable,
  IBackendContext,
  IBurstBackend,
  IJobRecord
} from '../types';
import { ProcessJobs } from './process';
import { buildSparkSubmit, deployModeFor, sparkSubmitPath } from './spark-args';
import { workerEnv } from './worker-env';

/** Where the Spark UI is reached from the browser. */
export interface ISparkUiOptions {
  /** The Jupyter base URL path (`/user/alice/`), when the bridge runs behind Jupyter. */
  basePath?: string;
}

const APP_ID = /\b(app-\d{14}-\d{4}|local-\d{10,})\b/;

/** A Spark backend. */
export class SparkBackend implements IBurstBackend {
  constructor(
    private readonly _config: BurstSparkBackendConfig,
    private readonly _ctx: IBackendContext,
    private readonly _ui: ISparkUiOptions = {}
  ) {
    this._procs = new ProcessJobs(_ctx);
  }

  get id(): string {
    return this._config.id;
  }

  info(): BurstBackendInfo {
    const submit = sparkSubmitPath(this._config);
    const info: BurstBackendInfo = {
      id: this._config.id,
      kind: 'spark',
      title: this._config.title ?? `Spark (${this._config.master})`,
      description: `Spark master ${this._config.master}, ${deployModeFor(this._config)} mode`,
      resources: backendResources(this._config),
      liveLogs: 'stream',
      available: submit !== undefined
    };
    if (this._config.masterWebUi) {
      info.sparkUiUrl = this._config.masterWebUi;
    }
    if (!submit) {
      info.unavailableReason = 'no spark-submit: set sparkSubmit or SPARK_HOME';
    }
    return info;
  }

  async submit(record: IJobRecord): Promise<void> {
    const submit = sparkSubmitPath(this._config);
    if (!submit) {
      throw new BackendUnavailable(
        'no spark-submit: set sparkSubmit or SPARK_HOME'
      );
    }
    const python =
      this._config.python ?? process.env.PYSPARK_PYTHON ?? defaultPython();
    const uiPort = await freePort();
    const proxied =
      this._config.uiProxy !== false && this._ui.basePath !== undefined;
    const proxyBase = proxied
      ? `${this._ui.basePath}proxy/${uiPort}`
      : undefined;
    const cmd = buildSparkSubmit(
      this._config,
      {
        jobId: record.job.id,
        sandbox: record.sandbox,
        resources: record.request.resources,
        uiPort,
        proxyBase
      },
      submit,
      python
    );
    const sparkUiUrl = proxied
      ? `proxy/${uiPort}/jobs/`
      : `http://127.0.0.1:${uiPort}/jobs/`;
    this._ctx.update(record.job.id, { sparkUiUrl }, { uiPort });
    await this._procs.start(record, {
      command: cmd.command,
      args: cmd.args,
      cwd: record.sandbox,
      env: { ...workerEnv(this._config.env), ...cmd.env },
      logFile: this.logPath(record)
    });
  }

  async cancel(record: IJobRecord): Promise<void> {
    await this._procs.cancel(record);
  }

  logPath(record: IJobRecord): string {
    return path.join(record.sandbox, 'log.txt');
  }

  async reconcile(records: IJobRecord[]): Promise<void> {
    for (const record of records) {
      if (record.backendState.pid !== undefined && !record.backendState.appId) {
        const appId = await this._findAppId(record);
        if (appId) {
          this._ctx.update(record.job.id, { backendRef: appId }, { appId });
        }
      }
      await this._procs.check(record);
    }
  }

  async close(): Promise<void> {
    this._procs.close();
  }

  /** The application id, from the driver's log ("Connected to Spark cluster with app ID ..."). */
  private async _findAppId(record: IJobRecord): Promise<string | undefined> {
    try {
      const file = await open(this.logPath(record), 'r');
      try {
        const buf = Buffer.alloc(256 * 1024);
        const { bytesRead } = await file.read(buf, 0, buf.length, 0);
        return APP_ID.exec(buf.subarray(0, bytesRead).toString('utf8'))?.[1];
      } finally {
        await file.close();
      }
    } catch {
      return undefined;
    }
  }

  private _procs: ProcessJobs;
}

/** A free TCP port on loopback for the driver's UI. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
