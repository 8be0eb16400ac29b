/**
 * The content provider of shared documents, registered under `PROVIDER_ID` in the default
 * drive's content-provider registry (JupyterLab >= 4.4). The notebook and text-editor widget
 * factories name it (`contentProviderId`) while the collaborative mode is on or a share link
 * asks for a document; documents it decides not to share pass straight through to the REST
 * contents API.
 */
import type { ISharedDocument } from '@jupyter/ydoc';
import { Contents, IContentProvider } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * What the provider needs from the collaborative mode.
 */
export interface ISharedDocumentSource {
  /**
   * A shared model for a document that is to be shared; `undefined` for one that opens as an
   * ordinary document.
   */
  createSharedModel(
    options: Contents.ISharedFactoryOptions
  ): ISharedDocument | undefined;

  /**
   * The first load of a shared document: resolves once it is synced with its room (never
   * before: an empty document is never shown for a file that is not loaded yet); `null` for a
   * path that is not open as a shared document of that format and type.
   */
  whenLoaded(
    localPath: string,
    format: string,
    contentType: string
  ): Promise<void> | null;

  /**
   * Whether a path is open as a shared document (of any kind).
   */
  isShared(localPath: string): boolean;
}

/**
 * The shared-model factory. JupyterLab's document context reads `collaborative` right after
 * `createNew` to know whether the model it makes is collaborative, so it tells whether the last
 * document asked for was made shared.
 */
export class SharedModelFactory implements Contents.ISharedFactory {
  constructor(source: ISharedDocumentSource) {
    this._source = source;
  }

  /**
   * Whether the document last asked for is a shared one.
   */
  get collaborative(): boolean {
    return this._lastShared;
  }

  /**
   * A shared model connected to its room, or `undefined` for an ordinary document.
   */
  createNew(
    options: Contents.ISharedFactoryOptions
  ): ISharedDocument | undefined {
    this._lastShared = false;
    if (options.collaborative === false || typeof options.format !== 'string') {
      return undefined;
    }
    const model = this._source.createSharedModel(options);
    this._lastShared = model !== undefined;
    return model;
  }

  private _source: ISharedDocumentSource;
  private _lastShared = false;
}

/**
 * The content provider: shared documents load through their rooms and are saved by the
 * bridge; everything else goes to the drive as usual.
 */
export class CollabContentProvider implements IContentProvider {
  constructor(options: CollabContentProvider.IOptions) {
    this._drive = options.drive;
    this._source = options.source;
    this.sharedModelFactory = new SharedModelFactory(options.source);
  }

  /**
   * The shared-model factory.
   */
  readonly sharedModelFactory: SharedModelFactory;

  /**
   * Emitted with `save` changes of shared documents, so that the document context keeps the
   * file's current hash and time (the bridge writes the file, not the context).
   */
  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  /**
   * Get a file. A shared document's model comes without content (its content is the room's);
   * the promise waits for the first sync of its room.
   */
  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const loaded =
      options?.format && options?.type
        ? this._source.whenLoaded(localPath, options.format, options.type)
        : null;
    if (!loaded) {
      const model = await this._drive.get(localPath, {
        ...options,
        contentProviderId: undefined
      });
      if (options?.content === false && this._source.isShared(localPath)) {
        // The document context asks before a save whether the file changed since it last
        // knew it: it did, written by the bridge (and a change made on disk is merged into the
        // room, never a conflict). It learns the file as it is now.
        this._fileChanged.emit({
          type: 'save',
          oldValue: null,
          newValue: model
        });
      }
      return model;
    }
    const [model] = await Promise.all([
      this._drive.get(localPath, {
        ...options,
        content: false,
        contentProviderId: undefined
      }),
      loaded
    ]);
    const result: Contents.IModel = {
      ...model,
      format: options!.format!,
      content: null
    };
    // Whoever asked (the context before a save, a revert) now knows the file as it is: the
    // bridge wrote it, and a change made on disk is merged into the room, never a conflict.
    this._fileChanged.emit({ type: 'save', oldValue: null, newValue: result });
    return result;
  }

  /**
   * Save a file. A shared document is saved by the bridge: this only reports the file as it
   * is (so Ctrl+S is harmless); anything else goes to the drive.
   */
  async save(
    localPath: string,
    options: Partial<Contents.IModel> & Contents.IContentProvisionOptions = {}
  ): Promise<Contents.IModel> {
    if (
      options.format &&
      options.type &&
      this._source.whenLoaded(localPath, options.format, options.type)
    ) {
      return this.get(localPath, {
        type: options.type,
        format: options.format,
        content: false,
        hash: true
      });
    }
    return this._drive.save(localPath, {
      ...options,
      contentProviderId: undefined
    });
  }

  private _drive: Contents.IDrive;
  private _source: ISharedDocumentSource;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}

/**
 * The namespace for `CollabContentProvider` statics.
 */
export namespace CollabContentProvider {
  /**
   * Options to create the provider.
   */
  export interface IOptions {
    /**
     * The drive it is registered on (the default drive).
     */
    drive: Contents.IDrive;
    /**
     * The collaborative mode.
     */
    source: ISharedDocumentSource;
  }
}
