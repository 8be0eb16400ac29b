/**
 * The file agent with a real child process: operations, path confinement, atomic writes, and a
 * hung child that is killed and replaced while the event loop stays responsive.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createFileAgent, StorageError } from '../../../src/collab/document';
import { FileAgent } from '../../../src/collab/document/file-agent';

const sha = (b: Uint8Array | string) =>
  createHash('sha256').update(b).digest('hex');

let root: string;
let outside: string;
let agent: FileAgent;

beforeEach(() => {
  const base = mkdtempSync(join(tmpdir(), 'mlinfn-agent-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'dir'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  agent = createFileAgent(root, { timeoutMs: 5000 }) as FileAgent;
});

afterEach(async () => {
  await agent.close();
  rmSync(resolve(root, '..'), { recursive: true, force: true });
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return (err as StorageError).code;
  }
  return 'resolved';
}

describe('file agent operations', () => {
  it('reads, stats and writes files under the root', async () => {
    writeFileSync(join(root, 'dir', 'a.txt'), 'hello');
    const read = await agent.read('dir/a.txt');
    expect(read).not.toBeNull();
    expect(Buffer.from(read!.content).toString()).toBe('hello');
    expect(read!.content).toBeInstanceOf(Uint8Array);
    expect(read!.hash).toBe(sha('hello'));
    expect(read!.mtimeMs).toBeCloseTo(
      statSync(join(root, 'dir', 'a.txt')).mtimeMs,
      0
    );

    const stat = await agent.stat('./dir//a.txt');
    expect(stat).toEqual({
      hash: sha('hello'),
      mtimeMs: read!.mtimeMs,
      size: 5
    });
    expect(await agent.read('dir/missing.txt')).toBeNull();
    expect(await agent.stat('missing')).toBeNull();
    expect(await agent.stat('dir')).toEqual({
      mtimeMs: expect.any(Number),
      size: expect.any(Number)
    });

    const written = await agent.writeAtomic('dir/a.txt', Buffer.from('world!'));
    expect(written.hash).toBe(sha('world!'));
    expect(readFileSync(join(root, 'dir', 'a.txt'), 'utf8')).toBe('world!');
    expect(written.mtimeMs).toBeCloseTo(
      statSync(join(root, 'dir', 'a.txt')).mtimeMs,
      0
    );
    expect(await agent.stat('dir/a.txt')).toEqual({
      hash: sha('world!'),
      mtimeMs: written.mtimeMs,
      size: 6
    });
    // An external change is seen by stat (the hash cache is keyed by inode, size and times).
    writeFileSync(join(root, 'dir', 'a.txt'), 'changed outside');
    expect((await agent.stat('dir/a.txt'))?.hash).toBe(sha('changed outside'));
    // No temp file is left behind.
    expect(require('node:fs').readdirSync(join(root, 'dir'))).toEqual([
      'a.txt'
    ]);
  });

  it('creates new files with the default mode and keeps the mode of existing ones', async () => {
    await agent.writeAtomic('new.txt', Buffer.from('x'));
    expect(statSync(join(root, 'new.txt')).mode & 0o777).toBe(
      0o666 & ~process.umask()
    );
    writeFileSync(join(root, 'private.txt'), 'p');
    chmodSync(join(root, 'private.txt'), 0o640);
    await agent.writeAtomic('private.txt', Buffer.from('q'));
    expect(statSync(join(root, 'private.txt')).mode & 0o777).toBe(0o640);
    chmodSync(join(root, 'private.txt'), 0o755);
    await agent.writeAtomic('private.txt', Buffer.from('r'));
    expect(statSync(join(root, 'private.txt')).mode & 0o777).toBe(0o755);
  });

  it('writes through a symlink that stays inside the root, keeping the link', async () => {
    writeFileSync(join(root, 'dir', 'target.txt'), 'old');
    symlinkSync('dir/target.txt', join(root, 'link.txt'));
    await agent.writeAtomic('link.txt', Buffer.from('new'));
    expect(readlinkSync(join(root, 'link.txt'))).toBe('dir/target.txt');
    expect(readFileSync(join(root, 'dir', 'target.txt'), 'utf8')).toBe('new');
  });

  it('writes conflict copies beside the file, never overwriting one', async () => {
    writeFileSync(join(root, 'dir', 'nb.ipynb'), 'mine');
    chmodSync(join(root, 'dir', 'nb.ipynb'), 0o600);
    const first = await agent.writeConflictCopy(
      'dir/nb.ipynb',
      Buffer.from('theirs 1')
    );
    const second = await agent.writeConflictCopy(
      'dir/nb.ipynb',
      Buffer.from('theirs 2')
    );
    expect(first).toMatch(
      /^dir\/nb \(conflict \d{4}-\d\d-\d\d \d\d-\d\d-\d\d\)\.ipynb$/
    );
    expect(second).not.toBe(first);
    expect(readFileSync(join(root, first), 'utf8')).toBe('theirs 1');
    expect(readFileSync(join(root, second), 'utf8')).toBe('theirs 2');
    expect(readFileSync(join(root, 'dir', 'nb.ipynb'), 'utf8')).toBe('mine');
    expect(statSync(join(root, first)).mode & 0o777).toBe(0o600);
    const copy = await agent.writeConflictCopy('Makefile', Buffer.from('m'));
    expect(copy).toMatch(/^Makefile \(conflict .*\)$/);
    expect(
      require('node:fs')
        .readdirSync(join(root, 'dir'))
        .filter((f: string) => f.includes('.tmp'))
    ).toEqual([]);
  });

  it('runs the requests on one path in order', async () => {
    const results = await Promise.all([
      agent.writeAtomic('order.txt', Buffer.from('1')),
      agent.read('order.txt'),
      agent.writeAtomic('order.txt', Buffer.from('2')),
      agent.read('order.txt'),
      agent.writeAtomic('order.txt', Buffer.from('3'))
    ]);
    const text = (r: unknown) =>
      Buffer.from((r as { content: Uint8Array }).content).toString();
    expect(text(results[1])).toBe('1');
    expect(text(results[3])).toBe('2');
    expect(readFileSync(join(root, 'order.txt'), 'utf8')).toBe('3');
  });

  it('closes: the child goes away and later requests fail', async () => {
    await agent.read('x');
    const pid = agent.pid as number;
    await agent.close();
    expect(await code(agent.read('x'))).toBe('ECLOSED');
    for (let i = 0; i < 50 && alive(pid); i++) {
      await new Promise(r => setTimeout(r, 20));
    }
    expect(alive(pid)).toBe(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purposes.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('file agent confinement', () => {
  it('refuses absolute paths, "..", NUL and the root itself', async () => {
    for (const bad of [
      '/etc/passwd',
      '../outside/secret.txt',
      'dir/../../outside/secret.txt',
      'a\0b',
      '',
      '.',
      'dir/..'
    ]) {
      expect(await code(agent.read(bad))).toBe('EINVALIDPATH');
      expect(await code(agent.writeAtomic(bad, Buffer.from('x')))).toBe(
        'EINVALIDPATH'
      );
    }
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('has the child check paths too, not only the parent', async () => {
    const send = (
      agent as unknown as { send(op: string, path: string): Promise<unknown> }
    ).send.bind(agent);
    for (const bad of ['/etc/passwd', '../outside/secret.txt', 'a\0b', '']) {
      expect(await code(send('read', bad))).toBe('EINVALIDPATH');
    }
    expect(await code(send('nonsense', 'a'))).toBe('EBADREQUEST');
  });

  it('refuses symlinks that lead outside the root, for reads and writes', async () => {
    symlinkSync(outside, join(root, 'escape'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'secret-link'));
    expect(await code(agent.read('escape/secret.txt'))).toBe('EESCAPE');
    expect(await code(agent.stat('escape/secret.txt'))).toBe('EESCAPE');
    expect(await code(agent.read('secret-link'))).toBe('EESCAPE');
    expect(await code(agent.writeAtomic('secret-link', Buffer.from('x')))).toBe(
      'EESCAPE'
    );
    expect(
      await code(agent.writeAtomic('escape/new.txt', Buffer.from('x')))
    ).toBe('EESCAPE');
    expect(
      await code(agent.writeConflictCopy('escape/secret.txt', Buffer.from('x')))
    ).toBe('EESCAPE');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(require('node:fs').readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('refuses what is not a regular file, without blocking on a FIFO', async () => {
    await new Promise<void>((res, rej) =>
      execFile('mkfifo', [join(root, 'fifo')], err => (err ? rej(err) : res()))
    );
    const started = Date.now();
    expect(await code(agent.read('fifo'))).toBe('ENOTFILE');
    expect(await code(agent.writeAtomic('dir', Buffer.from('x')))).toBe(
      'ENOTFILE'
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a missing directory for writes', async () => {
    expect(await code(agent.writeAtomic('nope/a.txt', Buffer.from('x')))).toBe(
      'ENOENT'
    );
  });
});

describe('file agent robustness', () => {
  it('writes atomically: a reader never sees a partial file', async () => {
    const size = 4 * 1024 * 1024;
    const a = Buffer.alloc(size, 'a');
    const b = Buffer.alloc(size, 'b');
    const valid = new Set([sha(a), sha(b)]);
    await agent.writeAtomic('big.bin', a);
    let writing = true;
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const content = await readFile(join(root, 'big.bin'));
        expect(valid.has(sha(content))).toBe(true);
        reads++;
      }
    })();
    for (let i = 0; i < 8; i++) {
      await agent.writeAtomic('big.bin', i % 2 ? a : b);
    }
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
  });

  it('kills a hung agent after the timeout, says storage is not responding, and recovers', async () => {
    const quick = createFileAgent(root, { timeoutMs: 1000 }) as FileAgent;
    try {
      writeFileSync(join(root, 'a.txt'), 'A');
      await quick.read('a.txt');
      const hung = quick.pid as number;
      // A hung mount leaves the child stuck in a system call; a stopped child is as stuck.
      process.kill(hung, 'SIGSTOP');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 20);
      const started = Date.now();
      const [first, other] = await Promise.allSettled([
        quick.read('a.txt'),
        quick.stat('other.txt')
      ]);
      const elapsed = Date.now() - started;
      clearInterval(ticker);
      expect(first.status).toBe('rejected');
      const err = (first as PromiseRejectedResult).reason as StorageError;
      expect(err.code).toBe('ETIMEDOUT');
      expect(err.message).toMatch(/storage not responding/);
      expect((other as PromiseRejectedResult).reason.code).toBe('ETIMEDOUT');
      expect(elapsed).toBeGreaterThanOrEqual(980);
      expect(elapsed).toBeLessThan(4000);
      // The event loop kept running the whole time.
      expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 20 / 5));
      // The next request gets a fresh agent.
      const again = await quick.read('a.txt');
      expect(Buffer.from(again!.content).toString()).toBe('A');
      expect(quick.pid).not.toBe(hung);
      for (let i = 0; i < 50 && alive(hung); i++) {
        await new Promise(r => setTimeout(r, 20));
      }
      expect(alive(hung)).toBe(false);
    } finally {
      await quick.close();
    }
  });

  it('restarts after the child dies', async () => {
    await agent.read('x');
    const pid = agent.pid as number;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && agent.pid === pid; i++) {
      await new Promise(r => setTimeout(r, 20));
    }
    writeFileSync(join(root, 'x'), 'x');
    expect((await agent.read('x'))?.hash).toBe(sha('x'));
  });

  it('works from a single-file esbuild bundle, as the wheel ships it', async () => {
    const { build } = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'mlinfn-bundle-'));
    try {
      const outfile = join(dir, 'agent.cjs');
      await build({
        entryPoints: [
          resolve(__dirname, '../../../src/collab/document/file-agent.ts')
        ],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        logLevel: 'silent'
      });
      writeFileSync(join(root, 'b.txt'), 'bundled');
      const script = `const { createFileAgent } = require(${JSON.stringify(outfile)});
        const agent = createFileAgent(${JSON.stringify(root)});
        agent.read('b.txt').then(async r => { process.stdout.write(Buffer.from(r.content).toString()); await agent.close(); });`;
      const out = await new Promise<string>((res, rej) =>
        execFile(
          process.execPath,
          ['-e', script],
          { cwd: dir, timeout: 20000 },
          (err, stdout, stderr) => (err ? rej(new Error(stderr)) : res(stdout))
        )
      );
      expect(out).toBe('bundled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
