/**
 * burst/htcondor: what a job ad (from the queue or the history) or a job event log says about
 * a job, in the module's states. Pure functions, tested on recorded ads and event logs.
 */
import type { BurstJobState } from '../../schema-types';

/** The attributes the backend asks the schedd for. */
export const AD_PROJECTION = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'HoldReason',
  'HoldReasonCode',
  'HoldReasonSubCode',
  'ExitCode',
  'ExitBySignal',
  'ExitSignal',
  'RemoveReason',
  'JobStartDate',
  'JobCurrentStartDate',
  'CompletionDate',
  'EnteredCurrentStatus',
  'Iwd',
  'SUBMIT_Iwd',
  'MlinfnJobId',
  'MlinfnBackend',
  'MlinfnNotebookPath',
  'MlinfnCellId',
  'MlinfnUser'
];

/** A job ad as the helper returns it (ClassAd values as JSON). */
export type JobAd = Record<string, unknown>;

/** What the ad means for the job. */
export interface ICondorView {
  /** `done`: finished on the pool; the output sandbox is to be retrieved (or was). */
  state: BurstJobState | 'done';
  holdReason?: string;
  holdReasonCode?: number;
  /** Cancelled: why, when the pool says (RemoveReason). */
  reason?: string;
  exitCode?: number | null;
  startedAt?: number;
  finishedAt?: number;
}

/** HTCondor's JobStatus values. */
export const JOB_STATUS = {
  idle: 1,
  running: 2,
  removed: 3,
  completed: 4,
  held: 5,
  transferringOutput: 6,
  suspended: 7
} as const;

/** Hold code 16: a spooled job waits for its input sandbox; the bridge is uploading it. */
const SPOOLING_HOLD = 16;

const seconds = (v: unknown): number | undefined =>
  typeof v === 'number' && v > 0 ? v * 1000 : undefined;

/** The state a job ad says. */
export function stateFromAd(ad: JobAd): ICondorView {
  const status = ad.JobStatus;
  const startedAt = seconds(ad.JobStartDate);
  switch (status) {
    case JOB_STATUS.idle:
      return { state: 'queued' };
    case JOB_STATUS.running:
    case JOB_STATUS.transferringOutput:
    case JOB_STATUS.suspended:
      return { state: 'running', startedAt };
    case JOB_STATUS.held: {
      const code =
        typeof ad.HoldReasonCode === 'number' ? ad.HoldReasonCode : undefined;
      if (code === SPOOLING_HOLD) {
        return { state: 'queued' };
      }
      const reason =
        typeof ad.HoldReason === 'string' && ad.HoldReason
          ? ad.HoldReason
          : 'held by the pool (no reason given)';
      return {
        state: 'held',
        holdReason: reason,
        holdReasonCode: code,
        startedAt
      };
    }
    case JOB_STATUS.removed:
      return {
        state: 'cancelled',
        reason:
          typeof ad.RemoveReason === 'string' ? ad.RemoveReason : undefined,
        startedAt,
        finishedAt: seconds(ad.EnteredCurrentStatus)
      };
    case JOB_STATUS.completed:
      return {
        state: 'done',
        exitCode:
          ad.ExitBySignal === true
            ? null
            : typeof ad.ExitCode === 'number'
              ? ad.ExitCode
              : null,
        startedAt,
        finishedAt:
          seconds(ad.CompletionDate) ?? seconds(ad.EnteredCurrentStatus)
      };
    default:
      return { state: 'queued' };
  }
}

/** One event of a job event log, as the helper reads it. */
export interface ICondorEvent {
  type: number;
  name?: string;
  cluster?: number;
  proc?: number;
  timestamp: number;
  HoldReason?: string;
  HoldReasonCode?: number;
  ReturnValue?: number;
  TerminatedNormally?: boolean;
  Reason?: string;
}

/** Event type numbers (ULogEventNumber). */
export const EVENT = {
  submit: 0,
  execute: 1,
  terminated: 5,
  aborted: 9,
  held: 12,
  released: 13
} as const;

/** The state the job event log ends in, with start and end times. */
export function stateFromEvents(
  events: ICondorEvent[]
): ICondorView | undefined {
  let view: ICondorView | undefined;
  let startedAt: number | undefined;
  for (const e of events) {
    const at = e.timestamp * 1000;
    switch (e.type) {
      case EVENT.submit:
        view = { state: 'queued' };
        break;
      case EVENT.execute:
        startedAt ??= at;
        view = { state: 'running', startedAt };
        break;
      case EVENT.held:
        if (e.HoldReasonCode === SPOOLING_HOLD) {
          break;
        }
        view = {
          state: 'held',
          holdReason: e.HoldReason ?? 'held by the pool (no reason given)',
          holdReasonCode: e.HoldReasonCode,
          startedAt
        };
        break;
      case EVENT.released:
        view = { state: 'queued', startedAt };
        break;
      case EVENT.aborted:
        view = {
          state: 'cancelled',
          reason: e.Reason,
          startedAt,
          finishedAt: at
        };
        break;
      case EVENT.terminated:
        view = {
          state: 'done',
          exitCode:
            e.TerminatedNormally === false ? null : (e.ReturnValue ?? null),
          startedAt,
          finishedAt: at
        };
        break;
      default:
        break;
    }
  }
  return view;
}
