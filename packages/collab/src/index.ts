/**
 * @packageDocumentation
 * @module mlinfn-collab
 *
 * The collaborative editing mode of mlinfn-lab: notebooks and text files open as shared Yjs
 * documents (`YNotebook`/`YFile` of `@jupyter/ydoc`), synced by y-websocket with rooms in the
 * mlinfn bridge, through JupyterLab's content-provider registry under this suite's own provider
 * id. A status-bar dot tells the connection and whether edits are durable on the server; a
 * Collaborators panel, avatars on each shared document's toolbar, remote cursors, following a
 * collaborator, share links and a top-level "Collaborate" menu go with it.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import {
  EditorExtensionRegistry,
  IEditorExtensionRegistry
} from '@jupyterlab/codemirror';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { IEditorWidgetFactory } from '@jupyterlab/fileeditor';
import { IMainMenu } from '@jupyterlab/mainmenu';
import {
  INotebookTracker,
  INotebookWidgetFactory,
  NotebookPanel
} from '@jupyterlab/notebook';
import {
  ContentsManager,
  IContentProviderRegistry
} from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IBridgeClient } from '@mlinfn/common';
import { Collaboration, IProviderFactory } from './collaboration';
import { addCommands, CommandIDs } from './commands';
import { collaboratorCursors } from './cursors';
import { FollowController } from './follow';
import { awarenessUser } from './models/identity';
import { parseShareLink, withoutShareParam } from './models/sharelink';
import { CollabContentProvider } from './provider';
import { normalizeSettings } from './settings';
import { ICollaboration, PROVIDER_ID } from './tokens';
import { UnavailableCollaboration } from './unavailable';
import { CollabAvatars } from './widgets/avatars';
import { CollaboratorsPanel } from './widgets/panel';
import { CollabStatusItem } from './widgets/statusitem';

export * from './collaboration';
export * from './commands';
export * from './cursors';
export * from './follow';
export * from './models/collaborators';
export * from './models/durability';
export * from './models/epoch';
export * from './models/follow';
export * from './models/identity';
export * from './models/readonly';
export * from './models/roomname';
export * from './models/sharelink';
export * from './models/status';
export * from './protocol';
export * from './provider';
export * from './session';
export * from './settings';
export * from './tokens';
export * from './unavailable';
export * from './widgets/avatars';
export * from './widgets/banner';
export * from './widgets/panel';
export * from './widgets/statusitem';

/**
 * The id of the main plugin, whose settings are `schema/plugin.json`.
 */
export const PLUGIN_ID = '@mlinfn/collab:plugin';

/**
 * The plugins of jupyter-collaboration that register the `rtc` content provider (4.4+ and
 * earlier); with them installed this suite's collaborative mode stands down.
 */
export const JUPYTER_COLLABORATION_PLUGINS = [
  '@jupyter/docprovider-extension:content-provider',
  '@jupyter/docprovider-extension:drive'
];

/**
 * The collaborative mode: the content provider, the shared sessions, read-only, reloads,
 * identity on the rooms, remote cursors and share links.
 */
