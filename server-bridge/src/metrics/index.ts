/**
 * The resource monitor's bridge module: one sampler pushed on the `metrics` channel, a
 * last-hour history kept all the time, and the same figures as Prometheus gauges.
 *
 * Wiring (server.ts):
 *
 *     const metrics = createMetricsModule({ config: config.metrics, listKernels: () =>
 *       jupyter.listKernels(), logger, registry, publish: (c, p) => hub.publish(c, p) });
 *     hub.registerChannel('metrics', metrics.channel);
 *     metrics.start();          // and metrics.stop() on shutdown
 */
import type { Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import type {
  KernelsResponse,
  MetricsChannelPayload,
  MetricsConfig
} from '../schema-types';
import {
  IMetricsPaths,
  resolveMetricsConfig,
  ResolvedMetricsConfig,
  Sampler
} from './sampler';

export type { IMetricsPaths, ResolvedMetricsConfig } from './sampler';
export { resolveMetricsConfig, Sampler } from './sampler';

/** The name of the pushed channel. */
export const METRICS_CHANNEL = 'metrics';

/** What the module needs from the bridge. */
export interface IMetricsModuleOptions {
  /** The `metrics` key of the bridge config (defaults filled in here). */
  config?: MetricsConfig;
  /** The Jupyter server's kernel list (pids, notebooks, activity). */
  listKernels: () => Promise<KernelsResponse>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** The bridge's Prometheus registry (`GET /metrics`). */
  registry: Registry;
  /** Push a payload to a channel's subscribers (the hub's publish). */
  publish: (channel: string, payload: MetricsChannelPayload) => void;
  /** Alternative roots of /proc, /sys/fs/cgroup, /etc/passwd... (tests). */
  paths?: IMetricsPaths;
}

/** The handlers the hub calls for the `metrics` channel. */
export interface IMetricsChannel {
  /** Someone watches: switch to the full rate. */
  onFirstSubscriber(): void;
  /** No one watches any more: back to the history rate. */
  onLastUnsubscribe(): void;
  /** The latest sample with the last-hour history, for a new subscriber; null before the first sample. */
  snapshot(): MetricsChannelPayload | null;
}

/** The monitor as the bridge sees it. */
export interface IMetricsModule {
  channel: IMetricsChannel;
  /** Start sampling (the history rate; the full rate follows the subscribers). */
  start(): void;
  /** Stop every timer and the nvidia-smi child (shutdown). */
  stop(): void;
  /** The sampler (tests and benchmarks). */
  sampler: Sampler;
  /** The config with its defaults. */
  config: ResolvedMetricsConfig;
}

/** Make the metrics module; nothing runs until start(). */
export function createMetricsModule(
  options: IMetricsModuleOptions
): IMetricsModule {
  const config = resolveMetricsConfig(options.config);
  const sampler = new Sampler({
    config,
    listKernels: options.listKernels,
    logger: options.logger,
    paths: options.paths,
    onSample: payload => options.publish(METRICS_CHANNEL, payload)
  });
  registerGauges(options.registry, sampler);
  return {
    config,
    sampler,
    channel: {
      onFirstSubscriber: () => sampler.setFast(true),
      onLastUnsubscribe: () => sampler.setFast(false),
      snapshot: () => {
        const latest = sampler.latest;
        return latest ? { ...latest, history: sampler.history.toJSON() } : null;
      }
    },
    start: () => sampler.start(),
    stop: () => sampler.stop()
  };
}

/**
 * The monitor's figures as Prometheus gauges. Each reads the latest sample at scrape time
 * (collect), so a scrape never starts a sample of its own; a null figure is left out rather
 * than exported as 0.
 */
export function registerGauges(registry: Registry, sampler: Sampler): void {
  const host = (
    name: string,
    help: string,
    pick: (p: MetricsChannelPayload) => number | null
  ): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const p = sampler.latest;
        const v = p ? pick(p) : null;
        this.reset();
        if (v !== null) {
          this.set(v);
        }
      }
    });
  };
  host(
    'mlinfn_host_cpu_percent',
    'CPU used, percent of the CPU limit.',
    p => p.host.cpuPercent
  );
  host(
    'mlinfn_host_cpu_used_cores',
    'CPU used, cores.',
    p => p.host.cpuUsedCores
  );
  host(
    'mlinfn_host_cpu_limit_cores',
    'CPU limit, cores.',
    p => p.host.cpuLimitCores
  );
  host(
    'mlinfn_host_memory_used_bytes',
    'Memory used (working set under a cgroup).',
    p => p.host.memUsedBytes
  );
  host(
    'mlinfn_host_memory_limit_bytes',
    'Memory limit.',
    p => p.host.memLimitBytes
  );
  host(
    'mlinfn_host_disk_used_bytes',
    "Disk used on the server root's file system.",
    p => p.host.diskUsedBytes
  );
  host(
    'mlinfn_host_disk_total_bytes',
    "Disk size (used + available) of the server root's file system.",
    p => p.host.diskTotalBytes
  );
  host(
    'mlinfn_host_network_receive_bytes_per_second',
    'Network receive rate.',
    p => p.host.netRxBytesPerSec
  );
  host(
    'mlinfn_host_network_transmit_bytes_per_second',
    'Network transmit rate.',
    p => p.host.netTxBytesPerSec
  );

  type GpuDevice = MetricsChannelPayload['gpu']['devices'][number];
  const gpu = (
    name: string,
    help: string,
    pick: (d: GpuDevice) => number | null
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['gpu', 'uuid', 'name'],
      registers: [registry],
      collect() {
        this.reset();
        for (const d of sampler.latest?.gpu.devices ?? []) {
          const v = pick(d);
          if (v !== null) {
            this.set(
              { gpu: String(d.index), uuid: d.uuid ?? '', name: d.name ?? '' },
              v
            );
          }
        }
      }
    });
  };
  gpu(
    'mlinfn_gpu_utilization_percent',
    'GPU utilisation.',
    d => d.utilizationPercent
  );
  gpu(
    'mlinfn_gpu_memory_used_bytes',
    'GPU memory used.',
    d => d.memoryUsedBytes
  );
  gpu(
    'mlinfn_gpu_memory_total_bytes',
    'GPU memory size.',
    d => d.memoryTotalBytes
  );
  gpu(
    'mlinfn_gpu_temperature_celsius',
    'GPU temperature.',
    d => d.temperatureCelsius
  );
  gpu('mlinfn_gpu_power_draw_watts', 'GPU power draw.', d => d.powerDrawWatts);
  gpu(
    'mlinfn_gpu_power_limit_watts',
    'GPU power limit.',
    d => d.powerLimitWatts
  );

  new Gauge({
    name: 'mlinfn_gpu_mig_memory_used_bytes',
    help: 'Memory used in a MIG GPU instance.',
    labelNames: ['gpu', 'gpu_instance'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of sampler.latest?.gpu.devices ?? []) {
        for (const m of d.migInstances) {
          if (m.memoryUsedBytes !== null) {
            this.set(
              {
                gpu: String(d.index),
                gpu_instance: String(m.gpuInstanceId ?? '')
              },
              m.memoryUsedBytes
            );
          }
        }
      }
    }
  });

  type Kernel = MetricsChannelPayload['kernels'][number];
  const kernel = (
    name: string,
    help: string,
    pick: (k: Kernel) => number | null
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['kernel', 'notebook'],
      registers: [registry],
      collect() {
        this.reset();
        for (const k of sampler.latest?.kernels ?? []) {
          const v = pick(k);
          if (v !== null) {
            this.set({ kernel: k.id, notebook: k.notebooks[0] ?? '' }, v);
          }
        }
      }
    });
  };
  kernel(
    'mlinfn_kernel_cpu_percent',
    'CPU of a kernel and its children, percent of one core.',
    k => k.cpuPercent
  );
  kernel(
    'mlinfn_kernel_memory_rss_bytes',
    'RSS of a kernel and its children.',
    k => k.rssBytes
  );
  kernel(
    'mlinfn_kernel_memory_pss_bytes',
    'PSS of a kernel and its children.',
    k => k.pssBytes
  );
  kernel(
    'mlinfn_kernel_gpu_memory_bytes',
    'GPU memory held by a kernel and its children.',
    k => k.gpuMemoryBytes
  );
  kernel(
    'mlinfn_kernel_idle_seconds',
    'Seconds an idle kernel has not executed.',
    k => k.idleSeconds
  );
  kernel(
    'mlinfn_kernel_idle_gpu_holder',
    '1 when a kernel holds GPU memory and has been idle too long.',
    k => (k.idleGpuHolder ? 1 : 0)
  );

  new Gauge({
    name: 'mlinfn_gpu_user_memory_bytes',
    help: 'GPU memory held per user (group view; empty where turned off or pids are not visible).',
    labelNames: ['user'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of sampler.latest?.gpu.users ?? []) {
        this.set({ user: u.user ?? `uid ${u.uid}` }, u.memoryBytes);
      }
    }
  });
  new Gauge({
    name: 'mlinfn_gpu_up',
    help: '1 when GPU readings are available (status ok), else 0.',
    registers: [registry],
    collect() {
      this.set(sampler.latest?.gpu.status === 'ok' ? 1 : 0);
    }
  });
}
