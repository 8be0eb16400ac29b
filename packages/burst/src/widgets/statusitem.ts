/**
 * The status-bar item: how many jobs are unfinished; a click opens the Jobs panel.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { jobsIcon } from '../icons';
import type { IBurstJobs } from '../tokens';

/**
 * The status-bar item. It is shown only while a job is unfinished.
 */
export class JobsStatusItem extends Widget {
  /**
   * Create the item.
   */
  constructor(options: JobsStatusItem.IOptions) {
    super({ node: document.createElement('button') });
    this.addClass('jp-BurstStatus');
    this._jobs = options.jobs;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');
    this.node.addEventListener('click', options.onClick);
    jobsIcon.element({ container: this._iconNode(), tag: 'span' });
    this._label = document.createElement('span');
    this._label.className = 'jp-BurstStatus-label';
    this.node.appendChild(this._label);
    this._jobs.changed.connect(this._update, this);
    this._update();
  }

  /**
   * Whether there is something to show (and the item is enabled).
   */
  get isActive(): boolean {
    return this._active && this._enabled;
  }

  /**
   * Whether the item may show at all (the `show` setting).
   */
  get enabled(): boolean {
    return this._enabled;
  }
  set enabled(value: boolean) {
    if (value !== this._enabled) {
      this._enabled = value;
      this._activeStateChanged.emit();
    }
  }

  /**
   * Emitted when `isActive` changes.
   */
  get activeStateChanged(): ISignal<this, void> {
    return this._activeStateChanged;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._jobs.changed.disconnect(this._update, this);
    super.dispose();
  }

  private _iconNode(): HTMLElement {
    const span = document.createElement('span');
    span.className = 'jp-BurstStatus-icon';
    this.node.appendChild(span);
    return span;
  }

  private _update(): void {
    const trans = this._trans;
    const active = this._jobs.active;
    const running = active.filter(j => j.state === 'running').length;
    const held = active.filter(j => j.state === 'held').length;
    const queued = active.length - running - held;
    const parts: string[] = [];
    if (running > 0) {
      parts.push(trans._n('%1 job running', '%1 jobs running', running));
    }
    if (queued > 0) {
      parts.push(trans._n('%1 job queued', '%1 jobs queued', queued));
    }
    if (held > 0) {
      parts.push(trans._n('%1 job held', '%1 jobs held', held));
    }
    this._label.textContent = parts.join(', ');
    this.node.title = trans.__('Burst jobs: click to open the Jobs panel');
    this.node.classList.toggle('jp-mod-held', held > 0);
    const isActive = active.length > 0;
    if (isActive !== this._active) {
      this._active = isActive;
      this._activeStateChanged.emit();
    }
  }

  private _jobs: IBurstJobs;
  private _trans: ReturnType<ITranslator['load']>;
  private _label: HTMLElement;
  private _active = false;
  private _enabled = true;
  private _activeStateChanged = new Signal<this, void>(this);
}

/**
 * The namespace for `JobsStatusItem` statics.
 */
export namespace JobsStatusItem {
  /**
   * Options to create the item.
   */
  export interface IOptions {
    jobs: IBurstJobs;
    translator?: ITranslator;
    onClick: () => void;
  }
}
