/**
 * The jobs model: every burst job of this user, from the bridge's `burst` channel.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type {
  BurstAckRequest,
  BurstChannelMessage,
  BurstJob,
  BurstJobList,
  BurstJobRequest,
  BurstLogMessage,
  BurstLogResponse,
  BurstOutputsMessage,
  ConnectionState,
  IBridgeClient
} from '@mlinfn/common';
import { BridgeError } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { BurstListState, IBurstJobs, IJobChange } from '../tokens';

/**
 * The states in which a job still waits or runs.
 */
export const ACTIVE_STATES: ReadonlyArray<BurstJob['state']> = [
  'queued',
  'running',
  'held'
];

/**
 * Whether a job has not finished yet.
 */
export function isActive(job: Pick<BurstJob, 'state'>): boolean {
  return ACTIVE_STATES.includes(job.state);
}

/**
 * The jobs model. It subscribes to the `burst` channel on `start()`: the snapshot replaces the
 * list, each `job` message updates one job, and `outputs` messages are passed on to whoever
 * applies them to cells. After a reconnection the bridge sends a fresh snapshot.
 */
export class BurstJobsModel implements IBurstJobs {
  /**
   * Create the model; nothing is asked until `start()`.
   */
  constructor(options: BurstJobsModel.IOptions) {
    this._client = options.client;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this._client.stateChanged.connect(this._onConnectionChanged, this);
  }

  get jobs(): ReadonlyArray<BurstJob> {
    return this._list;
  }

  get active(): ReadonlyArray<BurstJob> {
    return this._list.filter(isActive);
  }

  get state(): BurstListState {
    return this._state;
  }

  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get jobChanged(): ISignal<this, IJobChange> {
    return this._jobChanged;
  }

