/**
 * The one sampler: host, kernels and GPUs in one payload per tick.
 *
 * It always runs at the history rate (so the last-hour history exists when someone opens the
 * panel) and switches to the full rate only while the metrics channel has subscribers. Ticks
 * never overlap: the next one is scheduled when the last has finished.
 */
import type { Logger } from 'pino';
import type {
  KernelsResponse,
  MetricsChannelPayload,
  MetricsConfig,
  MetricsHistoryPoint,
  MetricsHost,
  MetricsKernel
} from '../schema-types';
import {
  attributeGpu,
  groupByUser,
  IGpuAttribution,
  UserNames
} from './attribution';
import { CpuTracker } from './cpu';
import { DiskProbe } from './disk';
import { GpuMonitor } from './gpu/monitor';
import { HistoryRing } from './history';
import { idleSeconds, isIdleGpuHolder } from './idle';
import { KernelTracker } from './kernels';
import { IContainerLimits, readCgroupUsage, readLimits } from './limits';
import { ProcessTracker } from './processes';
import {
  detectPageSize,
  parseMeminfo,
  parseNetDev,
  parseProcStat
} from './procfs';
import { readProcFile } from './util';

/** Where the sampler reads from; every path defaults to the real one. */
export interface IMetricsPaths {
  procRoot?: string;
  cgroupRoot?: string;
  passwdPath?: string;
  /** The directory whose disk is reported; default $MLINFN_ROOT_DIR, else the cwd. */
  rootDir?: string;
  env?: NodeJS.ProcessEnv;
  dfPath?: string;
  /** Extra environment for the nvidia-smi child (tests point it at a fixture). */
  gpuEnv?: NodeJS.ProcessEnv;
  /** nvidia-smi retry delays (tests shorten them). */
  gpuSlowRetryMs?: number;
  gpuMinBackoffMs?: number;
}

/** The config with every default filled in. */
export type ResolvedMetricsConfig = Required<Omit<MetricsConfig, 'gpu'>> & {
  gpu: NonNullable<MetricsConfig['gpu']>;
};

/** Fill in the defaults the schema documents. */
export function resolveMetricsConfig(
  config: MetricsConfig = {}
): ResolvedMetricsConfig {
  return {
    intervalSeconds: config.intervalSeconds ?? 1,
    historyIntervalSeconds: config.historyIntervalSeconds ?? 10,
    historySeconds: config.historySeconds ?? 3600,
    pssIntervalSeconds: config.pssIntervalSeconds ?? 15,
    kernelRefreshSeconds: config.kernelRefreshSeconds ?? 5,
    diskIntervalSeconds: config.diskIntervalSeconds ?? 60,
    idleGpuMinutes: config.idleGpuMinutes ?? 30,
    groupView: config.groupView ?? true,
    gpu: {
      source: config.gpu?.source ?? 'auto',
      nvidiaSmiPath: config.gpu?.nvidiaSmiPath ?? 'nvidia-smi',
      dcgmTimeoutSeconds: config.gpu?.dcgmTimeoutSeconds ?? 2,
      ...(config.gpu?.dcgmUrl ? { dcgmUrl: config.gpu.dcgmUrl } : {})
    }
  };
}

/** What the sampler needs. */
export interface ISamplerOptions {
  config: ResolvedMetricsConfig;
  listKernels: () => Promise<KernelsResponse>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  paths?: IMetricsPaths;
  /** Called with each payload taken at the full rate (while someone watches). */
  onSample?: (payload: MetricsChannelPayload) => void;
}

/** Limits change rarely (a resize): re-read them this often. */
const LIMITS_MAX_AGE_MS = 30_000;

