/**
 * Checks of what the researcher typed in the "Run cell on…" form, before anything is sent.
 *
 * The bridge validates every field again (and quotes what reaches a submit file); these checks
 * exist so that a bad value is refused where it was typed, with a sentence saying why.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import type {
  BurstResourceLimits,
  BurstResources,
  BurstResourceSupport
} from '@mlinfn/common';

/**
 * The resources as typed: every field is the text of its input.
 */
export interface IResourceDraft {
  cpus: string;
  memory: string;
  gpus: string;
  walltime: string;
  image: string;
}

/**
 * The resources once checked, as `POST /api/burst/jobs` takes them.
 */
export type IResources = BurstResources;

/**
 * What a backend accepts (`GET /api/burst/backends`): its maxima and which fields it honours.
 */
export interface IResourceLimits {
  limits: BurstResourceLimits;
  supports: BurstResourceSupport;
}

/**
 * The limits used when a backend says nothing narrower (the request schema's maxima).
 */
export const DEFAULT_LIMITS: Readonly<IResourceLimits> = Object.freeze({
  limits: Object.freeze({
    cpus: 4096,
    memoryMB: 16777216,
    gpus: 64,
    walltimeMinutes: 525600
  }),
  supports: Object.freeze({
    cpus: true,
    memoryMB: true,
    gpus: true,
    walltimeMinutes: true,
    image: true
  })
});

/**
 * The result of a check: the values, or one sentence per bad field.
 */
export type ResourceCheck =
  | { ok: true; value: IResources }
  | { ok: false; errors: Partial<Record<keyof IResourceDraft, string>> };

/**
 * Check the typed resources against a backend's limits.
 *
 * @param draft - The text of each field.
 * @param limits - What the chosen backend accepts.
 * @param trans - The translation bundle for the messages.
 */
export function checkResources(
  draft: IResourceDraft,
  backend: IResourceLimits = DEFAULT_LIMITS,
  trans: TranslationBundle = nullTranslator.load('mlinfn')
): ResourceCheck {
  const { limits, supports } = backend;
  const errors: Partial<Record<keyof IResourceDraft, string>> = {};
  const value: IResources = {};

  if (supports.cpus) {
    const cpus = parseCount(draft.cpus);
    if (cpus === null || cpus < 1 || cpus > limits.cpus) {
      errors.cpus = trans.__(
        'CPUs must be a whole number from 1 to %1.',
        limits.cpus
      );
    } else {
      value.cpus = cpus;
    }
  }

  if (supports.memoryMB) {
    const memoryMB = parseMemory(draft.memory);
    if (memoryMB === null || memoryMB < 16 || memoryMB > limits.memoryMB) {
      errors.memory = trans.__(
        'Memory must be an amount such as "4 GB" or "512 MB", from 16 MB to %1.',
        formatMemory(limits.memoryMB)
      );
    } else {
      value.memoryMB = memoryMB;
    }
  }

  if (supports.gpus) {
    const gpus = parseCount(draft.gpus);
    if (gpus === null || gpus > limits.gpus) {
      errors.gpus =
        limits.gpus === 0
          ? trans.__('This backend has no GPUs: leave GPUs at 0.')
          : trans.__('GPUs must be a whole number from 0 to %1.', limits.gpus);
    } else {
      value.gpus = gpus;
    }
  }

  if (supports.walltimeMinutes) {
    const seconds = parseWalltime(draft.walltime);
    const minutes = seconds === null ? null : Math.ceil(seconds / 60);
    if (minutes === null || minutes < 1 || minutes > limits.walltimeMinutes) {
      errors.walltime = trans.__(
        'Walltime must be a duration such as "1:30:00", "90m" or "2h", at most %1.',
        formatDuration(limits.walltimeMinutes * 60)
      );
    } else {
      value.walltimeMinutes = minutes;
    }
  }

  const image = draft.image.trim();
  if (image && !supports.image) {
    errors.image = trans.__(
      'This backend cannot run a container image: leave the field empty.'
    );
  } else if (image && !isImageReference(image)) {
    errors.image = trans.__(
      'The container image must be a reference such as "docker://python:3.12" or "/cvmfs/…/image.sif", without spaces or quotes.'
    );
  } else if (image) {
    value.image = image;
  }

  if (Object.keys(errors).length > 0) {
    return { ok: false, errors };
  }
  return { ok: true, value };
}

