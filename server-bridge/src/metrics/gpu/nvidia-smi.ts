/**
 * GPU readings from ONE long-lived `nvidia-smi -q -x -lms <interval>` process, stream-parsed.
 *
 * Why `-q -x` and not `--query-gpu=... --format=csv`: the XML query gives, in one consistent
 * snapshot per loop, the devices, the MIG mode and each MIG instance's memory, and the processes
 * with their GPU and MIG instance. The CSV route needs a second loop (`--query-compute-apps`)
 * whose rows arrive out of step with the first, and has no MIG instance memory at all. One
 * child process for the bridge's whole life, never one per sample: starting nvidia-smi costs
 * far more than a loop iteration.
 *
 * States: a missing binary or an unloaded driver is `no-driver`, "No devices were found" is
 * `no-gpu`; either is logged once and retried only slowly (a driver may be loaded later), so
 * there is no error loop. Any other death restarts with exponential backoff.
 */
import { ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { MetricsGpuDevice, MetricsMigInstance } from '../../schema-types';
import { IGpuProcess, IGpuReading, IGpuSourceState, smiNumber } from './types';
import { child, childrenNamed, IXmlNode, parseXml, textAt } from './xml';

/** Turn one `<nvidia_smi_log>` document into a reading. */
export function parseNvidiaSmiXml(xml: string, time = Date.now()): IGpuReading {
  const root = parseXml(xml);
  if (root.name !== 'nvidia_smi_log') {
    throw new Error(`not an nvidia-smi log: <${root.name}>`);
  }
  const devices: MetricsGpuDevice[] = [];
  const processes: IGpuProcess[] = [];
  // nvidia-smi lists GPUs in PCI bus order, the order of its own indices.
  childrenNamed(root, 'gpu').forEach((gpu, index) => {
    const uuid = textAt(gpu, 'uuid') ?? null;
    const migMode = textAt(gpu, 'mig_mode', 'current_mig') === 'Enabled';
    // 535+ drivers: gpu_power_readings; older ones: power_readings. 550+ split power_draw into
    // average_power_draw and instant_power_draw.
    const power =
      child(gpu, 'gpu_power_readings') ?? child(gpu, 'power_readings');
    const draw =
      smiNumber(textAt(power, 'power_draw')) ??
      smiNumber(textAt(power, 'average_power_draw')) ??
      smiNumber(textAt(power, 'instant_power_draw'));
    const limit =
      smiNumber(textAt(power, 'current_power_limit')) ??
      smiNumber(textAt(power, 'power_limit')) ??
      smiNumber(textAt(power, 'enforced_power_limit'));
    const migInstances: MetricsMigInstance[] = childrenNamed(
      child(gpu, 'mig_devices'),
      'mig_device'
    ).map((mig: IXmlNode): MetricsMigInstance => ({
      gpuInstanceId: smiNumber(textAt(mig, 'gpu_instance_id')),
      computeInstanceId: smiNumber(textAt(mig, 'compute_instance_id')),
      // nvidia-smi -q does not name the profile; DCGM does (GPU_I_PROFILE).
      profile: null,
      memoryUsedBytes: smiNumber(textAt(mig, 'fb_memory_usage', 'used')),
      memoryTotalBytes: smiNumber(textAt(mig, 'fb_memory_usage', 'total')),
      // NVML gives no utilisation per MIG instance; only DCGM's profiling metrics do.
      utilizationPercent: null
    }));
    const procs = childrenNamed(child(gpu, 'processes'), 'process_info');
    for (const p of procs) {
      const pid = smiNumber(textAt(p, 'pid'));
      if (pid === null) {
        continue;
      }
      processes.push({
        pid,
        gpuIndex: index,
        gpuUuid: uuid,
        usedMemoryBytes: smiNumber(textAt(p, 'used_memory')),
        gpuInstanceId: smiNumber(textAt(p, 'gpu_instance_id')),
        computeInstanceId: smiNumber(textAt(p, 'compute_instance_id'))
      });
    }
    devices.push({
      index,
      uuid,
      name: textAt(gpu, 'product_name') ?? null,
      utilizationPercent: smiNumber(textAt(gpu, 'utilization', 'gpu_util')),
      memoryUsedBytes: smiNumber(textAt(gpu, 'fb_memory_usage', 'used')),
      memoryTotalBytes: smiNumber(textAt(gpu, 'fb_memory_usage', 'total')),
      temperatureCelsius: smiNumber(textAt(gpu, 'temperature', 'gpu_temp')),
      powerDrawWatts: draw,
      powerLimitWatts: limit,
      migMode,
      migInstances,
      processCount: procs.length
    });
  });
  return { time, devices, processes };
}

const DOC_END = '</nvidia_smi_log>';

/**
 * Splits nvidia-smi's endless stdout into whole XML documents.
 *
 * Text outside any document (the driver's failure message) is kept, bounded, for diagnosis.
 */
export class XmlDocumentSplitter {
  constructor(private readonly maxBufferChars = 16 * 1024 * 1024) {}

  /** Feed a chunk; returns the documents it completed. */
  push(chunk: string): string[] {
    this._buffer += chunk;
    const docs: string[] = [];
    for (;;) {
      const end = this._buffer.indexOf(DOC_END);
      if (end < 0) {
        break;
      }
      const cut = end + DOC_END.length;
      docs.push(this._buffer.slice(0, cut));
      this._buffer = this._buffer.slice(cut);
    }
    if (this._buffer.length > this.maxBufferChars) {
      // Never a document end in 16 MiB: this is not nvidia-smi XML. Keep memory bounded.
      this._buffer = this._buffer.slice(-4096);
    }
    return docs;
  }

  /** Text received since the last complete document (at most the buffer bound). */
  get pending(): string {
    return this._buffer;
  }

  private _buffer = '';
}

/** The nvidia-smi loop's settings. */
export interface INvidiaSmiOptions {
  /** The executable; default `nvidia-smi` from PATH. */
  path?: string;
  /** Loop interval, ms. */
  intervalMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Extra environment for the child (tests). */
  env?: NodeJS.ProcessEnv;
  /** First restart delay after a crash, ms (doubles up to maxBackoffMs). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Retry delay after no-driver / no-gpu, ms (default 10 min): slow, never a storm. */
  slowRetryMs?: number;
  /** Kill and restart when no document arrives for this long; default max(5 intervals, 30 s). */
  stallMs?: number;
  /** Called with each new reading. */
  onReading?: (reading: IGpuReading) => void;
}

/** SIGKILL a child's whole process group (it was spawned detached), else the child alone. */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) {
      process.kill(-child.pid, 'SIGKILL');
      return;
    }
  } catch {
    // the group is already gone
  }
  child.kill('SIGKILL');
}

