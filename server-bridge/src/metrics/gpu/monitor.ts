/**
 * The GPU side of the sampler: picks the sources the config asks for (nvidia-smi loop, DCGM
 * exporter, both, none) and gives one merged reading per sample.
 */
import type { Logger } from 'pino';
import type { MetricsGpu, MetricsGpuConfig } from '../../schema-types';
import { DcgmSource, mergeDcgm } from './dcgm';
import { NvidiaSmiSource } from './nvidia-smi';
import type { IGpuReading, IGpuSourceState } from './types';

/** One merged GPU reading with its state. */
export interface IGpuSnapshot extends IGpuSourceState {
  source: MetricsGpu['source'];
  reading: IGpuReading | null;
}

/** Settings of the GPU monitor. */
export interface IGpuMonitorOptions {
  config: MetricsGpuConfig;
  intervalMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Extra environment for nvidia-smi (tests). */
  env?: NodeJS.ProcessEnv;
  /** Passed to the nvidia-smi source (tests shorten them). */
  slowRetryMs?: number;
  minBackoffMs?: number;
  /**
   * Called with each new nvidia-smi reading, as the loop's document is parsed (the sampler
   * itself only reads the latest one per tick; benchmarks and tests count documents).
   */
  onReading?: (reading: IGpuReading) => void;
}

/** nvidia-smi and/or DCGM, merged. */
export class GpuMonitor {
  constructor(options: IGpuMonitorOptions) {
    this._options = options;
    const source = options.config.source ?? 'auto';
    const url = options.config.dcgmUrl;
    if (source === 'auto' || source === 'nvidia-smi') {
      this._smi = new NvidiaSmiSource({
        path: options.config.nvidiaSmiPath ?? 'nvidia-smi',
        intervalMs: options.intervalMs,
        logger: options.logger,
        env: options.env,
        slowRetryMs: options.slowRetryMs,
        minBackoffMs: options.minBackoffMs,
        onReading: options.onReading
      });
    }
    if ((source === 'auto' || source === 'dcgm') && url) {
      this._dcgm = new DcgmSource(
        url,
        (options.config.dcgmTimeoutSeconds ?? 2) * 1000
      );
    }
    this._disabled = source === 'none';
    this._misconfigured = source === 'dcgm' && !url;
  }

  /** The nvidia-smi loop, when one is used (tests look at its spawn count). */
  get nvidiaSmi(): NvidiaSmiSource | null {
    return this._smi;
  }

  /** Start the sources that run on their own. */
  start(): void {
    this._smi?.start();
  }

  /** Stop them. */
  stop(): void {
    this._smi?.stop();
  }

  /** Follow the sampler's rate: full while someone watches, the history rate otherwise. */
  setIntervalMs(ms: number): void {
    this._smi?.setIntervalMs(ms);
  }

  /** The current merged reading; fetches DCGM (with its timeout) when configured. */
  async read(): Promise<IGpuSnapshot> {
    if (this._disabled) {
      return {
        status: 'disabled',
        message: 'GPU monitoring is turned off in the bridge config.',
        source: 'none',
        reading: null
      };
    }
    if (this._misconfigured) {
      return {
        status: 'error',
        message: 'gpu.source is "dcgm" but gpu.dcgmUrl is not set.',
        source: 'none',
        reading: null
      };
    }
    const smiReading = this._smi?.latest ?? null;
    const smiState: IGpuSourceState = this._smi?.state ?? {
      status: 'no-driver',
      message: null
    };
    if (!this._dcgm) {
      return { ...smiState, source: 'nvidia-smi', reading: smiReading };
    }
    try {
      const devices = await this._dcgm.read();
      this._dcgmFailing = false;
      return {
        status: devices.length || smiReading ? 'ok' : 'no-gpu',
        message: devices.length || smiReading ? null : 'No GPU was found.',
        source: smiReading ? 'nvidia-smi+dcgm' : 'dcgm',
        reading: mergeDcgm(smiReading, devices)
      };
    } catch (err) {
      if (!this._dcgmFailing) {
        this._options.logger.warn(
          { reason: (err as Error).message },
          'DCGM exporter unavailable'
        );
      }
      this._dcgmFailing = true;
      if (smiReading) {
        return { ...smiState, source: 'nvidia-smi', reading: smiReading };
      }
      return {
        status: this._smi ? smiState.status : 'error',
        message: this._smi ? smiState.message : (err as Error).message,
        source: this._smi ? 'nvidia-smi' : 'dcgm',
        reading: null
      };
    }
  }

  private _options: IGpuMonitorOptions;
  private _smi: NvidiaSmiSource | null = null;
  private _dcgm: DcgmSource | null = null;
  private _disabled: boolean;
  private _misconfigured: boolean;
  private _dcgmFailing = false;
}
