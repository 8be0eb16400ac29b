/**
 * `/proc/self/mountinfo` (proc(5)): parsed, and the mounts a researcher cares about
 * classified (network and FUSE file systems; local disks and pseudo file systems are left
 * out).
 *
 *     36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *     (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 */
import type { DataMount } from '../../schema-types';

/** One line of mountinfo. */
export interface IMountInfo {
  mountId: number;
  parentId: number;
  root: string;
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** Undo the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) =>
    String.fromCharCode(parseInt(octal, 8))
  );
}

/** Parse the whole file; malformed lines are skipped. */
export function parseMountInfo(text: string): IMountInfo[] {
  const mounts: IMountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash < 0 || fields.length < dash + 3) {
      continue;
    }
    mounts.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      options: fields[5].split(','),
      fsType: unescapeMountField(fields[dash + 1]),
      source: unescapeMountField(fields[dash + 2]),
      superOptions: (fields[dash + 3] ?? '').split(',')
    });
  }
  return mounts;
}

/** FUSE daemons that are part of the desktop or the container, not data. */
const IGNORED_FUSE = new Set([
  'fuse.lxcfs',
  'fuse.portal',
  'fuse.gvfsd-fuse',
  'fuse.snapfuse',
  'fuse.xdg-document-portal',
  'fusectl'
]);

/** Network file systems shown as "other". */
const OTHER_NETWORK = new Set([
  'cifs',
  'smb3',
  'glusterfs',
  'lustre',
  'gpfs',
  'beegfs',
  '9p',
  'afs',
  'davfs',
  'fuse.glusterfs',
  'fuse.gcsfuse',
  'fuse.goofys',
  'fuse.juicefs',
  'fuse.mountpoint-s3',
  'fuse.davfs'
]);

/** The kind of a mount, or undefined when it is not one to show. */
export function classifyMount(
  m: Pick<IMountInfo, 'fsType' | 'source' | 'mountPoint'>,
  include: ReadonlySet<string> = new Set()
): DataMount['kind'] | undefined {
  const t = m.fsType;
  // CVMFS appears as `fuse` with source `cvmfs2` (older: fuse.cvmfs2).
  if (
    t === 'cvmfs' ||
    t === 'fuse.cvmfs2' ||
    (t.startsWith('fuse') && m.source === 'cvmfs2')
  ) {
    return 'cvmfs';
  }
  if (t === 'nfs' || t === 'nfs4') {
    return 'nfs';
  }
  if (t === 'fuse.rclone' || t === 'fuse.s3fs' || t === 'fuse.sshfs') {
    return t;
  }
  if (t === 'ceph' || t === 'fuse.ceph' || t === 'fuse.ceph-fuse') {
    return 'ceph';
  }
  if (include.has(t) || OTHER_NETWORK.has(t)) {
    return 'other';
  }
  if ((t === 'fuse' || t.startsWith('fuse.')) && !IGNORED_FUSE.has(t)) {
    return 'other';
  }
  return undefined;
}