/** The sampler; see the file comment. */
export class Sampler {
  constructor(options: ISamplerOptions) {
    this._options = options;
    const { config } = options;
    const paths = options.paths ?? {};
    this._procRoot = paths.procRoot ?? '/proc';
    this._statPath = `${this._procRoot}/stat`;
    this._meminfoPath = `${this._procRoot}/meminfo`;
    this._netDevPath = `${this._procRoot}/net/dev`;
    // Full /proc scans at the kernel-list rate; the kernels' trees every sample.
    this._procs = new ProcessTracker(
      this._procRoot,
      config.kernelRefreshSeconds * 1000
    );
    this.history = new HistoryRing(
      config.historyIntervalSeconds,
      config.historySeconds
    );
    this._kernels = new KernelTracker({
      listKernels: options.listKernels,
      refreshMs: config.kernelRefreshSeconds * 1000,
      pssIntervalMs: config.pssIntervalSeconds * 1000,
      procRoot: this._procRoot,
      logger: options.logger
    });
    this.gpu = new GpuMonitor({
      config: config.gpu,
      intervalMs: config.historyIntervalSeconds * 1000,
      logger: options.logger,
      env: paths.gpuEnv,
      slowRetryMs: paths.gpuSlowRetryMs,
      minBackoffMs: paths.gpuMinBackoffMs
    });
    const env = paths.env ?? process.env;
    this._disk = new DiskProbe(
      paths.rootDir ?? env.MLINFN_ROOT_DIR ?? process.cwd(),
      config.diskIntervalSeconds * 1000,
      5000,
      paths.dfPath
    );
    this._names = new UserNames(paths.passwdPath);
  }

  /** The low-rate history (last hour). */
  readonly history: HistoryRing;
  /** The GPU sources. */
  readonly gpu: GpuMonitor;

  /** The latest payload, or null before the first sample. */
  get latest(): MetricsChannelPayload | null {
    return this._latest;
  }

  /** Whether the full rate is on (someone watches). */
  get fast(): boolean {
    return this._fast;
  }

  /** Start: the GPU loop, the history-rate ticks, and a first sample at once. */
  start(): void {
    if (this._running) {
      return;
    }
    this._running = true;
    this.gpu.start();
    this._schedule(0);
  }

  /** Stop every timer and child process. */
  stop(): void {
    this._running = false;
    clearTimeout(this._timer);
    this._timer = undefined;
    this.gpu.stop();
  }

  /** Full rate on (first subscriber) or off (last one left). */
  setFast(fast: boolean): void {
    if (fast === this._fast) {
      return;
    }
    this._fast = fast;
    const { config } = this._options;
    this.gpu.setIntervalMs(
      (fast ? config.intervalSeconds : config.historyIntervalSeconds) * 1000
    );
    if (this._running && !this._ticking) {
      // Take the next sample now rather than at the end of a long slow interval.
      clearTimeout(this._timer);
      this._schedule(0);
    }
  }

  /** Number of ticks taken (tests). */
  get ticks(): number {
    return this._tickCount;
  }

  private _intervalMs(): number {
    const c = this._options.config;
    return (this._fast ? c.intervalSeconds : c.historyIntervalSeconds) * 1000;
  }

  private _schedule(delay: number): void {
    this._timer = setTimeout(() => void this._tick(), delay);
    this._timer.unref();
  }

  private async _tick(): Promise<void> {
    if (!this._running || this._ticking) {
      return;
    }
    this._ticking = true;
    const started = Date.now();
    try {
      const payload = await this.sample(started);
      this._tickCount++;
      let point: MetricsHistoryPoint | undefined;
      if (this.history.due(payload.time)) {
        point = historyPoint(payload);
        this.history.push(point);
      }
      this._latest = payload;
      if (this._fast && this._running) {
        this._options.onSample?.(
          point ? { ...payload, historyPoint: point } : payload
        );
      }
    } catch (err) {
      this._options.logger.warn({ err }, 'metrics sample failed');
    } finally {
      this._ticking = false;
      if (this._running) {
        const elapsed = Date.now() - started;
        this._schedule(Math.max(0, this._intervalMs() - elapsed));
      }
    }
  }

  /** The process table the samples read (tests, diagnostics). */
  get processes(): ProcessTracker {
    return this._procs;
  }

