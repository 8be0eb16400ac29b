/**
 * burst/htcondor: a job event log (`log = job.log`) in HTCondor's text format, read without the
 * bindings (the CLI client). Each event is a header line `NNN (cluster.proc.subproc) date time
 * text`, body lines, and a `...` line; the events the backend needs become what the bindings
 * helper returns for them ({@link ICondorEvent}). Tested on a log recorded on the test pool.
 */
import type { ICondorEvent } from './condor-state';

const HEADER =
  /^(\d{3}) \((\d+)\.(\d+)\.\d+\) (\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})? /;
// The format before ISO dates (no year): `MM/DD HH:MM:SS`.
const OLD_HEADER =
  /^(\d{3}) \((\d+)\.(\d+)\.\d+\) (\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) /;

const NAMES: Record<number, string> = {
  0: 'SUBMIT',
  1: 'EXECUTE',
  5: 'JOB_TERMINATED',
  9: 'JOB_ABORTED',
  12: 'JOB_HELD',
  13: 'JOB_RELEASED'
};

/**
 * Seconds since the epoch of a header's date: local time of this machine unless the log says
 * its zone (HTCondor writes the schedd's local time by default).
 */
function when(parts: string[], zone: string | undefined): number {
  const [y, mo, d, h, mi, s] = parts.map(Number);
  if (zone) {
    const utc = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
    if (zone === 'Z') {
      return utc;
    }
    const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (Number(m[2]) * 60 + Number(m[3])) * 60;
    return m[1] === '+' ? utc - offset : utc + offset;
  }
  return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
}

/** The events of a log's text, in order (the kinds the backend reads; others as type only). */
export function parseEventLog(text: string): ICondorEvent[] {
  const events: ICondorEvent[] = [];
  let current: (ICondorEvent & { body: string[] }) | undefined;
  const finish = () => {
    if (current) {
      const { body, ...event } = current;
      readBody(event, body);
      events.push(event);
      current = undefined;
    }
  };
  for (const line of text.split('\n')) {
    if (line === '...') {
      finish();
      continue;
    }
    const iso = HEADER.exec(line);
    const old = iso ? undefined : OLD_HEADER.exec(line);
    if (iso || old) {
      finish();
      const m = (iso ?? old)!;
      const type = Number(m[1]);
      const date = iso
        ? when(m.slice(4, 10), m[10])
        : when([String(new Date().getFullYear()), ...m.slice(4, 9)], undefined);
      current = {
        type,
        cluster: Number(m[2]),
        proc: Number(m[3]),
        timestamp: date,
        body: []
      } as ICondorEvent & { body: string[] };
      if (NAMES[type]) {
        current.name = NAMES[type];
      }
      continue;
    }
    current?.body.push(line.trim());
  }
  finish(); // a log cut in the middle of an event (the job is still writing it)
  return events;
}

function readBody(event: ICondorEvent, body: string[]): void {
  const lines = body.filter(l => l !== '');
  switch (event.type) {
    case 5: {
      const normal = /^\(1\) Normal termination \(return value (-?\d+)\)/.exec(
        lines[0] ?? ''
      );
      if (normal) {
        event.TerminatedNormally = true;
        event.ReturnValue = Number(normal[1]);
      } else if (/^\(0\) Abnormal termination/.test(lines[0] ?? '')) {
        event.TerminatedNormally = false;
      }
      return;
    }
    case 12: {
      const code = lines.find(l => /^Code \d+ Subcode -?\d+$/.test(l));
      const reason = lines.find(l => l !== code);
      if (reason) {
        event.HoldReason = reason;
      }
      if (code) {
        event.HoldReasonCode = Number(/^Code (\d+)/.exec(code)![1]);
      }
      return;
    }
    case 9:
    case 13:
      if (lines[0]) {
        event.Reason = lines[0];
      }
      return;
    default:
      return;
  }
}
