/**
 * The file agent: every read, stat and write under the Jupyter root directory happens in a
 * long-lived child process (file-agent-source.ts), never in the bridge's own process.
 *
 * Why: the root is often a network home directory. A hung NFS or FUSE mount blocks whatever
 * thread touches it, and in-process that would be libuv's small thread pool, which every file
 * and DNS operation of the bridge shares. In a child, a request that takes longer than the
 * timeout fails with "storage not responding", the child is killed (SIGKILL) and a fresh one
 * serves the next request; the bridge's event loop never waits on the mount.
 *
 * Requests on one path run one at a time, in order; requests on different paths run
 * concurrently. Paths are relative to the root, '/'-separated, without '..'; the child also
 * resolves symlinks and refuses anything that leads outside the root.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { FILE_AGENT_SOURCE } from './file-agent-source';
import type { IDiskState, IFileAgent } from './types';

/** Options of {@link createFileAgent}. */
export interface IFileAgentOptions {
  /** How long one request may take before the storage is declared hung (default 15 s). */
  timeoutMs?: number;
}

/**
 * A file operation failed. `code`: 'ETIMEDOUT' (storage not responding; the agent was
 * restarted), 'EINVALIDPATH' (absolute, '..', NUL, empty), 'EESCAPE' (leads outside the root),
 * 'ENOTFILE' (a directory, FIFO, device), 'ETOOBIG', 'ENOENT' (missing directory for a write),
 * 'EAGENT' (the child died), 'ECLOSED', or the system's errno code.
 */
export class StorageError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
  }
}

type Op = 'read' | 'stat' | 'write' | 'conflictCopy';

interface IPending {
  child: ChildProcess;
  op: Op;
  path: string;
  timer: NodeJS.Timeout;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface IReply {
  id: number;
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
}

/** The same checks the child makes, so that a bad path fails at once without a round trip. */
export function normalizeRelPath(relPath: string): string {
  if (typeof relPath !== 'string' || relPath === '') {
    throw new StorageError('EINVALIDPATH', 'empty path');
  }
  if (relPath.includes('\0')) {
    throw new StorageError('EINVALIDPATH', 'NUL character in path');
  }
  if (relPath.startsWith('/')) {
    throw new StorageError(
      'EINVALIDPATH',
      'absolute path: paths are relative to the root directory'
    );
  }
  const parts = relPath.split('/');
  if (parts.includes('..')) {
    throw new StorageError('EINVALIDPATH', '".." in path');
  }
  const clean = parts.filter(p => p !== '' && p !== '.');
  if (clean.length === 0) {
    throw new StorageError('EINVALIDPATH', 'the root directory is not a file');
  }
  return clean.join('/');
}

/** The file agent (exported for tests, which look at the child's pid). */
export class FileAgent implements IFileAgent {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, IPending>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private nextId = 1;
  private closed = false;
  private stderrTail = '';

  constructor(
    private readonly rootDir: string,
    private readonly timeoutMs: number
  ) {}

