/**
 * The last "Run cell on…" choice, remembered per notebook.
 *
 * Where: JupyterLab's state database (`IStateDB`), one entry per notebook path under
 * `@mlinfn/burst:choice:<path>`. The state database is kept per user by the Jupyter server (in
 * the workspace), so remembering a choice never modifies the notebook (no dirty document, no
 * change pushed to collaborators) and each collaborator keeps their own. A renamed notebook
 * starts from the defaults again.
 */
import type { IStateDB } from '@jupyterlab/statedb';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { IContextOverrides } from './context';
import type { IResourceDraft } from './validation';

/**
 * What the form remembers for a notebook.
 */
export interface IBurstChoice {
  /**
   * The id of the backend last used.
   */
  backend: string;

  /**
   * The resources as last typed.
   */
  resources: IResourceDraft;

  /**
   * The input files, relative to the notebook's folder.
   */
  inputs: string[];

  /**
   * The exceptions to the context rule.
   */
  context: IContextOverrides;
}

/**
 * Reads and writes the remembered choices.
 */
export class ChoiceStore {
  /**
   * Create a store over a state database (`null` remembers for this page only).
   */
  constructor(state: IStateDB | null) {
    this._state = state;
  }

  /**
   * The state-database key of a notebook's choice.
   */
  static key(path: string): string {
    return `${ChoiceStore.PREFIX}${path}`;
  }

  /**
   * The prefix of every key.
   */
  static readonly PREFIX = '@mlinfn/burst:choice:';

  /**
   * The choice remembered for a notebook; `null` when there is none or it cannot be read.
   */
  async load(path: string): Promise<IBurstChoice | null> {
    const local = this._memory.get(path);
    if (local) {
      return local;
    }
    if (!this._state) {
      return null;
    }
    try {
      const value = await this._state.fetch(ChoiceStore.key(path));
      return Private.parse(value);
    } catch {
      return null;
    }
  }

  /**
   * Remember the choice for a notebook.
   */
  async save(path: string, choice: IBurstChoice): Promise<void> {
    this._memory.set(path, choice);
    if (this._state) {
      await this._state.save(
        ChoiceStore.key(path),
        choice as unknown as ReadonlyPartialJSONObject
      );
    }
  }

  private _state: IStateDB | null;
  private _memory = new Map<string, IBurstChoice>();
}

/**
 * Module-private helpers.
 */
namespace Private {
  const FIELDS: (keyof IResourceDraft)[] = [
    'cpus',
    'memory',
    'gpus',
    'walltime',
    'image'
  ];

  /**
   * A stored value as a choice, or `null` when it has another shape (an older version).
   */
  export function parse(value: unknown): IBurstChoice | null {
    const v = value as Partial<IBurstChoice> | null | undefined;
    if (!v || typeof v !== 'object' || typeof v.backend !== 'string') {
      return null;
    }
    const r = (v.resources ?? {}) as Partial<Record<string, unknown>>;
    const resources = {} as IResourceDraft;
    for (const field of FIELDS) {
      resources[field] =
        typeof r[field] === 'string' ? (r[field] as string) : '';
    }
    const strings = (list: unknown): string[] =>
      Array.isArray(list) ? list.filter(x => typeof x === 'string') : [];
    return {
      backend: v.backend,
      resources,
      inputs: strings(v.inputs),
      context: {
        added: strings(v.context?.added),
        removed: strings(v.context?.removed)
      }
    };
  }
}
