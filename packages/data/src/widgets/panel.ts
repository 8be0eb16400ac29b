import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { fileUploadIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import { CommandIDs } from '../commandids';
import { dataIcon } from '../icons';
import { DataModel } from '../model';
import { BrowserSection } from './browser';
import { CacheSection } from './cache';
import { DetailsSection } from './details';
import { Dom } from './dom';
import { MountsSection } from './mounts';
import { UploadsSection } from './uploads';
import { ExecuteCommand } from './view';

/**
 * The "Data" panel of the left sidebar: the storage browser, the selected object, the
 * uploads, the local cache and the mounts.
 */
export class DataPanel extends Panel {
  /**
   * Create the panel.
   */
  constructor(options: DataPanel.IOptions) {
    super();
    this.model = options.model;
    const translator = options.translator ?? nullTranslator;
    this._trans = translator.load('mlinfn');
    this.id = DataPanel.ID;
    this.addClass('jp-DataPanel');
    this.title.icon = dataIcon;
    this.title.caption = this._trans.__('Data');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Data'));
    const viewOptions = {
      model: this.model,
      execute: options.execute,
      translator
    };
    this.addWidget(this._header(options.execute));
    this.browser = new BrowserSection(viewOptions);
    this.addWidget(this.browser);
    this.addWidget(new DetailsSection(viewOptions));
    this.addWidget(new UploadsSection(viewOptions));
    this.addWidget(new CacheSection(viewOptions));
    this.addWidget(
      new MountsSection({ ...viewOptions, serverRoot: options.serverRoot })
    );
  }

  /**
   * The model shown.
   */
  readonly model: DataModel;

  /**
   * The storage browser.
   */
  readonly browser: BrowserSection;

  private _header(execute: ExecuteCommand): Widget {
    const trans = this._trans;
    const header = Dom.el('div', 'jp-DataPanel-header');
    header.append(Dom.el('h2', 'jp-DataPanel-title', trans.__('Data')));
    const tool = (
      label: string,
      icon: typeof refreshIcon,
      className: string,
      command: string
    ) => {
      const button = Dom.el(
        'button',
        `jp-ToolbarButtonComponent jp-DataPanel-tool ${className}`
      );
      button.type = 'button';
      button.title = label;
      button.setAttribute('aria-label', label);
      button.append(icon.element({ tag: 'span' }));
      button.addEventListener('click', () => execute(command));
      return button;
    };
    header.append(
      tool(
        trans.__('Upload files to the folder shown'),
        fileUploadIcon,
        'jp-DataPanel-upload',
        CommandIDs.upload
      ),
      tool(
        trans.__('Refresh'),
        refreshIcon,
        'jp-DataPanel-refresh',
        CommandIDs.refresh
      )
    );
    return new Widget({ node: header });
  }

  private _trans: TranslationBundle;
}

/**
 * The namespace for `DataPanel` statics.
 */
export namespace DataPanel {
  /**
   * The id of the panel (and of its sidebar tab).
   */
  export const ID = 'mlinfn-data';

  /**
   * Options to create the panel.
   */
  export interface IOptions {
    /** The model to show. */
    model: DataModel;
    /** Runs the panel's commands. */
    execute: ExecuteCommand;
    /** The server's root directory, to open mounts under it in the file browser. */
    serverRoot?: string;
    /** The translator. */
    translator?: ITranslator;
  }
}