const NO_DRIVER =
  /couldn't communicate with the NVIDIA driver|driver is not loaded|Driver\/library version mismatch|NVML.*(not found|could not be loaded)|libnvidia-ml/i;
const NO_GPU = /No devices were found|No NVIDIA GPU found/i;

/** The long-lived nvidia-smi loop, restarted when it dies. */
export class NvidiaSmiSource {
  constructor(options: INvidiaSmiOptions) {
    this._options = options;
    this._intervalMs = options.intervalMs;
  }

  /** The latest reading, or null before the first one (or after the source failed). */
  get latest(): IGpuReading | null {
    return this._latest;
  }

  /** ok, starting, no-driver, no-gpu or error, with one plain sentence when not ok. */
  get state(): IGpuSourceState {
    return this._state;
  }

  /** How many times the child was spawned (tests check there is no retry storm). */
  get spawnCount(): number {
    return this._spawns;
  }

  /** Start the loop (idempotent). */
  start(): void {
    if (this._running) {
      return;
    }
    this._running = true;
    this._spawn();
  }

  /** Stop the loop and kill the child. */
  stop(): void {
    this._running = false;
    clearTimeout(this._retryTimer);
    this._retryTimer = undefined;
    this._kill();
  }

  /**
   * Change the loop interval (full rate while someone watches, the history rate otherwise).
   * Restarts the child, since nvidia-smi cannot change -lms in flight.
   */
  setIntervalMs(ms: number): void {
    if (ms === this._intervalMs) {
      return;
    }
    this._intervalMs = ms;
    if (this._running && this._child) {
      this._kill();
      this._spawn();
    }
  }

