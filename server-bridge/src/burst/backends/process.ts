/**
 * burst: jobs that are processes on this machine (the local runner, a Spark driver). Each is
 * started detached (its own process group, its output into the sandbox's log file), so it
 * outlives a bridge restart; its pid and start time are kept so that a later bridge re-attaches
 * to it, or reports it ended, without mistaking a recycled pid for it.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import type { IBackendContext, IJobRecord } from '../types';

/** A process to start, always as an argument array: nothing passes through a shell. */
export interface IProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat). */
export async function processStartTicks(
  pid: number
): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that was started is still the one with this pid. */
export async function stillRunning(
  pid: number,
  ticks: string | undefined
): Promise<boolean> {
  const now = await processStartTicks(pid);
  if (now === undefined) {
    return false;
  }
  // A zombie that is our child still counts as ended.
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) {
      return false;
    }
  } catch {
    return false;
  }
  return ticks === undefined || now === ticks;
}

/** Signal a job's whole process group (runner, kernel, driver JVM). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * The processes of one backend: start, watch (children by their exit, re-attached ones by
 * polling), cancel (SIGTERM, then SIGKILL after a grace period).
 */
export class ProcessJobs {
  constructor(
    private readonly _ctx: IBackendContext,
    private readonly _graceMs = 10_000
  ) {}

  /** Jobs running now (started and not yet seen to end). */
  get running(): number {
    return this._children.size + this._attached.size;
  }

  async start(record: IJobRecord, spec: IProcessSpec): Promise<number> {
    const log = await open(spec.logFile, 'a');
    let child: ChildProcess;
    let spawned: Promise<number>;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ['ignore', log.fd, log.fd]
      });
      // Listen before the next await: 'spawn' comes on a later tick.
      spawned = new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', reject);
      });
    } finally {
      await log.close();
    }
    const id = record.job.id;
    const pid = await spawned;
    this._children.set(id, child);
    child.once('exit', code => {
      this._children.delete(id);
      this._ended(id, code);
    });
    const ticks = await processStartTicks(pid);
    this._ctx.update(
      id,
      { state: 'running', startedAt: Date.now(), backendRef: `pid ${pid}` },
      { pid, ticks }
    );
    return pid;
  }

  /** Is this job's process ours, re-attached, or gone? Call for every unfinished job. */
  async check(record: IJobRecord): Promise<void> {
    const id = record.job.id;
    const pid = record.backendState.pid as number | undefined;
    if (pid === undefined || this._children.has(id)) {
      return;
    }
    if (
      await stillRunning(pid, record.backendState.ticks as string | undefined)
    ) {
      if (!this._attached.has(id)) {
        this._attached.add(id);
        this._ctx.logger.info(
          { job: id, pid },
          'burst: re-attached to a running job'
        );
      }
      return;
    }
    this._attached.delete(id);
    this._ended(id, undefined);
  }

  async cancel(record: IJobRecord): Promise<void> {
    const pid = record.backendState.pid as number | undefined;
    this._cancelled.add(record.job.id);
    if (pid === undefined) {
      this._ctx.finished(record.job.id, { cancelled: true });
      return;
    }
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (
        this._children.has(record.job.id) ||
        this._attached.has(record.job.id)
      ) {
        signalGroup(pid, 'SIGKILL');
      }
    }, this._graceMs);
    timer.unref();
  }

  /** Stop watching (the processes go on: a later bridge re-attaches). */
  close(): void {
    for (const child of this._children.values()) {
      child.removeAllListeners('exit');
      child.unref();
    }
    this._children.clear();
  }

  private _ended(id: string, exitCode: number | null | undefined): void {
    const cancelled = this._cancelled.delete(id);
    this._ctx.finished(id, { exitCode, cancelled, finishedAt: Date.now() });
  }

  private _children = new Map<string, ChildProcess>();
  private _attached = new Set<string>();
  private _cancelled = new Set<string>();
}
