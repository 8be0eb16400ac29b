/**
 * Jobs in words: states, durations, where a job came from.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { BurstJob } from '@mlinfn/common';
import { formatDuration } from './models/validation';

/**
 * A job's state in words ("Queued", "Running", …).
 */
export function stateLabel(
  state: BurstJob['state'],
  trans: TranslationBundle
): string {
  switch (state) {
    case 'queued':
      return trans.__('Queued');
    case 'running':
      return trans.__('Running');
    case 'held':
      return trans.__('Held');
    case 'completed':
      return trans.__('Completed');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
  }
}

/**
 * How long a job has run (or waited, while queued), at `now`.
 */
export function jobDuration(job: BurstJob, now: number): number {
  const from = job.startedAt ?? job.createdAt;
  const to = job.finishedAt ?? now;
  return Math.max(0, (to - from) / 1000);
}

/**
 * A job's duration in words: "12 s", "3 min 5 s".
 */
export function durationLabel(job: BurstJob, now: number): string {
  return formatDuration(jobDuration(job, now));
}

/**
 * The notebook's file name.
 */
export function notebookName(path: string): string {
  return path.split('/').pop() ?? path;
}

/**
 * What the job's state means for the researcher, in one or two sentences: the hold reason,
 * the error, where the outputs went. `null` when the state says it all.
 */
export function jobExplanation(
  job: BurstJob,
  trans: TranslationBundle
): string | null {
  switch (job.state) {
    case 'queued':
      return trans.__(
        'Waiting for %1 to start it.',
        job.backendTitle ?? job.backend
      );
    case 'held':
      return job.holdReason
        ? trans.__(
            'The backend holds the job: %1 It waits until someone releases it on the pool; cancel it here to give up.',
            sentence(job.holdReason)
          )
        : trans.__(
            'The backend holds the job. It waits until someone releases it on the pool; cancel it here to give up.'
          );
    case 'failed':
      if (job.hasOutputs) {
        return trans.__(
          'The cell raised %1. Its traceback is in the cell.',
          job.error ?? trans.__('an error')
        );
      }
      return job.error
        ? trans.__('The job failed: %1', job.error)
        : trans.__('The job failed without outputs; its log may say why.');
    case 'cancelled':
      return trans.__('The job was cancelled.');
    case 'completed':
      return deliveryExplanation(job, trans);
    default:
      return null;
  }
}

/**
 * Where a finished job's outputs went.
 */
export function deliveryExplanation(
  job: BurstJob,
  trans: TranslationBundle
): string | null {
  switch (job.delivery) {
    case 'pending':
      return trans.__('The outputs are on their way to the cell.');
    case 'frontend':
      return trans.__('The outputs are in the cell of the open notebook.');
    case 'room':
      return trans.__('The outputs are in the cell of the shared notebook.');
    case 'file':
      return trans.__('The outputs were written into the notebook file.');
    case 'failed':
      return trans.__(
        'The outputs could not be put in the notebook: %1',
        job.deliveryError ?? trans.__('unknown reason')
      );
    default:
      return null;
  }
}

/**
 * Text from a backend as a sentence: trimmed, ending with a full stop.
 */
export function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * Whether the log arrives live or at the end, in words.
 */
export function logModeLabel(
  job: Pick<BurstJob, 'liveLogs'>,
  trans: TranslationBundle
): string {
  return job.liveLogs === 'at-completion'
    ? trans.__('Log arrives when the job ends')
    : trans.__('Live log');
}
