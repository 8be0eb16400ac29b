/**
 * burst/htcondor: the pool through HTCondor's command-line tools, for a site that has them
 * instead of the Python bindings (`client: "cli"`). The same operations and answers as the
 * bindings helper ({@link ICondorClient}), so the backend does not know which one it talks to.
 *
 * Every tool runs through execFile with an argument array: no shell ever sees a value. The
 * submit description goes to `condor_submit -spool -terse -` on stdin, as `key = value` lines
 * built from validated values only (condor-submit.ts refuses newlines, quotes where they do
 * not belong, and `$`). Constraints are built by the backend from checked ids.
 *
 * Output formats (recorded from HTCondor 23.9's tools, see test/burst/fixtures/cli/):
 * `condor_submit -terse` prints `41.0 - 41.0`; `condor_q -json` prints a JSON array, or
 * nothing at all for an empty answer; `condor_history -json` prints `[ ]` then; `condor_rm`
 * exits 0 with "... have been marked for removal", or 1 with "Couldn't find/remove all jobs
 * matching constraint ..." when nothing matched.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { CondorError } from './condor-helper';
import type { CondorOp, ICondorClient } from './condor-client';
import { parseEventLog } from './condor-log';
import type { JobAd } from './condor-state';
import { SubmitDescription, submitFileText } from './condor-submit';

/** What a tool printed and how it ended. */
export interface IToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one tool (the default uses execFile; tests replay recorded outputs). */
export type ToolRunner = (
  file: string,
  args: string[],
  options: {
    input?: string;
    cwd?: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
  }
) => Promise<IToolResult>;

/** How to reach the pool with the tools. */
export interface ICondorCliOptions {
  /** The folder holding the tools (default: found on PATH). */
  bin?: string;
  /** The collector, host[:port]. */
  pool: string;
  /** The schedd's Name (default: the first one the collector lists). */
  schedd?: string;
  /** Extra environment (CONDOR_CONFIG, token directory). */
  env: Record<string, string>;
  logger: Logger;
  run?: ToolRunner;
}

const ACT_TOOLS: Record<string, string> = {
  remove: 'condor_rm',
  hold: 'condor_hold',
  release: 'condor_release'
};

/** The default runner: execFile, argument array, output capped, killed on timeout. */
export const execTool: ToolRunner = (file, args, options) =>
  new Promise(resolve => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8'
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : -1) : 0,
          stdout: String(stdout ?? ''),
          stderr:
            String(stderr ?? '') ||
            (e && typeof e.code !== 'number' ? e.message : '')
        });
      }
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });

/** The CLI client. */
export class CondorCli implements ICondorClient {
  constructor(private readonly _options: ICondorCliOptions) {
    this._run = _options.run ?? execTool;
  }

  async call<T = any>(
    op: CondorOp,
    args: Record<string, unknown> = {},
    timeoutMs = 60_000
  ): Promise<T> {
    switch (op) {
      case 'submit':
        return (await this._submit(
          args.description as SubmitDescription,
          timeoutMs
        )) as T;
      case 'query':
        return {
          ads: await this._ads('condor_q', args, ['-allusers'], timeoutMs)
        } as T;
      case 'history':
        return {
          ads: await this._ads(
            'condor_history',
            args,
            ['-match', String(Number(args.match ?? 100))],
            timeoutMs
          )
        } as T;
      case 'act':
        return (await this._act(args, timeoutMs)) as T;
      case 'retrieve':
        await this._tool(
          'condor_transfer_data',
          ['-constraint', String(args.constraint), ...(await this._target())],
          { timeoutMs }
        );
        return {} as T;
      case 'events':
        return { events: await this._events(String(args.path)) } as T;
      case 'locate':
        return { schedd: await this._scheddName() } as T;
      case 'ping':
        return {} as T;
      default:
        throw new CondorError(`no HTCondor operation ${String(op)}`);
    }
  }

  async close(): Promise<void> {
    // Nothing runs between calls.
  }

  private async _submit(
    description: SubmitDescription,
    timeoutMs: number
  ): Promise<{ cluster: number; schedd: string }> {
    const target = await this._target();
    // `-spool`: the input files go to the schedd and the job is released once they are there
    // (what the bindings' submit(spool=True) and spool() do in two calls).
    const out = await this._tool(
      'condor_submit',
      ['-spool', '-terse', ...target, '-'],
      {
        input: submitFileText(description),
        cwd: description.initialdir,
        timeoutMs
      }
    );
    const m = /^(\d+)\.\d+ - \d+\.\d+\s*$/m.exec(out);
    if (!m) {
      throw new CondorError(
        `condor_submit gave no job id: ${out.trim().slice(0, 500)}`
      );
    }
    return { cluster: Number(m[1]), schedd: await this._scheddName() };
  }

