/**
 * @packageDocumentation
 * @module mlinfn-burst
 *
 * Burst cells of mlinfn-lab: run one notebook cell on an HTCondor pool, a Spark cluster or a
 * local process ("Run Cell on…"), follow it in the Jobs panel, and get its outputs back in the
 * cell. The form and the backend list are separate plugins providing `IBurstFormFactory` and
 * `IBurstBackendList`, so a site can replace either.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { BridgeError, IBridgeClient, PALETTE_CATEGORY } from '@mlinfn/common';
import { IDisposable } from '@lumino/disposable';
import { CommandIDs } from './commands';
import { burstIcon, jobsIcon } from './icons';
import { BurstBackendList } from './models/backends';
import { ChoiceStore } from './models/choice';
import { DEFAULT_SETUP_TAG } from './models/context';
import { IOpenNotebook, OutputsDelivery } from './models/delivery';
import { BurstJobsModel } from './models/jobs';
import { draftFromDefaults } from './models/request';
import { JobNotifier } from './notifications';
import { runCellOn } from './run';
import { IBurstBackendList, IBurstFormFactory, IBurstJobs } from './tokens';
import { CellBadges } from './widgets/badges';
import { BurstFormFactory } from './widgets/form';
import { JobLogView } from './widgets/log';
import { JobsPanel } from './widgets/panel';
import { JobsStatusItem } from './widgets/statusitem';

export * from './commands';
export * from './format';
export * from './icons';
export * from './models/backends';
export * from './models/choice';
export * from './models/context';
export * from './models/delivery';
export * from './models/jobs';
export * from './models/log';
export * from './models/outputs';
export * from './models/request';
export * from './models/validation';
export * from './notifications';
export * from './run';
export * from './tokens';
export * from './widgets/badges';
export * from './widgets/form';
export * from './widgets/log';
export * from './widgets/panel';
export * from './widgets/statusitem';

/**
 * Load a plugin's settings and apply them now and on each change; without a registry the
 * defaults stand.
 */
function withSettings(
  registry: ISettingRegistry | null,
  id: string,
  apply: (settings: ISettingRegistry.ISettings) => void
): void {
  registry
    ?.load(id)
    .then(settings => {
      apply(settings);
      settings.changed.connect(() => apply(settings));
    })
    .catch(reason => console.error(`mlinfn: cannot load ${id}`, reason));
}

/**
 * The jobs model, following the bridge's `burst` channel once the app is restored.
 */
export const jobsPlugin: JupyterFrontEndPlugin<IBurstJobs> = {
  id: '@mlinfn/burst:jobs',
  description: 'Every burst job of this user, live from the mlinfn bridge.',
  autoStart: true,
  provides: IBurstJobs,
  requires: [IBridgeClient],
  optional: [ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    client: IBridgeClient,
    translator: ITranslator | null,
    registry: ISettingRegistry | null
  ): IBurstJobs => {
    const jobs = new BurstJobsModel({
      client,
      translator: translator ?? nullTranslator
    });
    const start = () => void app.restored.then(() => jobs.start());
    if (registry) {
      withSettings(registry, jobsPlugin.id, settings => {
        if (settings.composite.connect !== false) {
          start();
        }
      });
    } else {
      start();
    }
    return jobs;
  }
};

/**
 * The backend list (replaceable): what `GET /api/burst/backends` offers, less the hidden ones.
 */
export const backendsPlugin: JupyterFrontEndPlugin<IBurstBackendList> = {
  id: '@mlinfn/burst:backends',
  description:
    'Where a cell can be sent: the HTCondor pools, Spark masters and local backend the bridge offers.',
  autoStart: true,
  provides: IBurstBackendList,
  requires: [IBridgeClient],
  optional: [ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    client: IBridgeClient,
    translator: ITranslator | null,
    registry: ISettingRegistry | null
  ): IBurstBackendList => {
    const list = new BurstBackendList({
      client,
      translator: translator ?? nullTranslator
    });
    withSettings(registry, backendsPlugin.id, settings => {
      const hidden = settings.composite.hiddenBackends;
      list.setHidden(Array.isArray(hidden) ? (hidden as string[]) : []);
    });
    void app.restored.then(() => list.refresh());
    return list;
  }
};

