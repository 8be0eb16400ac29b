/**
 * @packageDocumentation
 * @module mlinfn-monitor
 *
 * The resource monitor of mlinfn-lab: a status-bar item, the "Resources" panel (live charts,
 * per-notebook table, idle GPU holders, GPU state, group view), a charts tab, notifications
 * before memory or GPU memory runs out, and settings. The figures come from the bridge's
 * pushed `metrics` channel.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IBridgeClient, PALETTE_CATEGORY } from '@mlinfn/common';
import { addCommands, CommandIDs, shutdownFromView } from './commands';
import { ResourceModel } from './model';
import { ResourceNotifier } from './notifications';
import { normalizeSettings } from './settings';
import { IResourceMonitor } from './tokens';
import { ResourcePanel } from './widgets/panel';
import { ResourceStatusItem } from './widgets/statusitem';

export * from './commands';
export * from './describe';
export * from './format';
export * from './icons';
export * from './model';
export * from './notifications';
export * from './settings';
export * from './tokens';
export * from './usage';
export * from './widgets/actions';
export * from './widgets/banner';
export * from './widgets/charts';
export * from './widgets/gpus';
export * from './widgets/holders';
export * from './widgets/host';
export * from './widgets/panel';
export * from './widgets/statusitem';
export * from './widgets/table';
export * from './widgets/users';
export * from './widgets/view';

/**
 * The id of the main plugin, whose settings are `schema/plugin.json`.
 */
export const PLUGIN_ID = '@mlinfn/monitor:plugin';

/**
 * The monitor: its model (subscribed to the bridge only while something needs it), settings,
 * the Resources panel in the right sidebar, the charts tab, commands, palette entries, the
 * View menu entry and the launcher tile.
 */
export const monitorPlugin: JupyterFrontEndPlugin<IResourceMonitor> = {
  id: PLUGIN_ID,
  description:
    'The resource monitor: the Resources panel, charts, commands and settings.',
  autoStart: true,
  provides: IResourceMonitor,
  requires: [IBridgeClient],
  optional: [
    ITranslator,
    ISettingRegistry,
    ICommandPalette,
    ILauncher,
    IMainMenu,
    ILayoutRestorer
  ],
  activate: (
    app: JupyterFrontEnd,
    client: IBridgeClient,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    restorer: ILayoutRestorer | null
  ): IResourceMonitor => {
    const tr = translator ?? nullTranslator;
    const model = new ResourceModel({ client, translator: tr });

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
          console.error('mlinfn: cannot load the monitor settings', reason);
        });
    }

    const panel = new ResourcePanel({
      model,
      translator: tr,
      shutdownKernel: kernel => shutdownFromView(app, kernel),
      openNotebook: path => {
        void app.commands.execute('docmanager:open', { path });
      },
      openCharts: () => {
        void app.commands.execute(CommandIDs.openCharts);
      },
      showBridgeStatus: () => {
        // Registered by @mlinfn/common:status, which may be turned off.
        if (app.commands.hasCommand('mlinfn:bridge-status')) {
          void app.commands.execute('mlinfn:bridge-status');
        }
      }
    });
    app.shell.add(panel, 'right', { rank: 600 });

    const tracker = addCommands(app, model, panel, tr);

    if (restorer) {
      restorer.add(panel, 'mlinfn-resources');
      void restorer.restore(tracker, {
        command: CommandIDs.openCharts,
        name: () => 'charts'
      });
    }
    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.openCharts,
        CommandIDs.shutdownKernel
      ]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }
    mainMenu?.viewMenu.addGroup(
      [{ command: CommandIDs.open, args: { isMenu: true } }],
      40
    );
    launcher?.add({
      command: CommandIDs.open,
      args: { isLauncher: true },
      category: 'Other',
      rank: 10
    });
    return model;
  }
};

/**
 * The status-bar item: CPU, memory against its limit, and the GPU when there is one.
 */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/monitor:status-bar',
  description:
    'Shows CPU, memory and GPU use in the status bar; a click opens the Resources panel.',
  autoStart: true,
  requires: [IResourceMonitor, IStatusBar],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IResourceMonitor,
    statusBar: IStatusBar,
    translator: ITranslator | null
  ): void => {
    const item = new ResourceStatusItem({
      model,
      translator: translator ?? nullTranslator,
      onClick: () => void app.commands.execute(CommandIDs.open)
    });
    statusBar.registerStatusItem('@mlinfn/monitor:status-bar', {
      item,
      align: 'left',
      rank: 100,
      isActive: () => item.isActive,
      activeStateChanged: item.activeStateChanged
    });
  }
};

/**
 * Notifications before memory or GPU memory runs out.
 */
export const notificationsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/monitor:notifications',
  description:
    'Warns with a notification when memory or GPU memory crosses its warning threshold.',
  autoStart: true,
  requires: [IResourceMonitor],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: IResourceMonitor,
    translator: ITranslator | null
  ): void => {
    new ResourceNotifier({
      model,
      translator: translator ?? nullTranslator,
      openPanel: () => void app.commands.execute(CommandIDs.open)
    });
  }
};

const plugins: JupyterFrontEndPlugin<any>[] = [
  monitorPlugin,
  statusBarPlugin,
  notificationsPlugin
];

export default plugins;
