/**
 * A real FUSE mount made by the test (rclone mount of a local directory): reported ok, then
 * hung once its FUSE daemon is stopped (SIGSTOP) while every other bridge request still
 * answers, then stale (ENOTCONN) once the daemon is gone. The test itself never touches the
 * mount point while it is hung.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { IDataBridge, startDataBridge } from './bridge';

jest.setTimeout(120000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-fuse-'));
const source = path.join(dir, 'source dir');
const mountPoint = path.join(dir, 'mnt with space');
let rclone: ChildProcess;
let bridge: IDataBridge;

async function mounted(): Promise<boolean> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.includes(mountPoint.replace(/ /g, '\\040'));
}

beforeAll(async () => {
  mkdirSync(source);
  mkdirSync(mountPoint);
  writeFileSync(path.join(source, 'data.csv'), 'a,b\n1,2\n');
  rclone = spawn(
    'rclone',
    ['mount', source, mountPoint, '--vfs-cache-mode', 'off'],
    {
      stdio: 'ignore'
    }
  );
  for (let i = 0; i < 200 && !(await mounted()); i++) {
    await new Promise(r => setTimeout(r, 50));
  }
  expect(await mounted()).toBe(true);
  bridge = await startDataBridge({
    mounts: { probeTimeoutMs: 500, cacheSeconds: 0 }
  });
});

afterAll(async () => {
  await bridge?.close();
  if (rclone?.pid && rclone.exitCode === null && rclone.signalCode === null) {
    rclone.kill('SIGCONT');
    rclone.kill('SIGKILL');
  }
  await promisify(execFile)('fusermount3', ['-uz', mountPoint]).catch(
    () => undefined
  );
});

async function mountState(): Promise<any> {
  const res = await bridge.get('/api/data/mounts');
  expect(res.status).toBe(200);
  return res.body.mounts.find((m: any) => m.mountPoint === mountPoint);
}

async function waitForHealth(health: string): Promise<any> {
  for (;;) {
    const mount = await mountState();
    if (mount?.health === health) {
      return mount;
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

test('a healthy rclone mount is listed, classified and ok (escaped spaces decoded)', async () => {
  const mount = await waitForHealth('ok');
  expect(mount).toMatchObject({
    kind: 'fuse.rclone',
    fsType: 'fuse.rclone',
    source,
    readOnly: false
  });
  expect(mount.checkedAt).toBeGreaterThan(0);
});

test('a stopped FUSE daemon is reported hung, and other requests still answer', async () => {
  process.kill(rclone.pid!, 'SIGSTOP');
  const asked = waitForHealth('hung');
  // Meanwhile every other request answers (the bridge never touches the mount itself).
  const others = await Promise.all([
    bridge.get('/healthz'),
    bridge.get('/api/data/endpoints'),
    bridge.get('/api/data/cache'),
    bridge.get('/api/data/mounts')
  ]);
  expect(others.map(r => r.status)).toEqual([200, 200, 200, 200]);
  const mount = await asked;
  expect(mount.detail).toContain('did not answer within 500 ms');
  // Still hung and still answering, on the next asks too.
  for (let i = 0; i < 3; i++) {
    const res = await bridge.get('/api/data/mounts');
    expect(res.status).toBe(200);
  }
});

test('a FUSE daemon that died leaves a stale mount (ENOTCONN)', async () => {
  process.kill(rclone.pid!, 'SIGCONT');
  rclone.kill('SIGKILL');
  await new Promise(resolve => rclone.once('exit', resolve));
  const mount = await waitForHealth('stale');
  expect(mount.detail).toContain('not connected');
});
