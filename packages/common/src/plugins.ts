import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { BridgeClient } from './client';
import { bridgeIcon } from './icons';
import { BridgeStatusModel } from './models/status';
import { IBridgeClient, PALETTE_CATEGORY } from './tokens';
import { BridgeStatusPanel } from './widgets/status';
import { BridgeStatusItem } from './widgets/statusitem';

/**
 * The command ids of @mlinfn/common.
 */
export namespace CommandIDs {
  /**
   * Open the bridge status dialog.
   */
  export const bridgeStatus = 'mlinfn:bridge-status';
}

/**
 * Provides the bridge client: one per page, its WebSocket opened once the app is restored.
 */
export const clientPlugin: JupyterFrontEndPlugin<IBridgeClient> = {
  id: '@mlinfn/common:client',
  description:
    'Provides the client of the mlinfn bridge: REST with tickets and the pushed channels.',
  autoStart: true,
  provides: IBridgeClient,
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null
  ): IBridgeClient => {
    const client = new BridgeClient({
      serverSettings: app.serviceManager.serverSettings,
      translator: translator ?? nullTranslator
    });
    void app.restored.then(() => client.connect());
    return client;
  }
};

/**
 * The bridge status command, its palette entry and the status-bar dot.
 */
export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/common:status',
  description:
    'Shows the state of the mlinfn bridge: a status-bar dot and a status dialog.',
  autoStart: true,
  requires: [IBridgeClient],
  optional: [ITranslator, ICommandPalette, IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    client: IBridgeClient,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('mlinfn');
    const category = PALETTE_CATEGORY;

    app.commands.addCommand(CommandIDs.bridgeStatus, {
      label: trans.__('Show mlinfn Bridge Status'),
      caption: trans.__(
        'Show the connection to the mlinfn bridge, who you are signed in as, and its version'
      ),
      icon: bridgeIcon,
      execute: async () => {
        const model = new BridgeStatusModel(client);
        const body = new BridgeStatusPanel({
          model,
          translator: translator ?? undefined
        });
        void model.load();
        await showDialog({
          title: trans.__('mlinfn Bridge Status'),
          body,
          buttons: [Dialog.okButton({ label: trans.__('Close') })]
        });
      }
    });

    palette?.addItem({ command: CommandIDs.bridgeStatus, category });

    if (statusBar) {
      const item = new BridgeStatusItem({
        client,
        translator: translator ?? undefined,
        onClick: () => void app.commands.execute(CommandIDs.bridgeStatus)
      });
      statusBar.registerStatusItem('@mlinfn/common:status', {
        item,
        align: 'right',
        rank: 900,
        isActive: () => true
      });
    }
  }
};
