/**
 * The default "Run cell on…" form (replaceable through `IBurstFormFactory`).
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { BurstBackendInfo } from '@mlinfn/common';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { contextRows, IContextRow } from '../models/context';
import { buildRequest, draftFromDefaults, IFormDraft } from '../models/request';
import { checkResources, IResourceDraft } from '../models/validation';
import { IBurstForm, IBurstFormFactory, IBurstFormValue } from '../tokens';

/**
 * The form: backend, resources, input files and context cells, checked as it is typed in.
 */
export class BurstForm extends Widget implements IBurstForm {
  /**
   * Create a form for one cell.
   */
  constructor(options: BurstForm.IOptions) {
    super();
    this.addClass('jp-BurstForm');
    this._options = options;
    this._showResourceHelp = options.showResourceHelp ?? true;
    this._trans = (options.translator ?? nullTranslator).load('mlinfn');

    const remembered = options.choice;
    const backendId =
      remembered && options.backends.some(b => b.id === remembered.backend)
        ? remembered.backend
        : (options.defaultBackend ?? options.backends[0]?.id ?? '');
    const backend = options.backends.find(b => b.id === backendId);
    this._rows = contextRows(
      options.cells,
      options.cellId,
      remembered?.context,
      options.setupTag
    );
    const files = new Set(options.files);
    this._draft = {
      backend: backendId,
      resources:
        remembered &&
        remembered.backend === backendId &&
        remembered.resources.cpus !== ''
          ? { ...remembered.resources }
          : backend
            ? draftFromDefaults(backend.resources.defaults)
            : {
                cpus: '1',
                memory: '2 GB',
                gpus: '0',
                walltime: '1:00:00',
                image: ''
              },
      // Inputs that have gone from the folder are dropped, not sent.
      inputs: (remembered?.inputs ?? []).filter(p => files.has(p)),
      context: this._rows.filter(r => r.selected).map(r => r.id)
    };
    this._render();
    this._update();
  }

  get validityChanged(): ISignal<this, boolean> {
    return this._validityChanged;
  }

  get isValid(): boolean {
    return this._value.request !== null;
  }

  /**
   * What the form holds now.
   */
  getValue(): IBurstFormValue {
    return this._value;
  }

  /**
   * The draft as it stands (for tests and for sites extending the form).
   */
  get draft(): Readonly<IFormDraft> {
    return this._draft;
  }