/**
 * A whole, non-negative number written in digits; `null` for anything else.
 */
export function parseCount(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed)) {
    return null;
  }
  return Number(trimmed);
}

/**
 * An amount of memory in MB (binary: MiB, as HTCondor and Spark count), rounded up: "4 GB", "4G", "4GiB", "512 MB", "512" (MiB).
 * Decimal and binary units are both read as binary (as HTCondor and Spark do).
 *
 * @returns MB, or `null` when the text is not an amount.
 */
export function parseMemory(text: string): number | null {
  const match = /^(\d{1,9}(?:\.\d{1,3})?)\s*([kmgt]i?b?|b)?$/i.exec(
    text.trim()
  );
  if (!match) {
    return null;
  }
  const value = Number(match[1]);
  const unit = (match[2] ?? 'm')[0].toLowerCase();
  const perMiB: Record<string, number> = {
    b: 1 / (1024 * 1024),
    k: 1 / 1024,
    m: 1,
    g: 1024,
    t: 1024 * 1024
  };
  return Math.ceil(value * perMiB[unit]);
}

/**
 * A duration in seconds: "H:MM:SS", "MM:SS", "90m", "2h", "1h30m", "45s", "1d", or a number
 * of minutes.
 *
 * @returns Seconds, or `null` when the text is not a duration.
 */
export function parseWalltime(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  const clock = /^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})$/.exec(trimmed);
  if (clock) {
    const [h, m, s] = [
      Number(clock[1] ?? 0),
      Number(clock[2]),
      Number(clock[3])
    ];
    if (s >= 60 || (clock[1] !== undefined && m >= 60)) {
      return null;
    }
    return h * 3600 + m * 60 + s;
  }
  if (/^\d{1,6}$/.test(trimmed)) {
    return Number(trimmed) * 60;
  }
  const units =
    /^(?:(\d{1,4})d)?\s*(?:(\d{1,5})h)?\s*(?:(\d{1,6})m)?\s*(?:(\d{1,7})s)?$/.exec(
      trimmed
    );
  if (!units || !trimmed) {
    return null;
  }
  const [d, h, m, s] = [1, 2, 3, 4].map(i => Number(units[i] ?? 0));
  return d * 86400 + h * 3600 + m * 60 + s;
}

/**
 * Whether `text` is a container image reference the backends accept: a registry reference
 * (optionally `docker://`), or an absolute path to an image file (Apptainer on CVMFS).
 * Nothing that a shell or a submit file would read specially: no spaces, quotes, `$`, `;`,
 * backslashes or newlines.
 */
export function isImageReference(text: string): boolean {
  return (
    text.length <= 512 &&
    /^(?:[a-z][a-z0-9+.-]{0,15}:\/\/)?[A-Za-z0-9/][A-Za-z0-9._/:@+-]*$/.test(
      text
    )
  );
}

/**
 * MB (binary) for people: "512 MB", "4 GB", "1.5 TB".
 */
export function formatMemory(mib: number): string {
  if (mib >= 1024 * 1024) {
    return `${+(mib / (1024 * 1024)).toFixed(1)} TB`;
  }
  if (mib >= 1024) {
    return `${+(mib / 1024).toFixed(1)} GB`;
  }
  return `${mib} MB`;
}

/**
 * Seconds as the form writes them: "H:MM:SS" (days as hours).
 */
export function formatWalltime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/**
 * Seconds for people: "45 s", "12 min", "3 h 5 min", "2 d 4 h".
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  return h ? `${d} d ${h} h` : `${d} d`;
}