  get outputsReceived(): ISignal<this, BurstOutputsMessage> {
    return this._outputsReceived;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Subscribe to the `burst` channel (once), and ask for the list over REST too: the channel's
   * snapshot is the one that counts, but only REST says in words why there is no list (burst
   * turned off, no permission).
   */
  start(): void {
    if (this._subscription || this._isDisposed) {
      return;
    }
    this._subscription = this._client.subscribe<BurstChannelMessage>(
      'burst',
      payload => this.handleMessage(payload)
    );
    void this.refresh();
  }

  get(id: string): BurstJob | undefined {
    return this._jobs.get(id);
  }

  /**
   * Take one message of the `burst` channel.
   */
  handleMessage(message: BurstChannelMessage): void {
    switch (message.type) {
      case 'jobs': {
        this._snapshots++;
        const before = this._jobs;
        this._jobs = new Map(message.jobs.map(job => [job.id, job]));
        this._setState('live', null, false);
        this._sort();
        this._changed.emit();
        for (const job of message.jobs) {
          const previous = before.get(job.id) ?? null;
          if (!previous || previous.state !== job.state) {
            this._jobChanged.emit({ job, previous });
          }
        }
        break;
      }
      case 'job':
        this._upsert(message.job);
        break;
      case 'outputs':
        this._outputsReceived.emit(message);
        break;
      default:
        // `log` messages come on `burst/<job id>` (subscribeLog).
        break;
    }
  }

  async submit(request: BurstJobRequest): Promise<BurstJob> {
    const job = await this._client.request<BurstJob>('api/burst/jobs', {
      method: 'POST',
      body: JSON.stringify(request)
    });
    this._upsertAnswer(job);
    return job;
  }

  async cancel(id: string): Promise<BurstJob> {
    const job = await this._client.request<BurstJob>(
      `${Private.jobPath(id)}/cancel`,
      { method: 'POST', body: '{}' }
    );
    this._upsertAnswer(job);
    return job;
  }

  async resubmit(id: string): Promise<BurstJob> {
    const job = await this._client.request<BurstJob>(
      `${Private.jobPath(id)}/resubmit`,
      { method: 'POST', body: '{}' }
    );
    this._upsertAnswer(job);
    return job;
  }

  fetch(id: string): Promise<BurstJob> {
    return this._client.request<BurstJob>(Private.jobPath(id));
  }

  log(id: string, offset: number): Promise<BurstLogResponse> {
    return this._client.request<BurstLogResponse>(
      `${Private.jobPath(id)}/log?offset=${Math.max(0, Math.floor(offset))}`,
      // 'no-cache' still asks the bridge every time, but keeps ServerConnection from
      // appending its `?<timestamp>` cache buster, which the log query's schema refuses.
      { cache: 'no-cache' }
    );
  }

  async acknowledge(id: string, ack: BurstAckRequest): Promise<void> {
    try {
      const job = await this._client.request<BurstJob>(
        `${Private.jobPath(id)}/ack`,
        { method: 'POST', body: JSON.stringify(ack) }
      );
      if (job) {
        this._upsertAnswer(job);
      }
    } catch (error) {
      // Another tab or browser acknowledged first: that one delivered.
      if (!(error instanceof BridgeError && error.status === 409)) {
        throw error;
      }
    }
  }

  async refresh(): Promise<void> {
    const snapshots = this._snapshots;
    if (this._state !== 'live') {
      this._setState('loading', null);
    }
    try {
      const answer = await this._client.request<BurstJobList>('api/burst/jobs');
      // A pushed snapshot that came meanwhile is newer than this answer.
      if (this._snapshots === snapshots) {
        this.handleMessage({ type: 'jobs', jobs: answer.jobs });
      }
    } catch (error) {
      this._setState('error', Private.describe(error, this._trans));
    }
  }

  subscribeLog(
    id: string,
    handler: (message: BurstLogMessage) => void
  ): IDisposable {
    return this._client.subscribe<BurstChannelMessage>(
      `burst/${id}`,
      payload => {
        if (payload.type === 'log' && payload.id === id) {
          handler(payload);
        }
      }
    );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._client.stateChanged.disconnect(this._onConnectionChanged, this);
    this._subscription?.dispose();
    this._subscription = null;
    Signal.clearData(this);
  }

  /**
   * A job from a REST answer. The channel may already have pushed a newer state (the job was
   * cancelled, or finished, while the answer travelled): an answer never takes a job back.
   */
  private _upsertAnswer(job: BurstJob): void {
    const known = this._jobs.get(job.id);
    if (known && Private.isOlder(job, known)) {
      return;
    }
    this._upsert(job);
  }

  private _upsert(job: BurstJob): void {
    const previous = this._jobs.get(job.id) ?? null;
    this._jobs.set(job.id, job);
    this._sort();
    this._changed.emit();
    this._jobChanged.emit({ job, previous });
  }

  private _sort(): void {
    this._list = [...this._jobs.values()].sort(
      (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)
    );
  }

  private _onConnectionChanged(
    _client: IBridgeClient,
    state: ConnectionState
  ): void {
    if (!this._subscription) {
      return;
    }
    if (state === 'disconnected') {
      this._setState(
        'disconnected',
        this._trans.__(
          'The connection to the mlinfn bridge is lost; reconnecting. Jobs keep running meanwhile.'
        )
      );
    } else if (state === 'connected' && this._state === 'disconnected') {
      // The subscription is renewed by the client; a fresh snapshot follows.
      this._setState('loading', null);
    }
  }

  private _setState(
    state: BurstListState,
    error: string | null,
    emit = true
  ): void {
    if (this._state === state && this._error === error) {
      return;
    }
    this._state = state;
    this._error = error;
    if (emit) {
      this._changed.emit();
    }
  }

  private _client: IBridgeClient;
  private _trans: ReturnType<ITranslator['load']>;
  private _jobs = new Map<string, BurstJob>();
  private _list: BurstJob[] = [];
  private _state: BurstListState = 'loading';
  private _snapshots = 0;
  private _error: string | null = null;
  private _subscription: IDisposable | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _jobChanged = new Signal<this, IJobChange>(this);
  private _outputsReceived = new Signal<this, BurstOutputsMessage>(this);
}

/**
 * The namespace for `BurstJobsModel` statics.
 */
export namespace BurstJobsModel {
  /**
   * Options to create the model.
   */
  export interface IOptions {
    /**
     * The bridge client.
     */
    client: IBridgeClient;

    /**
     * The translator for the messages.
     */
    translator?: ITranslator;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The REST path of a job.
   */
  export function jobPath(id: string): string {
    return `api/burst/jobs/${encodeURIComponent(id)}`;
  }

  /**
   * How far delivery has gone: none, then pending, then somewhere.
   */
  export function deliveryRank(delivery: BurstJob['delivery']): number {
    return delivery === 'none' ? 0 : delivery === 'pending' ? 1 : 2;
  }

  /**
   * Whether `job` is an older picture of `known`: still unfinished when `known` has finished,
   * or the same state with its outputs less far along.
   */
  export function isOlder(job: BurstJob, known: BurstJob): boolean {
    if (isActive(job) && !isActive(known)) {
      return true;
    }
    return (
      job.state === known.state &&
      deliveryRank(job.delivery) < deliveryRank(known.delivery)
    );
  }

  /**
   * An error in words.
   */
  export function describe(
    error: unknown,
    trans: ReturnType<ITranslator['load']>
  ): string {
    if (error instanceof BridgeError) {
      return error.reason;
    }
    return trans.__('The jobs could not be loaded: %1', String(error));
  }
}