/**
 * The "Run Cell on…" form (replaceable).
 */
export const formPlugin: JupyterFrontEndPlugin<IBurstFormFactory> = {
  id: '@mlinfn/burst:form',
  description:
    'The "Run Cell on…" form: backend, resources, inputs and context.',
  autoStart: true,
  provides: IBurstFormFactory,
  optional: [ISettingRegistry],
  activate: (
    _app: JupyterFrontEnd,
    registry: ISettingRegistry | null
  ): IBurstFormFactory => {
    const factory = new BurstFormFactory();
    withSettings(registry, formPlugin.id, settings => {
      factory.showResourceHelp = settings.composite.showResourceHelp !== false;
    });
    return factory;
  }
};

/**
 * "Run Cell on…": the command (cell toolbar, cell context menu, Run menu, palette, shortcut,
 * all declared in `schema/run.json`) and the launcher tiles.
 */
export const runPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/burst:run',
  description:
    'The "Run Cell on…" command, its toolbar button, menu entries and shortcut, and a launcher tile per backend.',
  autoStart: true,
  requires: [
    IBurstJobs,
    IBurstBackendList,
    IBurstFormFactory,
    INotebookTracker
  ],
  optional: [
    ITranslator,
    ISettingRegistry,
    IStateDB,
    ICommandPalette,
    ILauncher
  ],
  activate: (
    app: JupyterFrontEnd,
    jobs: IBurstJobs,
    backends: IBurstBackendList,
    forms: IBurstFormFactory,
    tracker: INotebookTracker,
    translator: ITranslator | null,
    registry: ISettingRegistry | null,
    state: IStateDB | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('mlinfn');
    const choices = new ChoiceStore(state);
    const options = {
      setupTag: DEFAULT_SETUP_TAG,
      remember: true,
      launcherTiles: true
    };

    const isCodeCell = () =>
      tracker.currentWidget?.content.activeCell?.model.type === 'code';

    app.commands.addCommand(CommandIDs.runCell, {
      label: args =>
        args.backend
          ? trans.__(
              'Run Cell on %1…',
              backends.get(args.backend as string)?.title ?? args.backend
            )
          : trans.__('Run Cell on…'),
      caption: trans.__(
        'Run this cell on an HTCondor pool, a Spark cluster or a local process; its outputs come back into the cell'
      ),
      icon: burstIcon,
      isEnabled: isCodeCell,
      execute: async args => {
        const panel = tracker.currentWidget;
        if (!panel) {
          return null;
        }
        return runCellOn(
          panel,
          {
            jobs,
            backends,
            forms,
            choices,
            contents: app.serviceManager.contents,
            translator: translator ?? nullTranslator,
            setupTag: options.setupTag,
            remember: options.remember
          },
          (args.backend as string | undefined) || undefined
        );
      }
    });

    app.commands.addCommand(CommandIDs.newNotebook, {
      label: args =>
        args.isLauncher
          ? (backends.get(args.backend as string)?.title ??
            trans.__('Notebook for a backend'))
          : trans.__(
              'New Notebook for %1',
              backends.get(args.backend as string)?.title ?? args.backend
            ),
      caption: args =>
        trans.__(
          'A new notebook whose "Run Cell on…" starts on %1',
          backends.get(args.backend as string)?.title ?? args.backend
        ),
      icon: burstIcon,
      execute: async args => {
        const backend = backends.get(args.backend as string);
        // With the default kernel named, no kernel dialog stands between tile and notebook.
        const panel = (await app.commands.execute('notebook:create-new', {
          cwd: (args.cwd as string) ?? '',
          kernelName: app.serviceManager.kernelspecs.specs?.default
        })) as NotebookPanel | undefined;
        if (!panel || !backend) {
          return panel;
        }
        await panel.context.ready;
        await choices.save(panel.context.path, {
          backend: backend.id,
          resources: draftFromDefaults(backend.resources.defaults),
          inputs: [],
          context: { added: [], removed: [] }
        });
        return panel;
      }
    });

    palette?.addItem({
      command: CommandIDs.runCell,
      category: PALETTE_CATEGORY
    });

    // One launcher tile per backend, kept in step with the list.
    let tiles: IDisposable[] = [];
    const updateTiles = () => {
      tiles.forEach(tile => tile.dispose());
      tiles = [];
      if (!launcher || !options.launcherTiles) {
        return;
      }
      backends.backends.forEach((backend, rank) => {
        tiles.push(
          launcher.add({
            command: CommandIDs.newNotebook,
            args: { backend: backend.id, isLauncher: true },
            category: trans.__('Burst'),
            rank
          })
        );
      });
    };
    backends.changed.connect(updateTiles);

    withSettings(registry, runPlugin.id, settings => {
      const c = settings.composite;
      options.setupTag =
        typeof c.setupTag === 'string' && c.setupTag
          ? c.setupTag
          : DEFAULT_SETUP_TAG;
      options.remember = c.rememberChoice !== false;
      options.launcherTiles = c.launcherTiles !== false;
      updateTiles();
    });

    tracker.activeCellChanged.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.runCell)
    );
  }
};

