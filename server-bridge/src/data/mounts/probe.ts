/**
 * Mount health, measured only in child processes: the bridge itself never touches a mount
 * (a hung FUSE or NFS mount blocks libuv's thread pool for the whole process). A probe that
 * does not answer in time is killed and the mount reported hung; ENOTCONN/ESTALE/EIO mean
 * stale.
 */
import { spawn } from 'node:child_process';
import type { DataMount } from '../../schema-types';

/** A probe's verdict. */
export interface IProbeResult {
  health: DataMount['health'];
  detail?: string;
}

/**
 * The probe: open the directory and read one entry (cheap even for huge directories), then
 * print the error code if any. Runs as `node -e PROBE <path>`.
 */
const PROBE = `
const fs = require('fs');
try {
  const d = fs.opendirSync(process.argv[1]);
  d.readSync();
  d.closeSync();
  process.stdout.write('ok');
} catch (e) {
  process.stdout.write(String(e && e.code || 'ERROR') + ' ' + String(e && e.message || '').slice(0, 200));
}
`;

const STALE = new Set([
  'ENOTCONN',
  'ESTALE',
  'EIO',
  'EHOSTDOWN',
  'ECONNABORTED'
]);

/** Read a probe's output. */
export function interpretProbeOutput(output: string): IProbeResult {
  const text = output.trim();
  if (text === 'ok') {
    return { health: 'ok' };
  }
  const code = text.split(' ')[0];
  if (STALE.has(code)) {
    return {
      health: 'stale',
      detail:
        code === 'ENOTCONN'
          ? 'the file system is not connected (its FUSE daemon has exited): unmount and mount it again'
          : `the file system answers ${code}: unmount and mount it again`
    };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { health: 'ok', detail: 'mounted, but not readable by this user' };
  }
  return { health: 'stale', detail: text.slice(0, 200) || 'the probe failed' };
}

/**
 * Probe a directory in a child process.
 *
 * @param onExit - called when the child has really gone (a hung one may outlive the verdict).
 */
export function probeMount(
  mountPoint: string,
  timeoutMs: number,
  onExit: () => void = () => undefined
): Promise<IProbeResult> {
  return new Promise(resolve => {
    let settled = false;
    const finish = (result: IProbeResult) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    let child;
    try {
      child = spawn(process.execPath, ['-e', PROBE, mountPoint], {
        stdio: ['ignore', 'pipe', 'ignore'],
        // Not a child of the bridge's terminal or process group signals.
        detached: false,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
      });
    } catch (err) {
      finish({
        health: 'unknown',
        detail: `the probe could not start: ${(err as Error).message}`
      });
      onExit();
      return;
    }
    let output = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      finish({
        health: 'hung',
        detail: `the mount did not answer within ${timeoutMs} ms`
      });
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', err => {
      clearTimeout(timer);
      finish({
        health: 'unknown',
        detail: `the probe could not start: ${err.message}`
      });
    });
    child.on('close', () => {
      clearTimeout(timer);
      finish(interpretProbeOutput(output));
      onExit();
    });
  });
}
