/** Shared bits of the metrics tests: fixture paths and a silent logger. */
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'metrics');
export const SMI = join(FIXTURES, 'nvidia-smi');
export const FAKE_SMI = join(SMI, 'fake-nvidia-smi.sh');
export const PROC = join(FIXTURES, 'proc');

/** A logger that records what it was asked to log. */
export function recordingLogger(): {
  lines: { level: string; args: unknown[] }[];
  info: (...args: unknown[]) => void;
  warn: (...args: unknown[]) => void;
  debug: (...args: unknown[]) => void;
  error: (...args: unknown[]) => void;
} {
  const lines: { level: string; args: unknown[] }[] = [];
  const at =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push({ level, args });
    };
  return {
    lines,
    info: at('info'),
    warn: at('warn'),
    debug: at('debug'),
    error: at('error')
  };
}

/** Wait until `check` holds, polling; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 5000,
  stepMs = 20
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise(r => setTimeout(r, stepMs));
  }
}
