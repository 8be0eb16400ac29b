// Fakes for the unit tests: jobs and backends shaped like schema/burst-*.schema.json, and a
// bridge client whose REST answers are jest mocks and whose pushed channels a test plays.
import type {
  BurstBackendInfo,
  BurstJob,
  ChannelHandler,
  ConnectionState,
  IBridgeClient
} from '@mlinfn/common';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

export const T0 = 1_764_000_000_000;

/**
 * A job as the bridge sends it.
 */
export function job(overrides: Partial<BurstJob> = {}): BurstJob {
  return {
    id: 'job00001',
    backend: 'pool',
    backendKind: 'htcondor',
    backendTitle: 'INFN pool',
    notebookPath: 'work/train.ipynb',
    cellId: 'cell-3',
    state: 'queued',
    resources: { cpus: 1, memoryMB: 2048, gpus: 0, walltimeMinutes: 60 },
    liveLogs: 'at-completion',
    createdAt: T0,
    hasOutputs: false,
    delivery: 'none',
    ...overrides
  };
}

/**
 * A backend as `GET /api/burst/backends` lists it.
 */
export function backend(
  overrides: Partial<BurstBackendInfo> = {}
): BurstBackendInfo {
  return {
    id: 'pool',
    kind: 'htcondor',
    title: 'INFN pool',
    description: 'HTCondor pool at 127.0.0.1:9618',
    resources: {
      defaults: { cpus: 1, memoryMB: 2048, gpus: 0, walltimeMinutes: 60 },
      limits: { cpus: 16, memoryMB: 65536, gpus: 2, walltimeMinutes: 2880 },
      supports: {
        cpus: true,
        memoryMB: true,
        gpus: true,
        walltimeMinutes: true,
        image: true
      }
    },
    liveLogs: 'at-completion',
    available: true,
    ...overrides
  };
}

/**
 * The local backend: walltime only.
 */
export function localBackend(): BurstBackendInfo {
  return backend({
    id: 'local',
    kind: 'local',
    title: 'This machine',
    description: 'A child process next to the bridge',
    liveLogs: 'stream',
    resources: {
      defaults: { cpus: 1, memoryMB: 1024, gpus: 0, walltimeMinutes: 30 },
      limits: { cpus: 2, memoryMB: 4096, gpus: 0, walltimeMinutes: 600 },
      supports: {
        cpus: false,
        memoryMB: false,
        gpus: false,
        walltimeMinutes: true,
        image: false
      }
    }
  });
}

/**
 * A bridge client: `request` is a jest mock (answer with `mockResolvedValueOnce` or
 * `respond`), `push` plays a pushed payload on a channel.
 */
export class FakeClient {
  readonly stateChanged = new Signal<IBridgeClient, ConnectionState>(
    this as unknown as IBridgeClient
  );
  state: ConnectionState = 'connected';
  request = jest.fn<Promise<unknown>, [string, RequestInit?]>(async () => ({
    jobs: []
  }));
  reportError = jest.fn(async () => undefined);
  handlers = new Map<string, Set<ChannelHandler>>();

  /**
   * Answer requests from a function of the endpoint and the options.
   */
  respond(answer: (endPoint: string, init?: RequestInit) => unknown): void {
    this.request.mockImplementation(async (endPoint, init) => {
      const value = answer(endPoint, init);
      if (value instanceof Error) {
        throw value;
      }
      return value;
    });
  }

  subscribe<T>(channel: string, handler: ChannelHandler<T>): IDisposable {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler as ChannelHandler);
    return new DisposableDelegate(() => {
      set!.delete(handler as ChannelHandler);
      if (set!.size === 0) {
        this.handlers.delete(channel);
      }
    });
  }

  push(channel: string, payload: unknown): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      handler(payload, channel);
    }
  }

  asClient(): IBridgeClient {
    return this as unknown as IBridgeClient;
  }
}

/**
 * Let pending promises settle.
 */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}