/**
 * The Jobs panel (right sidebar), the log tabs, and the commands that act on a job.
 */
export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/burst:panel',
  description:
    'The Jobs panel: every burst job with its state, log, cancel, resubmit and a way back to its cell.',
  autoStart: true,
  requires: [IBurstJobs],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    jobs: IBurstJobs,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null
  ): void => {
    const tr = translator ?? nullTranslator;
    const trans = tr.load('mlinfn');
    let openOnSubmit = false;

    const report = (error: unknown) =>
      Notification.error(
        error instanceof BridgeError ? error.reason : String(error),
        { autoClose: false }
      );
    const idOf = (args: { id?: unknown }) =>
      String(args.id ?? panel.selected ?? '');

    const panel = new JobsPanel({
      jobs,
      translator: tr,
      actions: {
        cancel: id => void app.commands.execute(CommandIDs.cancel, { id }),
        resubmit: id => void app.commands.execute(CommandIDs.resubmit, { id }),
        openCell: id => void app.commands.execute(CommandIDs.openCell, { id }),
        openLog: id => void app.commands.execute(CommandIDs.openLog, { id })
      }
    });
    panel.title.caption = trans.__('Jobs');
    app.shell.add(panel, 'right', { rank: 650 });
    restorer?.add(panel, 'mlinfn-burst-jobs');

    const logs = new WidgetTracker<MainAreaWidget<JobLogView>>({
      namespace: 'mlinfn-burst-log'
    });

    app.commands.addCommand(CommandIDs.openJobs, {
      label: trans.__('Show Jobs'),
      caption: trans.__('Show the burst jobs: cells running on other machines'),
      icon: args => (args.isPalette ? undefined : jobsIcon),
      execute: args => {
        if (args.id) {
          panel.select(String(args.id));
        }
        app.shell.activateById(panel.id);
      }
    });

    app.commands.addCommand(CommandIDs.openLog, {
      label: trans.__('Open Job Log in a Tab'),
      execute: async args => {
        const id = idOf(args);
        const job = jobs.get(id);
        if (!job) {
          return;
        }
        const existing = logs.find(w => w.content.jobId === id);
        if (existing) {
          app.shell.activateById(existing.id);
          return existing;
        }
        const content = new JobLogView({ jobId: id, jobs, translator: tr });
        const widget = new MainAreaWidget({ content });
        widget.id = `mlinfn-burst-log-${id}`;
        widget.title.label = trans.__(
          'Log: %1',
          job.notebookPath.split('/').pop() ?? job.notebookPath
        );
        widget.title.caption = trans.__(
          'Log of the job of %1, cell %2, on %3',
          job.notebookPath,
          job.cellId,
          job.backendTitle ?? job.backend
        );
        widget.title.icon = jobsIcon;
        widget.addClass('jp-BurstLogTab');
        await logs.add(widget);
        app.shell.add(widget, 'main');
        return widget;
      }
    });

    app.commands.addCommand(CommandIDs.cancel, {
      label: trans.__('Cancel Job'),
      execute: args => jobs.cancel(idOf(args)).catch(report)
    });

    app.commands.addCommand(CommandIDs.resubmit, {
      label: trans.__('Resubmit Job'),
      execute: async args => {
        try {
          const job = await jobs.resubmit(idOf(args));
          panel.select(job.id);
          return job;
        } catch (error) {
          report(error);
        }
      }
    });

    app.commands.addCommand(CommandIDs.openCell, {
      label: trans.__("Open the Job's Cell"),
      execute: async args => {
        const job = jobs.get(idOf(args));
        if (!job) {
          return;
        }
        const widget = (await app.commands.execute('docmanager:open', {
          path: job.notebookPath,
          factory: 'Notebook'
        })) as NotebookPanel | undefined;
        if (!widget || !(widget instanceof NotebookPanel)) {
          return widget;
        }
        await widget.context.ready;
        const notebook = widget.content;
        const index = notebook.widgets.findIndex(
          c => c.model.id === job.cellId
        );
        if (index < 0) {
          Notification.warning(
            trans.__(
              'The cell of this job is no longer in %1.',
              job.notebookPath
            ),
            { autoClose: 5000 }
          );
          return widget;
        }
        notebook.activeCellIndex = index;
        notebook.mode = 'command';
        await notebook.scrollToCell(notebook.widgets[index], 'center');
        return widget;
      }
    });

    if (restorer) {
      void restorer.restore(logs, {
        command: CommandIDs.openLog,
        args: widget => ({ id: widget.content.jobId }),
        name: widget => widget.content.jobId
      });
    }
    palette?.addItem({
      command: CommandIDs.openJobs,
      category: PALETTE_CATEGORY
    });

    withSettings(registry, panelPlugin.id, settings => {
      openOnSubmit = settings.composite.openOnSubmit === true;
    });
    jobs.jobChanged.connect((_, { job, previous }) => {
      if (openOnSubmit && !previous && job.state === 'queued') {
        void app.commands.execute(CommandIDs.openJobs, { id: job.id });
      }
    });
  }
};