export const collabPlugin: JupyterFrontEndPlugin<ICollaboration> = {
  id: PLUGIN_ID,
  description:
    'Opens notebooks and text files as shared documents synced with the mlinfn bridge.',
  autoStart: true,
  provides: ICollaboration,
  requires: [IBridgeClient, IDocumentManager],
  optional: [
    ITranslator,
    ISettingRegistry,
    INotebookWidgetFactory,
    IEditorWidgetFactory,
    INotebookTracker,
    IEditorExtensionRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    client: IBridgeClient,
    docManager: IDocumentManager,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    notebookFactory: IProviderFactory | null,
    editorFactory: IProviderFactory | null,
    notebookTracker: INotebookTracker | null,
    extensions: IEditorExtensionRegistry | null
  ): ICollaboration => {
    const tr = translator ?? nullTranslator;
    const trans = tr.load('mlinfn');

    const registry = Private.providerRegistry(app);
    const standDown = Private.standDownReason(app, registry, trans);
    if (standDown) {
      console.warn(`mlinfn collab: ${standDown}`);
      void app.restored.then(() =>
        Notification.warning(standDown, { autoClose: 15000 })
      );
      return new UnavailableCollaboration(standDown);
    }

    const collab = new Collaboration({
      app,
      docManager,
      contents: app.serviceManager.contents,
      tickets: client.tickets,
      factories: [notebookFactory, editorFactory].filter(
        (f): f is IProviderFactory => !!f
      ),
      serverSettings: app.serviceManager.serverSettings,
      translator: tr,
      hubUser: PageConfig.getOption('hubUser') || null
    });
    const provider = new CollabContentProvider({
      drive: (app.serviceManager.contents as ContentsManager).defaultDrive,
      source: collab
    });
    try {
      registry!.register(PROVIDER_ID, provider);
    } catch (error) {
      const reason = trans.__(
        'Collaborative editing is off: the content provider id "%1" is taken (%2).',
        PROVIDER_ID,
        (error as Error).message
      );
      console.warn(`mlinfn collab: ${reason}`);
      collab.dispose();
      return new UnavailableCollaboration(reason);
    }

    // A share link asks for its document to open shared; JupyterLab opens it from the URL.
    const shared = parseShareLink(window.location.href);
    if (shared) {
      collab.shareOnNextOpen(shared.path);
      void app.restored.then(() => {
        try {
          window.history.replaceState(
            window.history.state,
            '',
            withoutShareParam(window.location.href)
          );
        } catch {
          // the URL keeps the parameter: harmless
        }
      });
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () =>
            collab.updateSettings(normalizeSettings(settings.composite));
          apply();
          settings.changed.connect(apply);
          collab.saveEnabled = enabled =>
            settings.set('collaborative', enabled);
        })
        .catch(reason => {
          console.error('mlinfn collab: cannot load the settings', reason);
        });
    }

    // Who this user is: the identity the bridge verified from the ticket.
    let identitySet = false;
    const applyIdentity = () => {
      if (client.identity) {
        identitySet = true;
        collab.setIdentity(client.identity);
      }
    };
    applyIdentity();
    client.stateChanged.connect(applyIdentity);
    void app.restored.then(async () => {
      if (identitySet) {
        return;
      }
      try {
        const who = await client.whoami();
        if (!identitySet) {
          identitySet = true;
          collab.setIdentity(who.user);
        }
      } catch (error) {
        // Shown under the name JupyterLab knows until the bridge answers.
        const user = app.serviceManager.user;
        await user.ready.catch(() => undefined);
        const identity = user.identity;
        if (!identitySet && identity) {
          collab.setIdentity(
            null,
            awarenessUser({
              username: identity.username,
              name: identity.display_name || identity.name,
              initials: identity.initials,
              color: identity.color
            })
          );
        }
      }
    });

    if (notebookTracker) {
      const publish = () =>
        collab.publishActiveCell(
          notebookTracker.currentWidget as NotebookPanel
        );
      notebookTracker.activeCellChanged.connect(publish);
      notebookTracker.currentChanged.connect(publish);
    }

    extensions?.addExtension({
      name: 'mlinfn-collab-cursors',
      factory: options => {
        const shared = options.model.sharedModel as any;
        const ytext = shared?.ysource;
        const awareness = shared?.awareness;
        if (!ytext || !awareness || !collab.sessionForYDoc(ytext.doc)) {
          return null;
        }
        return EditorExtensionRegistry.createImmutableExtension(
          collaboratorCursors({ awareness, ytext })
        );
      }
    });

    return collab;
  }
};

/**
 * The Collaborators panel, following, the commands and the "Collaborate" menu, and the
 * avatars on the toolbar of each shared document.
 */