  private _render(): void {
    const trans = this._trans;
    const doc = this.node.ownerDocument;
    const section = (title: string, cls: string) => {
      const fieldset = doc.createElement('fieldset');
      fieldset.className = `jp-BurstForm-section jp-BurstForm-${cls}`;
      const legend = doc.createElement('legend');
      legend.textContent = title;
      fieldset.appendChild(legend);
      this.node.appendChild(fieldset);
      return fieldset;
    };

    // Backend
    const where = section(trans.__('Where'), 'where');
    const select = doc.createElement('select');
    select.className = 'jp-mod-styled jp-BurstForm-backend';
    select.setAttribute('aria-label', trans.__('Backend'));
    for (const backend of this._options.backends) {
      const option = doc.createElement('option');
      option.value = backend.id;
      option.textContent = backend.available
        ? `${backend.title} (${Private.kindLabel(backend, trans)})`
        : trans.__('%1 (unavailable)', backend.title);
      select.appendChild(option);
    }
    select.value = this._draft.backend;
    select.addEventListener('change', () => {
      const backend = this._backend(select.value);
      this._draft.backend = select.value;
      if (backend) {
        this._draft.resources = draftFromDefaults(backend.resources.defaults);
        for (const [field, input] of this._inputs) {
          input.value = this._draft.resources[field];
        }
      }
      this._update();
    });
    where.appendChild(select);
    this._backendNote = doc.createElement('div');
    this._backendNote.className = 'jp-BurstForm-note';
    where.appendChild(this._backendNote);

    // Resources
    const resources = section(trans.__('Resources'), 'resources');
    const grid = doc.createElement('div');
    grid.className = 'jp-BurstForm-grid';
    resources.appendChild(grid);
    const fields: [keyof IResourceDraft, string, string][] = [
      ['cpus', trans.__('CPUs'), '1'],
      ['memory', trans.__('Memory'), '4 GB'],
      ['gpus', trans.__('GPUs'), '0'],
      ['walltime', trans.__('Walltime'), '1:00:00'],
      ['image', trans.__('Container image'), trans.__("the lab's environment")]
    ];
    for (const [field, label, placeholder] of fields) {
      const id = `jp-BurstForm-${field}-${Private.nextId()}`;
      const labelNode = doc.createElement('label');
      labelNode.htmlFor = id;
      labelNode.textContent = label;
      const input = doc.createElement('input');
      input.id = id;
      input.className = `jp-mod-styled jp-BurstForm-input jp-BurstForm-${field}`;
      input.name = field;
      input.placeholder = placeholder;
      input.value = this._draft.resources[field];
      input.spellcheck = false;
      input.addEventListener('input', () => {
        this._draft.resources[field] = input.value;
        this._update();
      });
      const error = doc.createElement('div');
      error.className = 'jp-BurstForm-error';
      error.setAttribute('role', 'alert');
      grid.append(labelNode, input, error);
      this._inputs.set(field, input);
      this._fieldErrors.set(field, error);
    }

    if (this._showResourceHelp) {
      const help = doc.createElement('div');
      help.className = 'jp-BurstForm-note';
      help.textContent = trans.__(
        'Memory as "4 GB" or "512 MB"; walltime as "1:30:00", "90m" or "2h"; the container image empty for the lab\'s own environment. Greyed fields mean nothing on this backend.'
      );
      resources.appendChild(help);
    }

    // Input files
    const inputs = section(trans.__('Input files'), 'inputs');
    const inputsNote = doc.createElement('div');
    inputsNote.className = 'jp-BurstForm-note';
    inputsNote.textContent = trans.__(
      'Copied next to the cell on the worker, under the same relative paths.'
    );
    inputs.appendChild(inputsNote);
    const fileList = doc.createElement('div');
    fileList.className = 'jp-BurstForm-list';
    if (this._options.files.length === 0) {
      fileList.textContent = trans.__(
        "The notebook's folder has no other files."
      );
    }
    for (const file of this._options.files) {
      fileList.appendChild(
        this._checkbox(file, this._draft.inputs.includes(file), checked => {
          this._draft.inputs = checked
            ? [...this._draft.inputs, file]
            : this._draft.inputs.filter(p => p !== file);
        })
      );
    }
    inputs.appendChild(fileList);

    // Context
    const context = section(trans.__('Context'), 'context');
    const rule = doc.createElement('div');
    rule.className = 'jp-BurstForm-note jp-BurstForm-rule';
    rule.textContent = trans.__(
      'The job starts a fresh kernel. Before this cell it runs the code cells above it tagged "%1", in notebook order. Tick or untick cells to change that for this notebook.',
      this._options.setupTag
    );
    context.appendChild(rule);
    const cellList = doc.createElement('div');
    cellList.className = 'jp-BurstForm-list';
    if (this._rows.length === 0) {
      cellList.textContent = trans.__(
        'There are no code cells above this one.'
      );
    }
    for (const row of this._rows) {
      cellList.appendChild(
        this._checkbox(
          Private.rowLabel(row, this._options.setupTag, trans),
          this._draft.context.includes(row.id),
          checked => {
            const chosen = new Set(this._draft.context);
            if (checked) {
              chosen.add(row.id);
            } else {
              chosen.delete(row.id);
            }
            // Keep notebook order.
            this._draft.context = this._rows
              .filter(r => chosen.has(r.id))
              .map(r => r.id);
          },
          row.id
        )
      );
    }
    context.appendChild(cellList);

    this._summary = doc.createElement('div');
    this._summary.className = 'jp-BurstForm-summary';
    this._summary.setAttribute('role', 'status');
    this.node.appendChild(this._summary);
  }

  private _checkbox(
    label: string,
    checked: boolean,
    onChange: (checked: boolean) => void,
    value?: string
  ): HTMLElement {
    const doc = this.node.ownerDocument;
    const wrapper = doc.createElement('label');
    wrapper.className = 'jp-BurstForm-check';
    const box = doc.createElement('input');
    box.type = 'checkbox';
    box.checked = checked;
    box.value = value ?? label;
    box.addEventListener('change', () => {
      onChange(box.checked);
      this._update();
    });
    const text = doc.createElement('span');
    text.textContent = label;
    wrapper.append(box, text);
    return wrapper;
  }

  private _backend(id: string): BurstBackendInfo | undefined {
    return this._options.backends.find(b => b.id === id);
  }

