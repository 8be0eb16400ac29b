/**
 * burst/htcondor: the submit description of a job, built from validated values only.
 *
 * What a user typed never reaches the description as written: resources are integers checked
 * here again, the container image must match a strict pattern, ids match `[A-Za-z0-9_.-]`, and
 * the notebook path and user name are percent-encoded (only `[A-Za-z0-9._/-]` stays as is),
 * so no newline, quote, `$(macro)` or `$$()` can appear. File names are fixed (the inputs
 * travel as the `inputs` folder). Any value that fails a check throws: the job is not submitted.
 */
import type { BurstResourceValues } from '../../schema-types';
import type { BurstHTCondorBackendConfig } from '../../schema-types';

/** One submit command per key, in the order written. */
export type SubmitDescription = Record<string, string>;

/** What the description is built from. */
export interface ICondorJobSpec {
  jobId: string;
  backendId: string;
  notebookPath: string;
  cellId: string;
  user: string;
  /** Absolute folder on this machine: the bundle in, the output sandbox back (initialdir). */
  sandbox: string;
  resources: BurstResourceValues;
  /** The bundle carries input files (the `inputs` folder). */
  hasInputs: boolean;
}

/** A value that cannot go into a submit description. */
export class SubmitValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubmitValueError';
  }
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const JOB_ID = /^[a-z0-9]{8,40}$/;
const IMAGE =
  /^(?:[a-z][a-z0-9+.-]{0,15}:\/\/)?[A-Za-z0-9/][A-Za-z0-9._/:@+-]{0,511}$/;
const ABSOLUTE = /^\/[A-Za-z0-9._/+@-]{0,4095}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// No control characters, quotes or `$`: what is left is safe inside '...' in `environment`.
// eslint-disable-next-line no-control-regex
const ENV_VALUE = /^[^\x00-\x1f\x7f"'$]{0,4096}$/;
// eslint-disable-next-line no-control-regex
const REQUIREMENTS = /^[^\x00-\x1f\x7f$]{1,2000}$/;

/** Percent-encode everything but `[A-Za-z0-9._/-]` (UTF-8 bytes). */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9._/-]/.test(ch)
      ? ch
      : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The inverse of {@link percentEncode}. */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function check(re: RegExp, value: string, what: string): string {
  if (typeof value !== 'string' || !re.test(value)) {
    throw new SubmitValueError(`${what} cannot go into a submit description`);
  }
  return value;
}

function int(value: number, min: number, max: number, what: string): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SubmitValueError(
      `${what} must be an integer in [${min}, ${max}]`
    );
  }
  return String(value);
}

/** A ClassAd string literal of an already-safe value (no quote or backslash can be in it). */
function adString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/["\\\x00-\x1f\x7f$]/.test(value)) {
    throw new SubmitValueError('a ClassAd string would need escaping');
  }
  return `"${value}"`;
}

/**
 * The submit description (a dict for `htcondor2.Submit`, sent to the helper).
 *
 * @throws SubmitValueError when any value fails its check.
 */
export function buildSubmitDescription(
  spec: ICondorJobSpec,
  config: BurstHTCondorBackendConfig
): SubmitDescription {
  const jobId = check(JOB_ID, spec.jobId, 'the job id');
  const backendId = check(ID, spec.backendId, 'the backend id');
  const cellId = check(/^[a-zA-Z0-9_-]{1,64}$/, spec.cellId, 'the cell id');
  const sandbox = check(ABSOLUTE, spec.sandbox, 'the sandbox folder');
  const python = check(
    ABSOLUTE,
    config.workerPython ?? '/usr/bin/python3',
    'workerPython'
  );
  const r = spec.resources;
  const d: SubmitDescription = {};
  const universe = config.universe ?? 'vanilla';
  d.universe = universe;
  if (universe === 'container') {
    if (!r.image) {
      throw new SubmitValueError(
        'the container universe needs an image (resources.image)'
      );
    }
    d.container_image = check(IMAGE, r.image, 'resources.image');
  } else if (r.image) {
    throw new SubmitValueError(
      'resources.image needs a backend with universe = container'
    );
  }
  d.executable = python;
  d.transfer_executable = 'false';
  d.arguments = 'runner.py';
  d.initialdir = sandbox;
  d.should_transfer_files = 'YES';
  d.when_to_transfer_output = 'ON_EXIT';
  d.transfer_input_files = spec.hasInputs
    ? 'runner.py,bundle.json,inputs'
    : 'runner.py,bundle.json';
  d.transfer_output_files = 'result.json,produced';
  d.output = 'job.out';
  d.error = 'job.err';
  d.log = 'job.log';
  if ((config.liveLogs ?? 'at-completion') === 'stream') {
    d.stream_output = 'true';
    d.stream_error = 'true';
  }
  d.request_cpus = int(r.cpus, 1, 4096, 'resources.cpus');
  d.request_memory = int(r.memoryMB, 16, 16777216, 'resources.memoryMB');
  if (r.gpus > 0) {
    d.request_gpus = int(r.gpus, 1, 64, 'resources.gpus');
  }
  // Walltime: the pool holds the job when it runs longer (the runner also stops the cell).
  d.allowed_execute_duration = String(
    Number(int(r.walltimeMinutes, 1, 525600, 'resources.walltimeMinutes')) * 60
  );
  if (config.requirements) {
    d.requirements = check(REQUIREMENTS, config.requirements, 'requirements');
  }
  if (config.accountingGroup) {
    d.accounting_group = check(
      /^[A-Za-z0-9_.@-]{1,200}$/,
      config.accountingGroup,
      'accountingGroup'
    );
  }
  const env = Object.entries(config.env ?? {}).map(
    ([k, v]) =>
      `${check(ENV_NAME, k, 'an env name')}='${check(ENV_VALUE, v ?? '', `env ${k}`)}'`
  );
  env.push('MLINFN_BURST=1');
  d.environment = `"${env.join(' ')}"`;
  d.JobBatchName = adString(`mlinfn-burst-${jobId}`);
  d['My.MlinfnJobId'] = adString(jobId);
  d['My.MlinfnBackend'] = adString(backendId);
  d['My.MlinfnCellId'] = adString(cellId);
  d['My.MlinfnNotebookPath'] = adString(percentEncode(spec.notebookPath));
  d['My.MlinfnUser'] = adString(percentEncode(spec.user));
  for (const [key, value] of Object.entries(d)) {
    // The last line of defence: nothing multi-line and no macro reaches the schedd.
    // eslint-disable-next-line no-control-regex
    if (/[\r\n\x00]/.test(value) || /\$/.test(value)) {
      throw new SubmitValueError(`${key} would carry a newline or a macro`);
    }
  }
  return d;
}

/** The description as submit-file text (`key = value` lines, then `queue`), for the CLI path and tests. */
export function submitFileText(d: SubmitDescription): string {
  return (
    Object.entries(d)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\nqueue\n'
  );
}
