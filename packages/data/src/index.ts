/**
 * @packageDocumentation
 * @module mlinfn-data
 *
 * Data access for mlinfn-lab: the "Data" panel (S3 endpoints → buckets → folders in a
 * virtualised list, object details, pre-signed links with their real expiry, multipart
 * uploads from the browser, the local cache with staging progress, mounts and their health),
 * snippets that read the data from a notebook, a status-bar item while anything is staged,
 * commands and settings. Everything goes through the bridge's data API and `data` channel.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IBridgeClient, PALETTE_CATEGORY } from '@mlinfn/common';
import { addCommands, CommandIDs } from './commands';
import { DataModel } from './model';
import { normalizeSettings } from './settings';
import { IDataModel } from './tokens';
import { DataPanel } from './widgets/panel';
import { StagingStatusItem } from './widgets/statusitem';

export * from './api';
export * from './commands';
export * from './errors';
export * from './expiry';
export * from './icons';
export * from './insert';
export * from './model';
export * from './models/listing';
export * from './models/mounts';
export * from './models/staging';
export * from './models/upload';
export * from './models/xhr';
export * from './settings';
export * from './snippet';
export * from './tokens';
export * from './widgets/browser';
export * from './widgets/cache';
export * from './widgets/details';
export * from './widgets/dom';
export * from './widgets/linkdialog';
export * from './widgets/mounts';
export * from './widgets/objectlist';
export * from './widgets/panel';
export * from './widgets/statusitem';
export * from './widgets/uploads';
export * from './widgets/view';

/**
 * The id of the main plugin, whose settings are `schema/plugin.json`.
 */
export const PLUGIN_ID = '@mlinfn/data:plugin';

/**
 * The Data panel: its model, settings, the panel in the left sidebar, commands, palette
 * entries and File ▸ Upload to Storage….
 */
export const dataPlugin: JupyterFrontEndPlugin<IDataModel> = {
  id: PLUGIN_ID,
  description:
    'The Data panel: storage browsing, pre-signed links, uploads, the local cache and mounts.',
  autoStart: true,
  provides: IDataModel,
  requires: [IBridgeClient],
  optional: [
    ITranslator,
    ISettingRegistry,
    ICommandPalette,
    IMainMenu,
    ILayoutRestorer,
    INotebookTracker
  ],
  activate: (
    app: JupyterFrontEnd,
    client: IBridgeClient,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    restorer: ILayoutRestorer | null,
    tracker: INotebookTracker | null
  ): IDataModel => {
    const tr = translator ?? nullTranslator;
    const model = new DataModel({ client });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () =>
            model.updateSettings(normalizeSettings(settings.composite));
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error('mlinfn: cannot load the data settings', reason);
        });
    }

    // JupyterLab's page config carries the server's root directory (absolute).
    const serverRoot = PageConfig.getOption('serverRoot');
    const panel = new DataPanel({
      model,
      translator: tr,
      serverRoot,
      execute: (id, args) => void app.commands.execute(id, args)
    });
    app.shell.add(panel, 'left', { rank: 450 });
    restorer?.add(panel, 'mlinfn-data');

    addCommands(app, model, panel, { tracker, serverRoot, translator: tr });

    if (palette) {
      for (const [command, args] of [
        [CommandIDs.open, {}],
        [CommandIDs.refresh, {}],
        [CommandIDs.upload, {}],
        [CommandIDs.link, {}],
        [CommandIDs.copyLink, {}],
        [CommandIDs.stage, {}],
        [CommandIDs.insertSnippet, { source: 'staged' }],
        [CommandIDs.insertSnippet, { source: 'url' }],
        [CommandIDs.logIn, {}]
      ] as const) {
        palette.addItem({
          command,
          args: { ...args, isPalette: true },
          category: PALETTE_CATEGORY
        });
      }
    }
    mainMenu?.fileMenu.addGroup([{ command: CommandIDs.upload }], 6);

    void app.restored.then(() => {
      void model.load();
      void model.staging.refresh();
    });
    return model;
  }
};

/**
 * The status-bar item shown while objects are being staged into the cache.
 */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/data:status-bar',
  description:
    'Shows the progress of stagings into the local cache in the status bar.',
  autoStart: true,
  requires: [IDataModel, IStatusBar],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IDataModel,
    statusBar: IStatusBar,
    translator: ITranslator | null
  ): void => {
    const item = new StagingStatusItem({
      model: model.staging,
      translator: translator ?? nullTranslator,
      onClick: () => void app.commands.execute(CommandIDs.open)
    });
    statusBar.registerStatusItem('@mlinfn/data:status-bar', {
      item,
      align: 'left',
      rank: 110,
      isActive: () => item.isActive,
      activeStateChanged: item.activeStateChanged
    });
  }
};

const plugins: JupyterFrontEndPlugin<any>[] = [dataPlugin, statusBarPlugin];

export default plugins;