  /**
   * Take one sample now (also used by tests and benchmarks directly).
   *
   * What it reads: the host's pseudo-files (/proc/stat, /proc/meminfo or the cgroup's files,
   * /proc/net/dev) and the kernels' process trees, synchronously (util.readProcFile says why
   * that is safe); every /proc/<pid>/stat only at the full-scan rate (ProcessTracker);
   * smaps_rollup async at the PSS rate; the disk in a `df` child; the GPU from the
   * long-lived loop's latest reading. Nothing under the Jupyter root is read in-process.
   */
  async sample(now = Date.now()): Promise<MetricsChannelPayload> {
    const { config } = this._options;
    const paths = this._options.paths ?? {};
    const proc = this._procRoot;
    if (!this._pageSizeKnown) {
      this._pageSizeKnown = true;
      detectPageSize(proc);
    }
    if (!this._limits || now - this._limitsAt > LIMITS_MAX_AGE_MS) {
      this._limits = await readLimits({
        cgroupRoot: paths.cgroupRoot,
        procRoot: proc,
        env: paths.env
      });
      this._limitsAt = now;
    }
    const limits = this._limits;
    this._disk.poll(now);
    // The first call waits for the kernel list; later ones refresh it in the background.
    const [gpu] = await Promise.all([
      this.gpu.read(),
      this._kernels.refresh(now)
    ]);
    const statText = readProcFile(this._statPath);
    const memText = readProcFile(this._meminfoPath);
    const netText = readProcFile(this._netDevPath);
    const usage = readCgroupUsage(limits.cgroup);
    const host = this._host(now, limits, statText, memText, netText, usage);

    // A GPU process the table does not know (a kernel's new child that just took GPU memory)
    // makes this sample a full scan, so that it is charged to its notebook at once.
    const reading = gpu.reading;
    const gpuPids = reading?.processes?.length
      ? reading.processes.map(p => p.pid)
      : undefined;
    await this._procs.update(now, this._kernels.pids, gpuPids);

    this._cpu ??= new CpuTracker(
      statText ? (parseProcStat(statText).bootTime ?? 0) * 1000 || null : null
    );
    this._cpu.begin(now);
    const usages = await this._kernels.measure(this._procs, this._cpu, now);
    this._cpu.end();

    const devices = reading?.devices ?? [];
    const processes = reading ? reading.processes : null;
    let attribution: IGpuAttribution | null = null;
    if (reading) {
      const owner = new Map<number, string>();
      for (const u of usages) {
        for (const pid of u.pids) {
          owner.set(pid, u.info.id);
        }
      }
      attribution = attributeGpu(processes, devices, this._procs, owner);
    }
    const users =
      config.groupView && attribution && processes
        ? await groupByUser(
            attribution,
            processes,
            devices,
            await this._names.get(now),
            proc
          )
        : [];

    const kernels: MetricsKernel[] = usages.map(u => {
      const use = attribution?.perKernel.get(u.info.id);
      const gpuMemoryBytes =
        attribution?.pidsVisible === true ? (use?.bytes ?? 0) : null;
      const idle = idleSeconds(u.info.executionState, u.info.lastActivity, now);
      return {
        id: u.info.id,
        name: u.info.name,
        pid: u.info.pid,
        notebooks: u.info.sessions.map(s => s.path),
        executionState: u.info.executionState,
        lastActivity: u.info.lastActivity,
        processCount: u.pids.length,
        cpuPercent: round(u.cpuPercent),
        rssBytes: u.rssBytes,
        pssBytes: u.pssBytes,
        gpuMemoryBytes,
        gpuDevices: use ? [...use.devices].sort((a, b) => a - b) : [],
        idleSeconds: idle === null ? null : Math.round(idle),
        idleGpuHolder: isIdleGpuHolder(
          gpuMemoryBytes,
          idle,
          config.idleGpuMinutes
        )
      };
    });

    const message =
      gpu.message && attribution?.message
        ? `${gpu.message}. ${attribution.message}`
        : gpu.message || attribution?.message || null;
    return {
      time: now,
      intervalSeconds: this._intervalMs() / 1000,
      host,
      kernels,
      gpu: {
        status: gpu.status,
        message,
        source: gpu.source,
        pidsVisible: attribution?.pidsVisible ?? null,
        devices,
        users
      }
    };
  }

