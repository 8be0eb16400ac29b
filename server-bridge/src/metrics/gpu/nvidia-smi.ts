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
import { parseNvidiaSmiXml } from './smi-xml';
import type { IGpuReading, IGpuSourceState } from './types';

/** Turn one `<nvidia_smi_log>` document into a reading: the targeted scanner of smi-xml.ts. */
export { parseNvidiaSmiXml };

const DOC_END = '</nvidia_smi_log>';
const OK: IGpuSourceState = { status: 'ok', message: null };

const DOC_END_BYTES = Buffer.from(DOC_END, 'latin1');

/**
 * Splits nvidia-smi's endless stdout into whole XML documents.
 *
 * It takes the pipe's bytes as they come (an 85 KB document arrives in several chunks) into
 * one buffer that is kept and reused for the loop's whole life, searches only the new bytes
 * (and the few before them, for an end cut across two chunks), and decodes each document once,
 * whole, when its end arrives: no per-document buffer is allocated, and the scanner reads one
 * flat string. Text outside any document (the driver's failure message) is kept, bounded, for
 * diagnosis. Strings are taken too (tests).
 */
export class XmlDocumentSplitter {
  constructor(private readonly maxBufferBytes = 16 * 1024 * 1024) {}

  /** Feed a chunk; returns the documents it completed. */
  push(chunk: Buffer | string): string[] {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this._length + data.length > this._buffer.length) {
      this._grow(this._length + data.length);
    }
    const from = Math.max(0, this._length - (DOC_END_BYTES.length - 1));
    data.copy(this._buffer, this._length);
    this._length += data.length;
    const docs: string[] = [];
    let start = 0;
    const filled = this._buffer.subarray(0, this._length);
    for (let at = filled.indexOf(DOC_END_BYTES, from); at >= 0;) {
      const end = at + DOC_END_BYTES.length;
      docs.push(this._buffer.toString('utf8', start, end));
      start = end;
      at = filled.indexOf(DOC_END_BYTES, start);
    }
    if (start > 0) {
      this._buffer.copyWithin(0, start, this._length);
      this._length -= start;
    }
    if (this._length > this.maxBufferBytes) {
      // Never a document end in 16 MiB: this is not nvidia-smi XML. Keep memory bounded.
      this._buffer.copyWithin(0, this._length - 4096, this._length);
      this._length = 4096;
    }
    return docs;
  }

  /** Text received since the last complete document (at most the buffer bound). */
  get pending(): string {
    return this._buffer.toString('utf8', 0, this._length);
  }

  private _grow(need: number): void {
    let size = Math.max(this._buffer.length, 64 * 1024);
    while (size < need) {
      size *= 2;
    }
    const bigger = Buffer.allocUnsafe(size);
    this._buffer.copy(bigger, 0, 0, this._length);
    this._buffer = bigger;
  }

  private _buffer = Buffer.alloc(0);
  private _length = 0;
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
    // stdout stays bytes: the splitter decodes each whole document once.
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const doc of splitter.push(chunk)) {
        try {
          const reading = parseNvidiaSmiXml(doc);
          gotDocument = true;
          this._latest = reading;
          this._failures = 0;
          if (this._state.status !== 'ok') {
            this._setState(OK, true);
          }
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
      this._clearStall();
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
    if (this._stallTimer && this._stallFor === child) {
      this._stallTimer.refresh(); // each document: push the deadline back, no new timer
      return;
    }
    this._clearStall();
    this._stallFor = child;
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

  private _clearStall(): void {
    clearTimeout(this._stallTimer);
    this._stallTimer = undefined;
    this._stallFor = undefined;
  }

  private _kill(): void {
    this._clearStall();
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
  private _stallFor?: ChildProcess;
  private _latest: IGpuReading | null = null;
  private _state: IGpuSourceState = { status: 'starting', message: null };
  private _failures = 0;
  private _spawns = 0;
}