/**
 * The open notebook copy of a notebook panel, for the delivery.
 */
function openNotebook(panel: NotebookPanel): IOpenNotebook | null {
  const model = panel.context.model;
  if (!model || !panel.context.isReady) {
    return null;
  }
  return {
    path: panel.context.path,
    model,
    get dirty() {
      return model.dirty;
    },
    // A collaborative document is saved by its room, not by this page.
    collaborative: !!model.collaborative,
    save: () => panel.context.save(),
    revert: () => panel.context.revert()
  };
}

/**
 * Burst in open notebooks: outputs into cells by cell id (with the acknowledgement), and the
 * status badges.
 */
export const cellsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/burst:cells',
  description:
    "Puts finished jobs' outputs into the open notebook's cells and shows a status badge on cells whose job runs.",
  autoStart: true,
  requires: [IBurstJobs, INotebookTracker, IBridgeClient],
  optional: [ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    jobs: IBurstJobs,
    tracker: INotebookTracker,
    client: IBridgeClient,
    translator: ITranslator | null,
    registry: ISettingRegistry | null
  ): void => {
    const findOpen = (path: string): IOpenNotebook[] => {
      const found: IOpenNotebook[] = [];
      tracker.forEach(panel => {
        if (panel.context.path === path) {
          const open = openNotebook(panel);
          if (open) {
            found.push(open);
          }
        }
      });
      return found;
    };
    const onError = (error: unknown) =>
      void client.reportError(error, '@mlinfn/burst:cells');

    let delivery: OutputsDelivery | null = null;
    let badges: CellBadges | null = null;
    const setDelivery = (on: boolean) => {
      if (on && !delivery) {
        delivery = new OutputsDelivery({ jobs, findOpen, onError });
      } else if (!on && delivery) {
        delivery.dispose();
        delivery = null;
      }
    };
    const setBadges = (on: boolean) => {
      if (on && !badges) {
        badges = new CellBadges({
          jobs,
          tracker,
          translator: translator ?? nullTranslator,
          onClick: id => void app.commands.execute(CommandIDs.openJobs, { id })
        });
      } else if (!on && badges) {
        badges.dispose();
        badges = null;
      }
    };
    setDelivery(true);
    setBadges(true);
    withSettings(registry, cellsPlugin.id, settings => {
      setDelivery(settings.composite.applyOutputs !== false);
      setBadges(settings.composite.badges !== false);
    });

    // A notebook opened after its job finished picks up outputs still waiting.
    tracker.widgetAdded.connect((_, panel) => {
      void panel.context.ready.then(() => {
        const open = openNotebook(panel);
        if (open && delivery) {
          void delivery.notebookOpened(open);
        }
      });
    });
  }
};

