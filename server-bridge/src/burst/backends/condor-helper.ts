/**
 * burst/htcondor: the client of the one long-lived helper process
 * (`mlinfn_lab/burst/condor_helper.py`) that talks to the schedd through the htcondor2
 * bindings. JSON lines over stdin/stdout, answered in order; the helper is started on first
 * use and again after it dies (never once per poll).
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { pythonFilesDir } from '../python-files';

/** How to start the helper. */
export interface ICondorHelperOptions {
  python: string;
  /** Extra environment (CONDOR_CONFIG, token dir, pool, schedd). */
  env: Record<string, string>;
  logger: Logger;
}

interface IPending {
  resolve(value: any): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** A failure the helper or the pool reported. */
export class CondorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CondorError';
  }
}

/** The helper client. */
export class CondorHelper {
  constructor(private readonly _options: ICondorHelperOptions) {}

  /** The helper's pid while it runs (tests). */
  get pid(): number | undefined {
    return this._child?.pid;
  }

  /** How many helper processes this client has started (one unless one died). */
  get starts(): number {
    return this._starts;
  }

  /**
   * One request; resolves with its `result`.
   *
   * @throws CondorError with the helper's message.
   */
  call<T = any>(
    op: string,
    args: Record<string, unknown> = {},
    timeoutMs = 60_000
  ): Promise<T> {
    if (this._closed) {
      return Promise.reject(new CondorError('the HTCondor helper is closed'));
    }
    const child = this._ensure();
    const id = ++this._nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(
          new CondorError(
            `the HTCondor helper did not answer ${op} in ${timeoutMs / 1000} s`
          )
        );
        // A helper stuck in a call blocks every later one: start a fresh one.
        this._kill();
      }, timeoutMs);
      this._pending.set(id, { resolve, reject, timer });
      child.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  async close(): Promise<void> {
    this._closed = true;
    this._kill();
  }

  private _ensure(): ChildProcess {
    if (this._child && this._child.exitCode === null && !this._child.killed) {
      return this._child;
    }
    const { python, env, logger } = this._options;
    const script = path.join(pythonFilesDir(), 'condor_helper.py');
    const child = spawn(python, ['-u', script], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    });
    this._starts++;
    this._child = child;
    child.on('error', err => {
      logger.warn({ err: String(err) }, 'HTCondor helper failed to start');
      this._failAll(`the HTCondor helper failed to start: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      if (!this._closed) {
        logger.warn({ code, signal }, 'HTCondor helper exited');
      }
      if (this._child === child) {
        this._child = undefined;
      }
      this._failAll('the HTCondor helper exited');
    });
    child.stdin!.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', line =>
      this._onLine(line)
    );
    createInterface({ input: child.stderr! }).on('line', line =>
      logger.debug({ helper: line.slice(0, 500) }, 'HTCondor helper stderr')
    );
    return child;
  }

  private _onLine(line: string): void {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const pending =
      msg.id !== undefined ? this._pending.get(msg.id) : undefined;
    if (!pending) {
      return;
    }
    this._pending.delete(msg.id!);
    clearTimeout(pending.timer);
    if (msg.ok) {
      pending.resolve(msg.result);
    } else {
      pending.reject(new CondorError(msg.error ?? 'the HTCondor call failed'));
    }
  }

  private _failAll(reason: string): void {
    for (const [id, pending] of this._pending) {
      clearTimeout(pending.timer);
      pending.reject(new CondorError(reason));
      this._pending.delete(id);
    }
  }

  private _kill(): void {
    const child = this._child;
    this._child = undefined;
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
    }
    this._failAll('the HTCondor helper was stopped');
  }

  private _child: ChildProcess | undefined;
  private _pending = new Map<number, IPending>();
  private _nextId = 0;
  private _starts = 0;
  private _closed = false;
}