  /**
   * Check the draft, show each field's problem and the backend's notes.
   */
  private _update(): void {
    const trans = this._trans;
    const backend = this._backend(this._draft.backend);
    const wasValid = this.isValid;
    this._value = buildRequest(
      this._draft,
      backend,
      {
        notebookPath: this._options.notebookPath,
        cells: this._options.cells,
        cellId: this._options.cellId,
        setupTag: this._options.setupTag
      },
      trans
    );

    const fieldErrors = backend
      ? checkResources(this._draft.resources, backend.resources, trans)
      : null;
    for (const [field, input] of this._inputs) {
      const supported = backend ? Private.supports(backend, field) : true;
      input.disabled = !supported;
      input.title = supported
        ? ''
        : trans.__('%1 does not use this setting.', backend?.title ?? '');
      const message =
        fieldErrors && !fieldErrors.ok ? (fieldErrors.errors[field] ?? '') : '';
      this._fieldErrors.get(field)!.textContent = message;
      input.classList.toggle('jp-mod-invalid', !!message);
      input.setAttribute('aria-invalid', message ? 'true' : 'false');
    }

    if (this._backendNote && backend) {
      const description = (backend.description ?? '').trim();
      const parts = [
        description && !/[.!?]$/.test(description)
          ? `${description}.`
          : description
      ];
      parts.push(
        backend.liveLogs === 'at-completion'
          ? trans.__('Its log arrives when the job ends.')
          : trans.__('Its log is shown live while the job runs.')
      );
      if (!backend.available) {
        parts.push(
          backend.unavailableReason ?? trans.__('It cannot take jobs now.')
        );
      }
      this._backendNote.textContent = parts.filter(Boolean).join(' ');
    }
    if (this._summary) {
      // Field errors sit next to their fields; the summary says the rest.
      const other = this._value.errors.filter(
        e =>
          !fieldErrors ||
          fieldErrors.ok ||
          !Object.values(fieldErrors.errors).includes(e)
      );
      this._summary.textContent = other.join(' ');
    }
    if (wasValid !== this.isValid) {
      this._validityChanged.emit(this.isValid);
    }
  }

  private _options: BurstForm.IOptions;
  private _showResourceHelp: boolean;
  private _trans: ReturnType<ITranslator['load']>;
  private _rows: IContextRow[];
  private _draft: IFormDraft;
  private _value: IBurstFormValue = {
    request: null,
    choice: null!,
    errors: []
  };
  private _inputs = new Map<keyof IResourceDraft, HTMLInputElement>();
  private _fieldErrors = new Map<keyof IResourceDraft, HTMLElement>();
  private _backendNote: HTMLElement | null = null;
  private _summary: HTMLElement | null = null;
  private _validityChanged = new Signal<this, boolean>(this);
}

/**
 * The namespace for `BurstForm` statics.
 */
export namespace BurstForm {
  /**
   * Options to create a form.
   */
  export interface IOptions extends IBurstFormFactory.IOptions {
    /**
     * Show how memory and walltime are written (default true).
     */
    showResourceHelp?: boolean;
  }
}

/**
 * The default form factory.
 */
export class BurstFormFactory implements IBurstFormFactory {
  /**
   * Show how memory and walltime are written (the `showResourceHelp` setting).
   */
  showResourceHelp = true;

  create(options: IBurstFormFactory.IOptions): IBurstForm {
    return new BurstForm({
      ...options,
      showResourceHelp: this.showResourceHelp
    });
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  let counter = 0;

  /**
   * A fresh suffix for element ids.
   */
  export function nextId(): number {
    return ++counter;
  }

  /**
   * The kind of a backend in words.
   */
  export function kindLabel(
    backend: BurstBackendInfo,
    trans: ReturnType<ITranslator['load']>
  ): string {
    switch (backend.kind) {
      case 'htcondor':
        return trans.__('HTCondor');
      case 'spark':
        return trans.__('Spark');
      default:
        return trans.__('local process');
    }
  }

  /**
   * Whether a backend honours a resource field.
   */
  export function supports(
    backend: BurstBackendInfo,
    field: keyof IResourceDraft
  ): boolean {
    const s = backend.resources.supports;
    switch (field) {
      case 'cpus':
        return s.cpus;
      case 'memory':
        return s.memoryMB;
      case 'gpus':
        return s.gpus;
      case 'walltime':
        return s.walltimeMinutes;
      default:
        return s.image;
    }
  }

  /**
   * A context cell as the list shows it: "[3] import numpy as np · setup".
   */
  export function rowLabel(
    row: IContextRow,
    tag: string,
    trans: ReturnType<ITranslator['load']>
  ): string {
    const base = `[${row.index + 1}] ${row.preview}`;
    return row.byDefault ? trans.__('%1 · tagged "%2"', base, tag) : base;
  }
}