/**
 * The status-bar item: how many jobs are unfinished.
 */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/burst:status-bar',
  description: 'Shows how many burst jobs are running, queued or held.',
  autoStart: true,
  requires: [IBurstJobs, IStatusBar],
  optional: [ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    jobs: IBurstJobs,
    statusBar: IStatusBar,
    translator: ITranslator | null,
    registry: ISettingRegistry | null
  ): void => {
    const item = new JobsStatusItem({
      jobs,
      translator: translator ?? nullTranslator,
      onClick: () => void app.commands.execute(CommandIDs.openJobs)
    });
    statusBar.registerStatusItem(statusBarPlugin.id, {
      item,
      align: 'left',
      rank: 110,
      isActive: () => item.isActive,
      activeStateChanged: item.activeStateChanged
    });
    withSettings(registry, statusBarPlugin.id, settings => {
      item.enabled = settings.composite.show !== false;
    });
  }
};

/**
 * Notifications when a job fails, is held, or completes out of sight.
 */
export const notificationsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@mlinfn/burst:notifications',
  description:
    'Notifies when a burst job fails or is held, and when one completes while its notebook is not in front.',
  autoStart: true,
  requires: [IBurstJobs],
  optional: [ITranslator, ISettingRegistry, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    jobs: IBurstJobs,
    translator: ITranslator | null,
    registry: ISettingRegistry | null,
    labShell: ILabShell | null
  ): void => {
    const notifier = new JobNotifier({
      jobs,
      translator: translator ?? nullTranslator,
      isInFront: path => {
        const current = labShell?.currentWidget ?? app.shell.currentWidget;
        return (
          current instanceof NotebookPanel &&
          current.context.path === path &&
          !document.hidden
        );
      },
      openJob: id => void app.commands.execute(CommandIDs.openJobs, { id })
    });
    withSettings(registry, notificationsPlugin.id, settings => {
      notifier.settings = {
        failures: settings.composite.failures !== false,
        completions: settings.composite.completions !== false
      };
    });
  }
};

const plugins: JupyterFrontEndPlugin<any>[] = [
  jobsPlugin,
  backendsPlugin,
  formPlugin,
  runPlugin,
  panelPlugin,
  cellsPlugin,
  statusBarPlugin,
  notificationsPlugin
];

export default plugins;
