import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import { fileUploadIcon, refreshIcon } from '@jupyterlab/ui-components';
import { CommandIDs } from './commandids';
import { describeError } from './errors';
import { dataIcon } from './icons';
import { insertCodeCell } from './insert';
import { DataModel } from './model';
import { makeSnippet, SnippetSource } from './snippet';
import { LinkDialogBody } from './widgets/linkdialog';
import { MountsSection } from './widgets/mounts';
import { DataPanel } from './widgets/panel';

export { CommandIDs } from './commandids';

/**
 * Register the Data panel's commands.
 *
 * @param app - The application.
 * @param model - The data model.
 * @param panel - The panel.
 * @param options - The notebook tracker (for snippets), the server root and the translator.
 */
export function addCommands(
  app: JupyterFrontEnd,
  model: DataModel,
  panel: DataPanel,
  options: {
    tracker: INotebookTracker | null;
    serverRoot: string;
    translator: ITranslator;
  }
): void {
  const trans = options.translator.load('mlinfn');
  const { commands, shell } = app;
  const hasObject = () => model.selectedKey !== null && model.listing !== null;
  const fail = (error: unknown) => {
    const e = describeError(error, trans);
    Notification.error(e.message, {
      autoClose: false,
      actions: e.loginExpired
        ? [
            {
              label: trans.__('Log in again'),
              callback: () => void commands.execute(CommandIDs.logIn)
            }
          ]
        : []
    });
  };
  const copy = async (text: string, message: string) => {
    await Private.copyText(text);
    Notification.success(message, { autoClose: 3000 });
  };
  const defaultSeconds = () =>
    Math.round(model.settings.defaultLinkExpiryHours * 3600);

  commands.addCommand(CommandIDs.open, {
    label: trans.__('Show Data Panel'),
    caption: trans.__(
      'Browse storage, share links, upload, stage and see mounts'
    ),
    icon: args => (args.isPalette ? undefined : dataIcon),
    execute: () => {
      shell.activateById(panel.id);
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Data Panel'),
    icon: args => (args.isPalette ? undefined : refreshIcon),
    execute: async () => {
      await Promise.all([
        model.load(),
        model.listing?.reload(),
        model.staging.refresh(),
        model.mounts.refresh()
      ]);
    }
  });

  commands.addCommand(CommandIDs.upload, {
    label: trans.__('Upload to Storage…'),
    caption: trans.__(
      'Upload files into the folder shown in the Data panel, in parts, straight to storage'
    ),
    icon: args => (args.isPalette ? undefined : fileUploadIcon),
    execute: () => {
      if (!model.listing) {
        shell.activateById(panel.id);
        Notification.warning(
          trans.__(
            'Open a bucket (and folder) in the Data panel first: uploads go where it shows.'
          ),
          { autoClose: 5000 }
        );
        return;
      }
      const input = document.createElement('input');
      input.type = 'file';
      input.multiple = true;
      input.addEventListener('change', () => {
        const files = Array.from(input.files ?? []);
        if (files.length) {
          shell.activateById(panel.id);
          model.upload(files);
        }
      });
      input.click();
    }
  });

  commands.addCommand(CommandIDs.link, {
    label: trans.__('Share Link to Selected Object…'),
    caption: trans.__('A pre-signed GET or PUT link with a chosen expiry'),
    isEnabled: hasObject,
    execute: async () => {
      const key = model.selectedKey;
      if (!key) {
        return;
      }
      const body = new LinkDialogBody({
        key,
        defaultHours: model.settings.defaultLinkExpiryHours,
        sign: (method, seconds) => model.presign(method, seconds, key),
        copy: url => copy(url, trans.__('Link copied')),
        translator: options.translator
      });
      await showDialog({
        title: trans.__('Share a link'),
        body,
        buttons: [Dialog.okButton({ label: trans.__('Close') })]
      });
    }
  });

  commands.addCommand(CommandIDs.copyLink, {
    label: trans.__('Copy Download Link of Selected Object'),
    caption: trans.__('A pre-signed GET link with the default expiry'),
    isEnabled: hasObject,
    execute: async () => {
      try {
        const link = await model.presign('GET', defaultSeconds());
        await copy(
          link.url,
          trans.__(
            'Link copied (valid until %1)',
            new Date(link.expiresAt).toLocaleString()
          )
        );
      } catch (error) {
        fail(error);
      }
    }
  });

  commands.addCommand(CommandIDs.stage, {
    label: trans.__('Stage Selected Object into the Cache'),
    caption: trans.__('Copy it to local disk, verified, close to the kernels'),
    isEnabled: hasObject,
    execute: async () => {
      try {
        await model.stage();
      } catch (error) {
        fail(error);
      }
    }
  });

  commands.addCommand(CommandIDs.insertSnippet, {
    label: args =>
      args.path
        ? trans.__('Insert Snippet Reading a Mount')
        : args.source === 'url'
          ? trans.__('Insert Snippet Reading Selected Object by URL')
          : trans.__('Insert Snippet Reading Selected Object'),
    caption: trans.__(
      'Insert a cell below the active one that reads the data (pandas, uproot or fsspec by file type)'
    ),
    isEnabled: args => !!args.path || !!args.key || hasObject(),
    execute: async args => {
      if (!options.tracker?.currentWidget) {
        Notification.warning(
          trans.__(
            'Open a notebook first: the snippet goes below its active cell.'
          ),
          { autoClose: 5000 }
        );
        return;
      }
      let source: SnippetSource;
      try {
        if (args.path) {
          source = { kind: 'mount', path: String(args.path) };
        } else if (args.source === 'url') {
          const link = await model.presign('GET', defaultSeconds());
          source = { kind: 'url', url: link.url, key: model.selectedKey! };
        } else {
          const listing = model.listing;
          source = {
            kind: 'staged',
            endpoint: String(args.endpoint ?? listing?.endpoint),
            bucket: String(args.bucket ?? listing?.bucket),
            key: String(args.key ?? model.selectedKey)
          };
        }
      } catch (error) {
        fail(error);
        return;
      }
      const widget = options.tracker.currentWidget;
      insertCodeCell(options.tracker, makeSnippet(source));
      shell.activateById(widget.id);
    }
  });

  commands.addCommand(CommandIDs.copyPath, {
    label: trans.__('Copy Path of Cached Object'),
    isEnabled: args => typeof args.id === 'string',
    execute: async args => {
      const entry = model.staging.entries.find(e => e.id === args.id);
      if (entry?.localPath) {
        await copy(entry.localPath, trans.__('Path copied'));
      }
    }
  });

  commands.addCommand(CommandIDs.removeCached, {
    label: trans.__('Remove from the Cache'),
    isEnabled: args => typeof args.id === 'string',
    execute: async args => {
      try {
        await model.staging.remove(String(args.id));
      } catch (error) {
        fail(error);
      }
    }
  });

  commands.addCommand(CommandIDs.openMount, {
    label: trans.__('Open Mount in the File Browser'),
    isEnabled: args =>
      typeof args.path === 'string' &&
      MountsSection.relativeTo(options.serverRoot, args.path) !== null,
    execute: async args => {
      const relative = MountsSection.relativeTo(
        options.serverRoot,
        String(args.path)
      );
      if (relative === null) {
        return;
      }
      await commands.execute('filebrowser:go-to-path', {
        path: `/${relative}`
      });
      shell.activateById('filebrowser');
    }
  });

  commands.addCommand(CommandIDs.logIn, {
    label: trans.__('Log In Again'),
    caption: trans.__(
      'Your login has expired: log in again to get fresh storage keys'
    ),
    execute: () => {
      const hubPrefix = PageConfig.getOption('hubPrefix');
      if (hubPrefix) {
        // JupyterHub: its login page, then back here (the Hub refreshes the OIDC tokens).
        const next = window.location.pathname + window.location.search;
        window.location.href = `${URLExt.join(
          PageConfig.getOption('hubHost') || '',
          hubPrefix,
          'login'
        )}?next=${encodeURIComponent(next)}`;
      } else {
        window.location.reload();
      }
    }
  });
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Copy text to the system clipboard: the async Clipboard API where the page may use it,
   * JupyterLab's copy helper otherwise.
   */
  export async function copyText(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      Clipboard.copyToSystem(text);
    }
  }
}