  /** The pid of the current child, if one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  read(relPath: string): Promise<IDiskState | null> {
    return this.request('read', relPath) as Promise<IDiskState | null>;
  }

  stat(
    relPath: string
  ): Promise<{ hash?: string; mtimeMs: number; size: number } | null> {
    return this.request('stat', relPath) as Promise<{
      hash?: string;
      mtimeMs: number;
      size: number;
    } | null>;
  }

  async writeAtomic(relPath: string, content: Uint8Array): Promise<IDiskState> {
    const written = (await this.request('write', relPath, content)) as {
      hash: string;
      mtimeMs: number;
    };
    return { content, hash: written.hash, mtimeMs: written.mtimeMs };
  }

  writeConflictCopy(relPath: string, content: Uint8Array): Promise<string> {
    return this.request('conflictCopy', relPath, content) as Promise<string>;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    // Let what was asked finish (each bounded by its timeout), then let the child go.
    await Promise.allSettled([...this.queues.values()]);
    const child = this.child;
    this.child = undefined;
    if (child) {
      if (child.connected) {
        child.disconnect();
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      timer.unref();
      child.once('exit', () => clearTimeout(timer));
    }
  }

  private request(
    op: Op,
    relPath: string,
    content?: Uint8Array
  ): Promise<unknown> {
    let key: string;
    try {
      key = normalizeRelPath(relPath);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closed) {
      return Promise.reject(
        new StorageError('ECLOSED', 'the file agent is closed')
      );
    }
    const run = () => this.send(op, key, content);
    const previous = this.queues.get(key);
    const result = previous ? previous.then(run, run) : run();
    const tail = result.then(
      () => undefined,
      () => undefined
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) {
        this.queues.delete(key);
      }
    });
    return result;
  }

  private send(op: Op, path: string, content?: Uint8Array): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.ensureChild();
      } catch (err) {
        reject(
          new StorageError(
            'EAGENT',
            `cannot start the file agent: ${(err as Error).message}`
          )
        );
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => this.timedOut(id), this.timeoutMs);
      this.pending.set(id, { child, op, path, timer, resolve, reject });
      const payload =
        content === undefined
          ? { id, op, path }
          : {
              id,
              op,
              path,
              content: Buffer.from(
                content.buffer,
                content.byteOffset,
                content.byteLength
              )
            };
      try {
        child.send(payload, err => {
          if (err) {
            this.settle(
              id,
              new StorageError(
                'EAGENT',
                `cannot reach the file agent: ${err.message}`
              )
            );
          }
        });
      } catch (err) {
        this.settle(
          id,
          new StorageError(
            'EAGENT',
            `cannot reach the file agent: ${(err as Error).message}`
          )
        );
      }
    });
  }

  private ensureChild(): ChildProcess {
    if (this.child && this.child.connected && this.child.exitCode === null) {
      return this.child;
    }
    const child = spawn(process.execPath, ['-e', FILE_AGENT_SOURCE], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      // Nothing of the bridge's environment (NODE_OPTIONS and the like) reaches the child.
      env: {
        MLINFN_FILE_AGENT_ROOT: this.rootDir,
        PATH: process.env.PATH ?? ''
      },
      windowsHide: true
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    child.on('message', (message: IReply) => this.onReply(child, message));
    child.on('exit', (code, signal) => {
      if (this.child === child) {
        this.child = undefined;
      }
      const detail = this.stderrTail.trim().split('\n').pop();
      this.failAll(
        child,
        () =>
          new StorageError(
            'EAGENT',
            `the file agent exited (${signal ?? `status ${code}`})${detail ? `: ${detail}` : ''}`
          )
      );
    });
    child.on('error', err => {
      if (this.child === child) {
        this.child = undefined;
      }
      this.failAll(
        child,
        () =>
          new StorageError('EAGENT', `the file agent failed: ${err.message}`)
      );
    });
    // The child never keeps the bridge (or a test) alive by itself; pending requests' timers do.
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    this.child = child;
    return child;
  }

  private onReply(child: ChildProcess, reply: IReply): void {
    const pending = this.pending.get(reply?.id);
    if (!pending || pending.child !== child) {
      return;
    }
    this.settle(
      reply.id,
      reply.ok
        ? undefined
        : new StorageError(
            reply.code ?? 'EIO',
            `${pending.op} ${pending.path}: ${reply.message ?? 'failed'}`
          ),
      reply.result
    );
  }

  private settle(id: number, error?: Error, result?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) {
      return;
    }
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) {
      pending.reject(error);
    } else {
      pending.resolve(fromChild(result));
    }
  }

  private timedOut(id: number): void {
    const pending = this.pending.get(id);
    if (!pending) {
      return;
    }
    const { child, op, path } = pending;
    this.settle(
      id,
      new StorageError(
        'ETIMEDOUT',
        `storage not responding: ${op} ${path} took more than ${this.timeoutMs} ms; the file agent was restarted`
      )
    );
    // A hung mount leaves the child stuck: kill it; the next request starts a fresh one.
    if (this.child === child) {
      this.child = undefined;
    }
    child.kill('SIGKILL');
    this.failAll(
      child,
      p =>
        new StorageError(
          'ETIMEDOUT',
          `storage not responding: ${p.op} ${p.path} was in flight when the file agent was restarted`
        )
    );
  }

  private failAll(
    child: ChildProcess,
    makeError: (pending: IPending) => Error
  ): void {
    for (const [id, pending] of [...this.pending]) {
      if (pending.child === child) {
        this.settle(id, makeError(pending));
      }
    }
  }
}

/** Buffers from the child become plain Uint8Arrays; everything else passes through. */
function fromChild(result: unknown): unknown {
  if (
    result &&
    typeof result === 'object' &&
    'content' in result &&
    Buffer.isBuffer((result as { content: unknown }).content)
  ) {
    const buf = (result as { content: Buffer }).content;
    return {
      ...(result as object),
      content: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    };
  }
  return result;
}

/**
 * Start a file agent for `rootDir` (absolute). The child starts on the first request and again
 * after it was killed or died.
 */
export function createFileAgent(
  rootDir: string,
  options: { timeoutMs?: number } = {}
): IFileAgent {
  return new FileAgent(rootDir, options.timeoutMs ?? 15000);
}
