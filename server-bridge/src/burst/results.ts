/**
 * burst: the runner's result.json read back, and what it means for the job.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  BurstJobState,
  BurstOutput,
  BurstProducedFile
} from '../schema-types';
import type { IJobEnd } from './types';

/** result.json as the runner writes it. */
export interface IRunnerResult {
  version: number;
  status: 'ok' | 'error' | 'context-error' | 'timeout' | 'runner-error';
  outputs?: BurstOutput[];
  executionCount?: number | null;
  error?: string | null;
  ename?: string;
  evalue?: string;
  produced?: BurstProducedFile[];
  producedSkipped?: number;
  finishedAt?: number;
}

/** Read a sandbox's result.json (undefined when missing or unreadable). */
export async function readResult(
  sandbox: string
): Promise<IRunnerResult | undefined> {
  try {
    const value = JSON.parse(
      await readFile(path.join(sandbox, 'result.json'), 'utf8')
    );
    return value &&
      typeof value === 'object' &&
      typeof value.status === 'string'
      ? (value as IRunnerResult)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The outputs as a notebook stores them: no `transient`, within the byte cap. */
export function cleanOutputs(
  outputs: BurstOutput[],
  maxBytes: number
): BurstOutput[] {
  const clean = outputs.map(o => {
    if (o.output_type === 'display_data' && 'transient' in o) {
      const copy = { ...o };
      delete copy.transient;
      return copy;
    }
    return o;
  });
  if (Buffer.byteLength(JSON.stringify(clean)) > maxBytes) {
    return [
      {
        output_type: 'error',
        ename: 'OutputTooLarge',
        evalue: `the cell's outputs are larger than ${maxBytes} bytes; see the job's log`,
        traceback: []
      }
    ];
  }
  return clean;
}

/** What a finished job becomes. */
export interface IOutcome {
  state: Extract<BurstJobState, 'completed' | 'failed' | 'cancelled'>;
  error?: string;
  hasOutputs: boolean;
}

/** The job's final state from how it ended and what the runner left. */
export function outcome(
  end: IJobEnd,
  result: IRunnerResult | undefined
): IOutcome {
  if (end.cancelled) {
    return {
      state: 'cancelled',
      hasOutputs: false,
      error: end.error || undefined
    };
  }
  if (result) {
    switch (result.status) {
      case 'ok':
        return { state: 'completed', hasOutputs: true };
      case 'error':
      case 'context-error':
        return {
          state: 'failed',
          hasOutputs: true,
          error: result.error ?? `${result.ename}: ${result.evalue}`
        };
      default:
        return {
          state: 'failed',
          hasOutputs: false,
          error:
            end.exitCode === undefined && result.status === 'runner-error'
              ? `${result.error ?? 'the runner failed'} (the job's process ended while the bridge was away)`
              : (result.error ?? 'the runner failed')
        };
    }
  }
  const code =
    end.exitCode === undefined
      ? "the job's process ended while the bridge was away"
      : end.exitCode === null
        ? 'killed by a signal'
        : `exit code ${end.exitCode}`;
  return {
    state: 'failed',
    hasOutputs: false,
    error: end.error ?? `the job ended without a result (${code}); see its log`
  };
}