  private _spawn(): void {
    clearTimeout(this._retryTimer);
    this._retryTimer = undefined;
    if (!this._running) {
      return;
    }
    const path = this._options.path ?? 'nvidia-smi';
    const args = [
      '-q',
      '-x',
      '-lms',
      String(Math.max(100, Math.round(this._intervalMs)))
    ];
    this._spawns++;
    const splitter = new XmlDocumentSplitter();
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | null = null;
    let child: ChildProcess;
    try {
      // Its own process group, so that a kill reaches anything it started (a wrapper
      // script's children) and no orphan keeps the pipe open.
      child = spawn(path, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...this._options.env, LC_ALL: 'C' }
      });
    } catch (err) {
      this._onExit(null, err as NodeJS.ErrnoException, '', false);
      return;
    }
    this._child = child;
    let gotDocument = false;
    this._armStallTimer(child);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      for (const doc of splitter.push(chunk)) {
        try {
          const reading = parseNvidiaSmiXml(doc);
          gotDocument = true;
          this._latest = reading;
          this._failures = 0;
          this._setState({ status: 'ok', message: null }, true);
          this._armStallTimer(child);
          this._options.onReading?.(reading);
        } catch (err) {
          this._options.logger.debug(
            { err },
            'nvidia-smi: unparsable document skipped'
          );
        }
      }
    });
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 8192) {
        stderr += chunk;
      }
    });
    child.on('error', err => {
      spawnError = err as NodeJS.ErrnoException;
    });
    child.on('close', () => {
      if (this._child !== child) {
        return; // replaced or stopped on purpose
      }
      this._child = undefined;
      clearTimeout(this._stallTimer);
      this._onExit(
        child.exitCode,
        spawnError,
        `${splitter.pending}\n${stderr}`,
        gotDocument
      );
    });
  }

  private _onExit(
    code: number | null,
    spawnError: NodeJS.ErrnoException | null,
    output: string,
    gotDocument: boolean
  ): void {
    this._latest = null;
    if (!this._running) {
      return;
    }
    const text = output.trim();
    const firstLine = text.split('\n').find(l => l.trim()) ?? '';
    let state: IGpuSourceState;
    let slow = false;
    if (spawnError?.code === 'ENOENT') {
      state = {
        status: 'no-driver',
        message: `No NVIDIA driver: ${this._options.path ?? 'nvidia-smi'} was not found.`
      };
      slow = true;
    } else if (spawnError?.code === 'EACCES') {
      state = {
        status: 'error',
        message: `${this._options.path ?? 'nvidia-smi'} cannot be run (permission denied).`
      };
      slow = true;
    } else if (NO_DRIVER.test(text) || code === 9) {
      state = {
        status: 'no-driver',
        message: `No NVIDIA driver is loaded: ${firstLine || 'nvidia-smi cannot reach the driver.'}`
      };
      slow = true;
    } else if (NO_GPU.test(text) || code === 6) {
      state = { status: 'no-gpu', message: 'No NVIDIA GPU was found.' };
      slow = true;
    } else {
      this._failures = gotDocument ? 1 : this._failures + 1;
      state = {
        status: 'error',
        message: `nvidia-smi stopped (exit ${code ?? 'signal'})${firstLine ? `: ${firstLine}` : ''}`
      };
      // After several failures in a row without a single reading, slow down for good.
      slow = this._failures >= 5;
    }
    this._setState(state, true);
    const min = this._options.minBackoffMs ?? 1000;
    const delay = slow
      ? (this._options.slowRetryMs ?? 10 * 60_000)
      : Math.min(
          min * 2 ** Math.max(0, this._failures - 1),
          this._options.maxBackoffMs ?? 60_000
        );
    this._retryTimer = setTimeout(() => this._spawn(), delay);
    this._retryTimer.unref();
  }

  /** Restart a child that stopped writing (nvidia-smi can hang on a wedged GPU). */
  private _armStallTimer(child: ChildProcess): void {
    clearTimeout(this._stallTimer);
    const ms = this._options.stallMs ?? Math.max(5 * this._intervalMs, 30_000);
    this._stallTimer = setTimeout(() => {
      if (this._child === child) {
        this._options.logger.warn(
          { stallMs: ms },
          'nvidia-smi wrote nothing for too long: restarting it'
        );
        killGroup(child);
      }
    }, ms);
    this._stallTimer.unref();
  }

  private _kill(): void {
    clearTimeout(this._stallTimer);
    const c = this._child;
    this._child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      killGroup(c);
    }
  }

  /** Change state; log only when the status changes, so a dead driver never spams the log. */
  private _setState(state: IGpuSourceState, log: boolean): void {
    const changed =
      state.status !== this._state.status ||
      state.message !== this._state.message;
    const statusChanged = state.status !== this._state.status;
    this._state = state;
    if (!log || !changed || !statusChanged) {
      return;
    }
    const logger = this._options.logger;
    if (state.status === 'ok') {
      logger.info('nvidia-smi: reading GPUs');
    } else if (state.status === 'error') {
      logger.warn(
        { reason: state.message },
        'nvidia-smi: GPU readings stopped'
      );
    } else {
      logger.info({ reason: state.message }, 'nvidia-smi: no GPU monitoring');
    }
  }

  private _options: INvidiaSmiOptions;
  private _intervalMs: number;
  private _running = false;
  private _child?: ChildProcess;
  private _retryTimer?: NodeJS.Timeout;
  private _stallTimer?: NodeJS.Timeout;
  private _latest: IGpuReading | null = null;
  private _state: IGpuSourceState = { status: 'starting', message: null };
  private _failures = 0;
  private _spawns = 0;
}
