/**
 * Mountinfo parsing and classification on recorded lines, probe verdicts, CVMFS revisions,
 * and the monitor's one-probe-per-mount rule (with a probe double).
 */
import { parseRevision } from '../../src/data/mounts/cvmfs';
import {
  classifyMount,
  parseMountInfo,
  unescapeMountField
} from '../../src/data/mounts/mountinfo';
import { MountMonitor } from '../../src/data/mounts/monitor';
import {
  interpretProbeOutput,
  IProbeResult
} from '../../src/data/mounts/probe';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Lines as real machines print them (CERN lxplus-like WN, a laptop, a Ceph client). */
const RECORDED = [
  '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw,errors=remount-ro',
  '25 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '40 22 0:35 / /cvmfs rw,relatime shared:20 - autofs systemd-1 rw,fd=29,pgrp=1,timeout=0,minproto=5,maxproto=5,direct',
  '512 40 0:52 / /cvmfs/cms.cern.ch ro,nosuid,nodev,relatime shared:280 - fuse cvmfs2 ro,user_id=0,group_id=0,default_permissions,allow_other',
  '513 40 0:53 / /cvmfs/sft.cern.ch ro,nosuid,nodev,relatime shared:281 - fuse.cvmfs2 cvmfs2 ro,user_id=0,group_id=0',
  '120 22 0:60 / /home/alice rw,relatime shared:70 - nfs4 nfs.infn.it:/export/home/alice rw,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.0.0.5,local_lock=none,addr=10.0.0.2',
  '121 22 0:61 / /data/nfs3 rw,relatime shared:71 - nfs storage:/data rw,vers=3',
  '130 22 0:62 / /mnt/My\\040Drive rw,nosuid,nodev,relatime shared:80 - fuse.rclone gdrive: rw,user_id=1000,group_id=1000',
  '131 22 0:63 / /mnt/s3 rw,nosuid,nodev,relatime shared:81 - fuse.s3fs s3fs rw,user_id=1000,group_id=1000',
  '132 22 0:64 / /mnt/remote rw,nosuid,nodev,relatime shared:82 - fuse.sshfs alice@login.infn.it:/data rw,user_id=1000,group_id=1000',
  '133 22 0:65 / /mnt/cephfs rw,relatime shared:83 - ceph 10.0.0.7:6789:/ rw,name=alice,secret=<hidden>,acl',
  '134 22 0:66 / /var/lib/lxcfs rw,nosuid,nodev,relatime shared:84 - fuse.lxcfs lxcfs rw,user_id=0,group_id=0,allow_other',
  '135 22 0:67 / /mnt/tab\\011and\\134slash rw,relatime shared:85 - fuse.sshfs host:/x rw'
].join('\n');

test('mountinfo lines are parsed, escapes decoded', () => {
  const mounts = parseMountInfo(RECORDED + '\nnot a mountinfo line\n');
  expect(mounts).toHaveLength(13);
  const drive = mounts.find(m => m.fsType === 'fuse.rclone')!;
  expect(drive).toMatchObject({
    mountPoint: '/mnt/My Drive',
    source: 'gdrive:',
    mountId: 130,
    parentId: 22
  });
  expect(mounts.at(-1)!.mountPoint).toBe('/mnt/tab\tand\\slash');
  expect(unescapeMountField('a\\040b\\012c')).toBe('a b\nc');
  const nfs = mounts.find(m => m.mountPoint === '/home/alice')!;
  expect(nfs.superOptions).toContain('hard');
});