  private async _ads(
    tool: 'condor_q' | 'condor_history',
    args: Record<string, unknown>,
    extra: string[],
    timeoutMs: number
  ): Promise<JobAd[]> {
    const projection = (args.projection as string[] | undefined) ?? [];
    const out = await this._tool(
      tool,
      [
        '-json',
        ...extra,
        ...(projection.length ? ['-attributes', projection.join(',')] : []),
        '-constraint',
        String(args.constraint ?? 'true'),
        ...(await this._target())
      ],
      { timeoutMs }
    );
    return parseJsonAds(out, tool);
  }

  private async _act(
    args: Record<string, unknown>,
    timeoutMs: number
  ): Promise<{ result: JobAd | null }> {
    const tool = ACT_TOOLS[String(args.action)];
    if (!tool) {
      throw new CondorError(`no job action ${String(args.action)}`);
    }
    const reason =
      args.reason && tool !== 'condor_release'
        ? ['-reason', String(args.reason)]
        : [];
    const result = await this._exec(
      tool,
      [
        ...reason,
        '-constraint',
        String(args.constraint),
        ...(await this._target())
      ],
      { timeoutMs }
    );
    if (result.code === 0) {
      // The tools do not count; the constraint names one job by its id.
      return { result: { TotalSuccess: 1 } };
    }
    if (
      /Couldn't find\/\w+ all jobs matching/.test(result.stdout + result.stderr)
    ) {
      return { result: { TotalSuccess: 0 } };
    }
    throw toolError(tool, result);
  }

  private async _events(file: string): Promise<unknown[]> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return [];
    }
    return parseEventLog(text);
  }

  /** `-name <schedd> -pool <collector>`. */
  private async _target(): Promise<string[]> {
    return ['-name', await this._scheddName(), '-pool', this._options.pool];
  }

  /** The configured schedd, or the first one the collector lists (asked once). */
  private _scheddName(): Promise<string> {
    if (this._options.schedd) {
      return Promise.resolve(this._options.schedd);
    }
    this._located ??= this._tool(
      'condor_status',
      ['-schedd', '-pool', this._options.pool, '-af', 'Name'],
      { timeoutMs: 60_000 }
    ).then(out => {
      const name = out.split('\n').find(l => l.trim() !== '');
      if (!name) {
        throw new CondorError(`no schedd in the pool ${this._options.pool}`);
      }
      return name.trim();
    });
    this._located.catch(() => (this._located = undefined));
    return this._located;
  }

  /** Run a tool; its stdout when it exits 0, else a CondorError with what it said. */
  private async _tool(
    tool: string,
    args: string[],
    options: { input?: string; cwd?: string; timeoutMs: number }
  ): Promise<string> {
    const result = await this._exec(tool, args, options);
    if (result.code !== 0) {
      throw toolError(tool, result);
    }
    return result.stdout;
  }

  private _exec(
    tool: string,
    args: string[],
    options: { input?: string; cwd?: string; timeoutMs: number }
  ): Promise<IToolResult> {
    const file = this._options.bin ? path.join(this._options.bin, tool) : tool;
    this._options.logger.debug({ tool, args }, 'HTCondor tool');
    return this._run(file, args, {
      ...options,
      env: { ...process.env, ...this._options.env }
    });
  }

  private _run: ToolRunner;
  private _located: Promise<string> | undefined;
}

/** `condor_q -json` / `condor_history -json` output as ads (nothing at all is none). */
export function parseJsonAds(out: string, tool = 'the tool'): JobAd[] {
  if (out.trim() === '') {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    throw new CondorError(`${tool} printed something that is not JSON`);
  }
  if (!Array.isArray(parsed)) {
    throw new CondorError(`${tool} printed JSON that is not a list of ads`);
  }
  return parsed.filter(
    (ad): ad is JobAd => typeof ad === 'object' && ad !== null
  );
}

function toolError(tool: string, result: IToolResult): CondorError {
  const said = (result.stderr.trim() || result.stdout.trim()).slice(-1000);
  return new CondorError(
    `${tool} failed (exit ${result.code})${said ? `: ${said}` : ''}`
  );
}