export const uiPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/collab:ui',
  description:
    'The Collaborators panel, following a collaborator, share links and the Collaborate menu.',
  autoStart: true,
  requires: [ICollaboration],
  optional: [ITranslator, ICommandPalette, IMainMenu, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    collab: ICollaboration,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const tr = translator ?? nullTranslator;
    const follow = new FollowController({
      app,
      collaboration: collab,
      translator: tr
    });
    const panel = new CollaboratorsPanel({
      collaboration: collab,
      translator: tr,
      openDocument: path => {
        void collab.openShared(path).catch(error => {
          Notification.error((error as Error).message);
        });
      },
      follow: person => follow.start(person),
      stopFollowing: () => follow.stop(),
      following: () => follow.following,
      toggleMode: () => {
        void app.commands.execute(CommandIDs.toggleMode);
      }
    });
    follow.followingChanged.connect(() => panel.refresh());
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'mlinfn-collaborators');

    addCommands(
      app,
      collab,
      follow,
      () => app.shell.activateById(panel.id),
      tr,
      palette,
      mainMenu
    );

    collab.widgetAdded.connect((_sender, { widget, session }) => {
      const avatars = new CollabAvatars({
        translator: tr,
        onClick: () => app.shell.activateById(panel.id)
      });
      const refresh = () => {
        if (avatars.isDisposed) {
          return;
        }
        avatars.collaborators = collab
          .collaborators()
          .filter(c => !c.isSelf && c.documents.includes(session.path));
      };
      collab.awarenessChanged.connect(refresh);
      avatars.disposed.connect(() =>
        collab.awarenessChanged.disconnect(refresh)
      );
      refresh();
      if (
        !widget.toolbar.insertAfter('spacer', 'mlinfn-collaborators', avatars)
      ) {
        widget.toolbar.addItem('mlinfn-collaborators', avatars);
      }
    });
  }
};

/**
 * The status-bar dot of the current shared document.
 */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/collab:status-bar',
  description:
    'Shows whether the current shared document is connected and whether your edits are saved on the server.',
  autoStart: true,
  requires: [ICollaboration, IStatusBar],
  optional: [ITranslator, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    collab: ICollaboration,
    statusBar: IStatusBar,
    translator: ITranslator | null
  ): void => {
    const item = new CollabStatusItem({
      translator: translator ?? nullTranslator,
      onClick: () => void app.commands.execute(CommandIDs.showCollaborators)
    });
    const follow = () => {
      item.session = collab.sessionForWidget(
        app.shell.currentWidget as IDocumentWidget | null
      );
    };
    app.shell.currentChanged?.connect(follow);
    collab.sessionsChanged.connect(follow);
    follow();
    statusBar.registerStatusItem('@mlinfn/collab:status-bar', {
      item,
      align: 'left',
      rank: 50,
      isActive: () => item.isActive,
      activeStateChanged: item.activeStateChanged
    });
  }
};

const plugins: JupyterFrontEndPlugin<any>[] = [
  collabPlugin,
  uiPlugin,
  statusBarPlugin
];

export default plugins;

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The default drive's content-provider registry (JupyterLab >= 4.4); `null` without one.
   */
  export function providerRegistry(
    app: JupyterFrontEnd
  ): IContentProviderRegistry | null {
    const contents = app.serviceManager.contents as ContentsManager;
    return contents.defaultDrive?.contentProviderRegistry ?? null;
  }

  /**
   * Why the collaborative mode must stand down; `null` when it can run.
   */
  export function standDownReason(
    app: JupyterFrontEnd,
    registry: IContentProviderRegistry | null,
    trans: ReturnType<ITranslator['load']>
  ): string | null {
    if (!registry) {
      return trans.__(
        'Collaborative editing is off: this JupyterLab has no content-provider registry (JupyterLab 4.4 or newer is needed).'
      );
    }
    let rtc = JUPYTER_COLLABORATION_PLUGINS.some(id => app.hasPlugin(id));
    if (!rtc) {
      try {
        rtc = registry.getProvider('rtc') !== null;
      } catch {
        rtc = false;
      }
    }
    if (rtc) {
      return trans.__(
        'Collaborative editing of mlinfn-lab is off because jupyter-collaboration is installed: the two cannot share documents safely. Uninstall jupyter-collaboration (pip uninstall jupyter-collaboration) to use the mlinfn bridge rooms, or keep using jupyter-collaboration.'
      );
    }
    return null;
  }
}
