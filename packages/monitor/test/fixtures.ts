// Fakes for the unit tests: payloads shaped like schema/metrics-channel.schema.json and a
// bridge client whose pushed channel a test plays.
import type {
  ChannelHandler,
  ConnectionState,
  HealthResponse,
  IBridgeClient,
  MetricsChannelPayload,
  MetricsGpu,
  MetricsGpuDevice,
  MetricsHistoryPoint,
  MetricsHost,
  MetricsKernel
} from '@mlinfn/common';
import { BridgeError } from '@mlinfn/common';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

export const GB = 1e9;
export const MiB = 1024 * 1024;

/**
 * A host: 2 cores, 4 of 16 GB used, limits from cgroup v2.
 */
export function host(overrides: Partial<MetricsHost> = {}): MetricsHost {
  return {
    cpuPercent: 25,
    cpuUsedCores: 0.5,
    cpuLimitCores: 2,
    cpuLimitSource: 'cgroup2',
    memUsedBytes: 4 * GB,
    memLimitBytes: 16 * GB,
    limitSource: 'cgroup2',
    diskUsedBytes: 20 * GB,
    diskTotalBytes: 100 * GB,
    netRxBytesPerSec: 1000,
    netTxBytesPerSec: 500,
    ...overrides
  };
}

/**
 * A GPU: a T4 with 5 of 16 GB used.
 */
export function device(
  overrides: Partial<MetricsGpuDevice> = {}
): MetricsGpuDevice {
  return {
    index: 0,
    uuid: 'GPU-0',
    name: 'Tesla T4',
    utilizationPercent: 37,
    memoryUsedBytes: 5 * GB,
    memoryTotalBytes: 16 * GB,
    temperatureCelsius: 46,
    powerDrawWatts: 34.5,
    powerLimitWatts: 70,
    migMode: false,
    migInstances: [],
    processCount: 1,
    ...overrides
  };
}

/**
 * The GPU block: ok with the given devices, pids visible.
 */
export function gpu(overrides: Partial<MetricsGpu> = {}): MetricsGpu {
  return {
    status: 'ok',
    message: null,
    source: 'nvidia-smi',
    pidsVisible: true,
    devices: [device()],
    users: [],
    ...overrides
  };
}

/**
 * The GPU block of a machine without a driver.
 */
export function noDriver(): MetricsGpu {
  return {
    status: 'no-driver',
    message: 'nvidia-smi was not found.',
    source: 'nvidia-smi',
    pidsVisible: null,
    devices: [],
    users: []
  };
}

/**
 * A kernel of `analysis.ipynb`, idle for a minute, holding 3 GB of GPU memory.
 */
export function kernel(overrides: Partial<MetricsKernel> = {}): MetricsKernel {
  return {
    id: 'k1',
    name: 'python3',
    pid: 4300,
    notebooks: ['work/analysis.ipynb'],
    executionState: 'idle',
    lastActivity: '2025-11-25T10:00:00Z',
    processCount: 1,
    cpuPercent: 1.5,
    rssBytes: 700e6,
    pssBytes: 650e6,
    gpuMemoryBytes: 3 * GB,
    gpuDevices: [0],
    idleSeconds: 60,
    idleGpuHolder: false,
    ...overrides
  };
}

/**
 * A live payload at `time`.
 */
export function payload(
  time: number,
  overrides: Partial<MetricsChannelPayload> = {}
): MetricsChannelPayload {
  return {
    time,
    intervalSeconds: 1,
    host: host(),
    kernels: [kernel()],
    gpu: gpu(),
    ...overrides
  };
}

/**
 * A history point at `time`.
 */
export function point(
  time: number,
  overrides: Partial<MetricsHistoryPoint> = {}
): MetricsHistoryPoint {
  return {
    time,
    cpuPercent: 10,
    memUsedBytes: 3 * GB,
    memLimitBytes: 16 * GB,
    gpus: [
      {
        index: 0,
        utilizationPercent: 20,
        memoryUsedBytes: 4 * GB,
        memoryTotalBytes: 16 * GB
      }
    ],
    ...overrides
  };
}

/**
 * A snapshot at `time` with history points at the given times.
 */
export function snapshot(
  time: number,
  historyTimes: number[],
  overrides: Partial<MetricsChannelPayload> = {}
): MetricsChannelPayload {
  return {
    ...payload(time, overrides),
    history: {
      intervalSeconds: 10,
      points: historyTimes.map(t => point(t))
    }
  };
}

/**
 * A bridge client whose `metrics` channel the test plays.
 */
export class FakeClient implements Partial<IBridgeClient> {
  state: ConnectionState = 'connected';
  readonly stateChanged = new Signal<any, ConnectionState>(this);
  handlers = new Set<ChannelHandler<any>>();
  subscribeCount = 0;
  channels: string[] = [];
  healthAnswer: HealthResponse | BridgeError = {
    status: 'ok',
    version: '0.1.0',
    uptimeSeconds: 5
  } as HealthResponse;

  get subscribed(): boolean {
    return this.handlers.size > 0;
  }

  subscribe<T>(channel: string, handler: ChannelHandler<T>): IDisposable {
    this.subscribeCount++;
    this.channels.push(channel);
    this.handlers.add(handler as ChannelHandler<any>);
    return new DisposableDelegate(() => {
      this.handlers.delete(handler as ChannelHandler<any>);
    });
  }

  push(data: MetricsChannelPayload): void {
    for (const h of [...this.handlers]) {
      h(data, 'metrics');
    }
  }

  setState(state: ConnectionState): void {
    this.state = state;
    this.stateChanged.emit(state);
  }

  health(): Promise<HealthResponse> {
    const answer = this.healthAnswer;
    return answer instanceof BridgeError
      ? Promise.reject(answer)
      : Promise.resolve(answer);
  }

  asClient(): IBridgeClient {
    return this as unknown as IBridgeClient;
  }
}

/**
 * Let pending promise callbacks run.
 */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await Promise.resolve();
  }
}