test('mounts are classified; local and desktop ones are left out', () => {
  const kinds = Object.fromEntries(
    parseMountInfo(RECORDED).map(m => [m.mountPoint, classifyMount(m) ?? null])
  );
  expect(kinds).toEqual({
    '/': null,
    '/proc': null,
    '/cvmfs': null,
    '/cvmfs/cms.cern.ch': 'cvmfs',
    '/cvmfs/sft.cern.ch': 'cvmfs',
    '/home/alice': 'nfs',
    '/data/nfs3': 'nfs',
    '/mnt/My Drive': 'fuse.rclone',
    '/mnt/s3': 'fuse.s3fs',
    '/mnt/remote': 'fuse.sshfs',
    '/mnt/cephfs': 'ceph',
    '/var/lib/lxcfs': null,
    '/mnt/tab\tand\\slash': 'fuse.sshfs'
  });
  expect(
    classifyMount(
      { fsType: 'xfs', source: '/dev/sdb', mountPoint: '/scratch' },
      new Set(['xfs'])
    )
  ).toBe('other');
});

test('probe output becomes a verdict', () => {
  expect(interpretProbeOutput('ok')).toEqual({ health: 'ok' });
  expect(
    interpretProbeOutput('ENOTCONN ENOTCONN: socket is not connected, opendir')
  ).toMatchObject({
    health: 'stale',
    detail: expect.stringContaining('not connected')
  });
  expect(interpretProbeOutput('ESTALE stale file handle').health).toBe('stale');
  expect(interpretProbeOutput('EACCES permission denied')).toMatchObject({
    health: 'ok'
  });
  expect(interpretProbeOutput('').health).toBe('stale');
});

test('CVMFS revisions from recorded getfattr output', () => {
  expect(
    parseRevision('# file: /cvmfs/cms.cern.ch\nuser.revision="84213"\n\n')
  ).toBe(84213);
  expect(parseRevision('84213')).toBe(84213);
  expect(
    parseRevision('/cvmfs/cms.cern.ch: user.revision: No such attribute\n')
  ).toBeUndefined();
});

test('one probe per mount at a time; a request never waits for a probe', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mountinfo-'));
  const file = path.join(dir, 'mountinfo');
  writeFileSync(file, RECORDED);
  const started: string[] = [];
  const pending = new Map<string, (r: IProbeResult) => void>();
  const exits = new Map<string, () => void>();
  const monitor = new MountMonitor({
    config: {
      probeTimeoutMs: 100,
      cacheSeconds: 0,
      cvmfsRoot: '/cvmfs',
      cvmfsRepos: ['cms.cern.ch', 'atlas.cern.ch'],
      includeFsTypes: []
    },
    mountInfoPath: file,
    probe: (mountPoint, _timeout, onExit) => {
      started.push(mountPoint);
      exits.set(mountPoint, onExit ?? (() => undefined));
      return new Promise(resolve => pending.set(mountPoint, resolve));
    },
    readRevision: async () => ({ revision: 84213 })
  });
  const first = await monitor.snapshot();
  expect(
    first.mounts.every(m => m.health === 'unknown' && m.checkedAt === null)
  ).toBe(true);
  const probesOfNfs = () => started.filter(p => p === '/home/alice').length;
  expect(probesOfNfs()).toBe(1);
  await monitor.snapshot();
  await monitor.snapshot();
  expect(probesOfNfs()).toBe(1);
  // The probe says hung, but its child has not gone: still no second probe.
  pending.get('/home/alice')!({ health: 'hung', detail: 'x' });
  await new Promise(r => setImmediate(r));
  const second = await monitor.snapshot();
  expect(second.mounts.find(m => m.mountPoint === '/home/alice')!.health).toBe(
    'hung'
  );
  expect(probesOfNfs()).toBe(1);
  exits.get('/home/alice')!();
  await monitor.snapshot();
  expect(probesOfNfs()).toBe(2);
  // CVMFS: cms is mounted (revision), atlas is not (a probe lets autofs try).
  await new Promise(r => setImmediate(r));
  const third = await monitor.snapshot();
  expect(third.cvmfs).toEqual([
    {
      repo: 'cms.cern.ch',
      mountPoint: '/cvmfs/cms.cern.ch',
      mounted: true,
      revision: 84213
    },
    {
      repo: 'atlas.cern.ch',
      mountPoint: '/cvmfs/atlas.cern.ch',
      mounted: false
    }
  ]);
  expect(started).toContain('/cvmfs/atlas.cern.ch');
});
