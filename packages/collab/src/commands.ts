/**
 * The commands of the collaborative mode and the top-level "Collaborate" menu.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  InputDialog,
  Notification
} from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ITranslator } from '@jupyterlab/translation';
import { linkIcon, shareIcon, usersIcon } from '@jupyterlab/ui-components';
import { Menu } from '@lumino/widgets';
import { PALETTE_CATEGORY } from '@mlinfn/common';
import type { FollowController } from './follow';
import { buildShareLink } from './models/sharelink';
import type { ICollaboration } from './tokens';

/**
 * The command ids.
 */
export namespace CommandIDs {
  /**
   * Turn the collaborative mode on or off.
   */
  export const toggleMode = 'mlinfn-collab:toggle-mode';
  /**
   * Copy a link that opens the current document in collaborative mode.
   */
  export const shareLink = 'mlinfn-collab:share-link';
  /**
   * Open the current document again, shared.
   */
  export const openShared = 'mlinfn-collab:open-shared';
  /**
   * Show the Collaborators panel.
   */
  export const showCollaborators = 'mlinfn-collab:show-collaborators';
  /**
   * Follow a collaborator (asks whom, unless `username` is given).
   */
  export const follow = 'mlinfn-collab:follow';
  /**
   * Stop following.
   */
  export const stopFollowing = 'mlinfn-collab:stop-following';
}

/**
 * The path of the document in the main area, if the current widget is one.
 */
export function currentDocumentPath(app: JupyterFrontEnd): string | null {
  const widget = app.shell.currentWidget as IDocumentWidget | null;
  const path = widget?.context?.path;
  return typeof path === 'string' && path ? path : null;
}

/**
 * The share link of a document (JupyterLab's share URL, so that it works for everyone the
 * server is shared with under JupyterHub).
 */
export function shareLinkFor(path: string): string {
  const lab = URLExt.join(PageConfig.getShareUrl(), 'lab');
  return buildShareLink(lab, path);
}

/**
 * Add the commands, their palette entries and the "Collaborate" menu.
 */
