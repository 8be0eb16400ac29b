/**
 * A few worker threads (range-worker.ts) shared by every staging of a bridge: started on first
 * use, one per core at most, ended after a while without work. Requests carry an id; progress
 * and answers come back as messages. A worker that dies fails its requests as transient (they
 * are retried on a fresh one).
 */
import { Worker } from 'node:worker_threads';
import { rangeWorkerMain } from './range-worker';
import type {
  IWorkerFailure,
  WorkerReply,
  WorkerRequest
} from './worker-protocol';

/** A request that failed in a worker. */
export class WorkerFailure extends Error {
  constructor(readonly info: IWorkerFailure) {
    super(info.message);
    this.name = 'WorkerFailure';
  }
}

/** A request without its id (the pool numbers them). */
export type PoolRequest = WorkerRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

interface IPending {
  resolve(result: Record<string, unknown>): void;
  reject(err: WorkerFailure): void;
  onProgress?: (bytes: number) => void;
}

interface ISlot {
  worker: Worker;
  pending: Map<number, IPending>;
  /** Hash sessions open on this worker (it must not be ended under them). */
  sessions: number;
}

/** How long the threads wait for more work before they end. */
const IDLE_MS = 30000;

const SOURCE = `(${rangeWorkerMain.toString()})()`;

export class WorkerPool {
  /**
   * @param threads - at most this many threads (more requests share them: each thread serves
   * several sockets at once).
   */
  constructor(private readonly _threads: number) {}

  /** The slot to send to: a new thread while fewer than allowed, else the least busy. */
  pick(): number {
    if (this._slots.length < this._threads) {
      this._slots.push(this._spawn());
      return this._slots.length - 1;
    }
    let best = 0;
    for (let i = 1; i < this._slots.length; i++) {
      if (this._slots[i].pending.size < this._slots[best].pending.size) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Run one request; `slot` pins it to a thread (hash sessions live in one thread). Aborting
   * `signal` cancels a GET in flight (it then fails with `cancelled`).
   */
  run(
    request: PoolRequest,
    options: {
      slot?: number;
      signal?: AbortSignal;
      onProgress?: (bytes: number) => void;
    } = {}
  ): Promise<Record<string, unknown>> {
    this._stopIdleTimer();
    const index = options.slot ?? this.pick();
    const slot = this._slots[index] ?? this._slots[this.pick()];
    const id = ++this._ids;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const cancel = () =>
        slot.worker.postMessage({
          type: 'cancel',
          id: ++this._ids,
          target: id
        });
      options.signal?.addEventListener('abort', cancel, { once: true });
      const done = () => {
        options.signal?.removeEventListener('abort', cancel);
        if (request.type === 'open') {
          slot.sessions++;
        } else if (request.type === 'close') {
          slot.sessions = Math.max(0, slot.sessions - 1);
        }
        this._maybeIdle();
      };
      slot.pending.set(id, {
        resolve: result => {
          done();
          resolve(result);
        },
        reject: err => {
          done();
          reject(err);
        },
        onProgress: options.onProgress
      });
      slot.worker.postMessage({ ...request, id } as WorkerRequest);
      if (options.signal?.aborted) {
        cancel();
      }
    });
  }

  /** End every thread (what they were doing fails as cancelled). */
  async close(): Promise<void> {
    this._stopIdleTimer();
    const slots = this._slots.splice(0);
    for (const slot of slots) {
      this._failAll(slot, {
        transient: false,
        cancelled: true,
        message: 'the staging was cancelled',
        received: 0
      });
    }
    await Promise.all(slots.map(s => s.worker.terminate()));
  }

  private _spawn(): ISlot {
    const worker = new Worker(SOURCE, { eval: true });
    worker.unref();
    const slot: ISlot = { worker, pending: new Map(), sessions: 0 };
    worker.on('message', (reply: WorkerReply) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) {
        return;
      }
      if (reply.type === 'progress') {
        pending.onProgress?.(reply.bytes);
        return;
      }
      slot.pending.delete(reply.id);
      if (reply.type === 'done') {
        pending.resolve(reply.result);
      } else {
        pending.reject(new WorkerFailure(reply.failure));
      }
    });
    const lost = () => {
      const at = this._slots.indexOf(slot);
      if (at >= 0) {
        this._slots.splice(at, 1);
      }
      this._failAll(slot, {
        transient: true,
        message: 'the staging worker stopped',
        received: 0
      });
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return slot;
  }

  private _failAll(slot: ISlot, info: IWorkerFailure): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) {
      p.reject(new WorkerFailure(info));
    }
  }

  private _maybeIdle(): void {
    const busy = this._slots.some(s => s.pending.size > 0 || s.sessions > 0);
    if (busy || this._slots.length === 0 || this._idleTimer) {
      return;
    }
    this._idleTimer = setTimeout(() => {
      this._idleTimer = undefined;
      if (!this._slots.some(s => s.pending.size > 0 || s.sessions > 0)) {
        void this.close();
      }
    }, IDLE_MS);
    this._idleTimer.unref();
  }

  private _stopIdleTimer(): void {
    if (this._idleTimer) {
      clearTimeout(this._idleTimer);
      this._idleTimer = undefined;
    }
  }

  private readonly _slots: ISlot[] = [];
  private _ids = 0;
  private _idleTimer: ReturnType<typeof setTimeout> | undefined;
}