  private _host(
    now: number,
    limits: IContainerLimits,
    statText: string | null,
    memText: string | null,
    netText: string | null,
    usage: { memUsedBytes: number | null; cpuSeconds: number | null }
  ): MetricsHost {
    // CPU: the cgroup's own usage where a cgroup (or the spawner) sets the limit, so that a
    // container is measured against its quota; the whole host's /proc/stat otherwise.
    let cpuUsedCores: number | null = null;
    const useCgroupCpu =
      limits.cpuSource !== 'host' && usage.cpuSeconds !== null;
    if (useCgroupCpu && usage.cpuSeconds !== null) {
      const prev = this._prevCgroupCpu;
      this._prevCgroupCpu = { at: now, seconds: usage.cpuSeconds };
      if (prev && now > prev.at) {
        cpuUsedCores = Math.max(
          0,
          (usage.cpuSeconds - prev.seconds) / ((now - prev.at) / 1000)
        );
      }
    } else if (statText) {
      const { cpu } = parseProcStat(statText);
      const prev = this._prevHostCpu;
      this._prevHostCpu = cpu;
      if (prev && cpu.total > prev.total) {
        cpuUsedCores =
          ((cpu.busy - prev.busy) / (cpu.total - prev.total)) * limits.hostCpus;
      }
    }
    const mem = memText ? parseMeminfo(memText) : null;
    const hostUsed =
      mem && mem.totalBytes !== null && mem.availableBytes !== null
        ? mem.totalBytes - mem.availableBytes
        : null;
    const memUsedBytes =
      limits.memSource !== 'host' && usage.memUsedBytes !== null
        ? usage.memUsedBytes
        : hostUsed;

    let netRx: number | null = null;
    let netTx: number | null = null;
    if (netText) {
      const net = parseNetDev(netText);
      const prev = this._prevNet;
      this._prevNet = { at: now, ...net };
      if (
        prev &&
        now > prev.at &&
        net.rxBytes >= prev.rxBytes &&
        net.txBytes >= prev.txBytes
      ) {
        const dt = (now - prev.at) / 1000;
        netRx = Math.round((net.rxBytes - prev.rxBytes) / dt);
        netTx = Math.round((net.txBytes - prev.txBytes) / dt);
      }
    }
    const disk = this._disk.latest;
    return {
      cpuPercent:
        cpuUsedCores === null
          ? null
          : round((cpuUsedCores / limits.cpuLimitCores) * 100),
      cpuUsedCores: round(cpuUsedCores, 3),
      cpuLimitCores: limits.cpuLimitCores,
      cpuLimitSource: limits.cpuSource,
      memUsedBytes,
      memLimitBytes: limits.memLimitBytes,
      limitSource: limits.memSource,
      diskUsedBytes: disk?.usedBytes ?? null,
      diskTotalBytes: disk?.totalBytes ?? null,
      netRxBytesPerSec: netRx,
      netTxBytesPerSec: netTx
    };
  }

  private _options: ISamplerOptions;
  private _procRoot: string;
  private _procs: ProcessTracker;
  private readonly _statPath: string;
  private readonly _meminfoPath: string;
  private readonly _netDevPath: string;
  private _kernels: KernelTracker;
  private _disk: DiskProbe;
  private _names: UserNames;
  private _cpu: CpuTracker | null = null;
  private _limits: IContainerLimits | null = null;
  private _limitsAt = 0;
  private _pageSizeKnown = false;
  private _prevHostCpu: { busy: number; total: number } | null = null;
  private _prevCgroupCpu: { at: number; seconds: number } | null = null;
  private _prevNet: { at: number; rxBytes: number; txBytes: number } | null =
    null;
  private _latest: MetricsChannelPayload | null = null;
  private _running = false;
  private _fast = false;
  private _ticking = false;
  private _tickCount = 0;
  private _timer?: NodeJS.Timeout;
}

/** A history point from a sample. */
export function historyPoint(p: MetricsChannelPayload): MetricsHistoryPoint {
  return {
    time: p.time,
    cpuPercent: p.host.cpuPercent,
    memUsedBytes: p.host.memUsedBytes,
    memLimitBytes: p.host.memLimitBytes,
    gpus: p.gpu.devices.map(d => ({
      index: d.index,
      utilizationPercent: d.utilizationPercent,
      memoryUsedBytes: d.memoryUsedBytes,
      memoryTotalBytes: d.memoryTotalBytes
    }))
  };
}

function round(v: number | null, digits = 1): number | null {
  if (v === null) {
    return null;
  }
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
