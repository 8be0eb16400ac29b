/**
 * CVMFS repositories: mounted or not (mountinfo), and their revision, read by a child
 * `getfattr` (the `user.revision` extended attribute): never by the bridge itself, since a
 * CVMFS mount can hang like any FUSE mount.
 */
import { execFile } from 'node:child_process';

/**
 * The revision in `getfattr` output: `--only-values` prints the bare value; the default form
 * prints `# file: ...` then `user.revision="12345"`.
 */
export function parseRevision(output: string): number | undefined {
  const text = output.trim();
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  const match = /^user\.revision="?(\d+)"?$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Read a repository's revision in a child process; undefined when it cannot. */
export function readRevision(
  mountPoint: string,
  timeoutMs: number
): Promise<{ revision?: number; detail?: string }> {
  return new Promise(resolve => {
    execFile(
      'getfattr',
      ['-n', 'user.revision', '--absolute-names', mountPoint],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }
      },
      (err, stdout) => {
        const revision = parseRevision(String(stdout));
        if (revision !== undefined) {
          resolve({ revision });
        } else if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          resolve({
            detail: 'getfattr is not installed (Debian package attr)'
          });
        } else if (err?.killed) {
          resolve({ detail: 'reading the revision timed out' });
        } else {
          resolve({ detail: 'the revision could not be read' });
        }
      }
    );
  });
}