export function addCommands(
  app: JupyterFrontEnd,
  collab: ICollaboration,
  follow: FollowController,
  showPanel: () => void,
  translator: ITranslator,
  palette: ICommandPalette | null,
  mainMenu: IMainMenu | null
): Menu | null {
  const trans = translator.load('mlinfn');
  const { commands } = app;
  const unavailable = () =>
    collab.unavailableReason ??
    trans.__('Collaborative editing is not available here.');

  commands.addCommand(CommandIDs.toggleMode, {
    label: trans.__('Collaborative Mode'),
    caption: () =>
      collab.available
        ? trans.__(
            'Open notebooks and text files as shared documents, synced live with everyone who opens them. Documents already open keep their mode until reopened.'
          )
        : unavailable(),
    isEnabled: () => collab.available,
    isToggled: () => collab.enabled,
    execute: async () => {
      await collab.setEnabled(!collab.enabled);
    }
  });

  commands.addCommand(CommandIDs.shareLink, {
    label: trans.__('Share Document Link'),
    caption: trans.__(
      'Copy a link that opens the current document in collaborative mode'
    ),
    icon: args => (args.toolbar ? shareIcon : linkIcon),
    isEnabled: () => collab.available && !!currentDocumentPath(app),
    execute: args => {
      const path =
        (typeof args.path === 'string' && args.path) ||
        currentDocumentPath(app);
      if (!path) {
        return null;
      }
      const link = shareLinkFor(path);
      try {
        Clipboard.copyToSystem(link);
      } catch {
        // shown in the notification all the same
      }
      const widget = collab.findWidget(path);
      const shared = !!collab.sessionForWidget(widget);
      Notification.success(
        shared
          ? trans.__('Link copied: %1', link)
          : trans.__(
              'Link copied: %1. This view of the document is not shared yet; open it shared to edit together.',
              link
            ),
        {
          autoClose: 6000,
          actions: shared
            ? []
            : [
                {
                  label: trans.__('Open shared'),
                  callback: () => void collab.openShared(path)
                }
              ]
        }
      );
      return link;
    }
  });

  commands.addCommand(CommandIDs.openShared, {
    label: trans.__('Open Current Document Shared'),
    caption: trans.__(
      'Open the current notebook or text file again as a shared document'
    ),
    isEnabled: () => {
      const path = currentDocumentPath(app);
      return (
        collab.available &&
        !!path &&
        !collab.sessionForWidget(app.shell.currentWidget as IDocumentWidget)
      );
    },
    execute: async args => {
      const path =
        (typeof args.path === 'string' && args.path) ||
        currentDocumentPath(app);
      if (path) {
        return collab.openShared(path);
      }
    }
  });

  commands.addCommand(CommandIDs.showCollaborators, {
    label: trans.__('Show Collaborators'),
    caption: trans.__(
      'Show who is working on your shared documents and what each has open'
    ),
    icon: args => (args.isPalette ? undefined : usersIcon),
    execute: () => showPanel()
  });

  commands.addCommand(CommandIDs.follow, {
    label: trans.__('Follow Collaborator…'),
    caption: trans.__(
      'Keep the document and active cell of a collaborator in sight, until you act in your own view'
    ),
    isEnabled: () =>
      collab.available && collab.collaborators().some(c => !c.isSelf),
    execute: async args => {
      const others = collab.collaborators().filter(c => !c.isSelf);
      let chosen =
        typeof args.username === 'string'
          ? others.find(c => c.username === args.username)
          : undefined;
      if (!chosen && typeof args.username !== 'string') {
        if (others.length === 1) {
          chosen = others[0];
        } else if (others.length > 1) {
          const labels = others.map(c => `${c.display_name} (${c.username})`);
          const result = await InputDialog.getItem({
            title: trans.__('Follow Collaborator'),
            items: labels
          });
          if (!result.button.accept || result.value === null) {
            return;
          }
          chosen = others[labels.indexOf(result.value)];
        }
      }
      if (!chosen) {
        Notification.info(
          trans.__('Nobody else has your shared documents open.'),
          { autoClose: 4000 }
        );
        return;
      }
      follow.start(chosen);
    }
  });

  commands.addCommand(CommandIDs.stopFollowing, {
    label: trans.__('Stop Following'),
    isEnabled: () => follow.following !== null,
    execute: () => follow.stop()
  });

  if (palette) {
    for (const command of [
      CommandIDs.toggleMode,
      CommandIDs.shareLink,
      CommandIDs.openShared,
      CommandIDs.showCollaborators,
      CommandIDs.follow,
      CommandIDs.stopFollowing
    ]) {
      palette.addItem({
        command,
        category: PALETTE_CATEGORY,
        args: { isPalette: true }
      });
    }
  }

  if (!mainMenu) {
    return null;
  }
  const menu = new Menu({ commands });
  menu.id = 'jp-mainmenu-collaborate';
  menu.title.label = trans.__('Collaborate');
  menu.addItem({ command: CommandIDs.toggleMode });
  menu.addItem({ type: 'separator' });
  menu.addItem({ command: CommandIDs.shareLink });
  menu.addItem({ command: CommandIDs.openShared });
  menu.addItem({ type: 'separator' });
  menu.addItem({ command: CommandIDs.showCollaborators });
  menu.addItem({ command: CommandIDs.follow });
  menu.addItem({ command: CommandIDs.stopFollowing });
  mainMenu.addMenu(menu, true, { rank: 75 });
  const refresh = () => {
    commands.notifyCommandChanged(CommandIDs.toggleMode);
    commands.notifyCommandChanged(CommandIDs.follow);
    commands.notifyCommandChanged(CommandIDs.stopFollowing);
  };
  collab.enabledChanged.connect(refresh);
  collab.sessionsChanged.connect(refresh);
  follow.followingChanged.connect(refresh);
  return menu;
}
