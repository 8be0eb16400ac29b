import type { MetricsKernel } from '@mlinfn/common';
import { formatBytes } from '@mlinfn/common';
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  MainAreaWidget,
  Notification,
  showDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import { kernelLabel } from './describe';
import { resourcesIcon } from './icons';
import { IResourceMonitor } from './tokens';
import { ResourceCharts } from './widgets/charts';
import { ResourcePanel } from './widgets/panel';

/**
 * The command ids of @mlinfn/monitor.
 */
export namespace CommandIDs {
  /**
   * Show the Resources panel in the right sidebar.
   */
  export const open = 'mlinfn-monitor:open';

  /**
   * Open the resource charts in a main-area tab.
   */
  export const openCharts = 'mlinfn-monitor:open-charts';

  /**
   * Shut down a kernel after confirmation (args: `id`; without it, the user picks one).
   */
  export const shutdownKernel = 'mlinfn-monitor:shutdown-kernel';
}

/**
 * Add the monitor's commands.
 *
 * @returns The tracker of the chart tabs (for layout restoration).
 */
export function addCommands(
  app: JupyterFrontEnd,
  model: IResourceMonitor,
  panel: ResourcePanel,
  translator: ITranslator
): WidgetTracker<MainAreaWidget<ResourceCharts>> {
  const { commands, shell } = app;
  const trans = translator.load('mlinfn');
  const tracker = new WidgetTracker<MainAreaWidget<ResourceCharts>>({
    namespace: 'mlinfn-resource-charts'
  });

  commands.addCommand(CommandIDs.open, {
    label: args =>
      args.isLauncher || args.isMenu
        ? trans.__('Resources')
        : trans.__('Show Resources'),
    caption: trans.__(
      'Show CPU, memory and GPU use, per notebook and over the last hour'
    ),
    icon: args => (args.isPalette ? undefined : resourcesIcon),
    execute: () => {
      if (!panel.isAttached) {
        shell.add(panel, 'right', { rank: 600 });
      }
      shell.activateById(panel.id);
    }
  });

  commands.addCommand(CommandIDs.openCharts, {
    label: trans.__('Open Resource Charts in a Tab'),
    caption: trans.__(
      'Open the live charts of the last hour in a main-area tab'
    ),
    icon: args => (args.isPalette ? undefined : resourcesIcon),
    execute: () => {
      const current = tracker.find(() => true);
      if (current) {
        shell.activateById(current.id);
        return current;
      }
      const content = new ResourceCharts({ model, translator });
      const widget = new MainAreaWidget({ content });
      widget.id = Private.nextId();
      widget.addClass('jp-ResourceChartsTab');
      widget.title.label = trans.__('Resource Charts');
      widget.title.icon = resourcesIcon;
      widget.title.closable = true;
      void tracker.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    }
  });

  commands.addCommand(CommandIDs.shutdownKernel, {
    label: args =>
      typeof args.label === 'string' && args.label
        ? trans.__('Shut Down the Kernel of %1', args.label)
        : trans.__('Shut Down a Kernel…'),
    caption: trans.__(
      'Shut down a running kernel, after confirmation; its notebook stays'
    ),
    execute: async args => {
      const kernels = model.latest?.kernels ?? [];
      let kernel: MetricsKernel | null =
        typeof args.id === 'string'
          ? (kernels.find(k => k.id === args.id) ?? null)
          : null;
      let id = typeof args.id === 'string' ? args.id : null;
      if (!id) {
        kernel = await Private.pickKernel(kernels, trans);
        if (!kernel) {
          return false;
        }
        id = kernel.id;
      } else if (args.confirm !== false) {
        const label =
          kernel !== null
            ? kernelLabel(kernel, trans)
            : typeof args.label === 'string'
              ? args.label
              : id;
        const result = await showDialog({
          title: trans.__('Shut down the kernel?'),
          body: Private.confirmText(label, kernel, trans),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.warnButton({ label: trans.__('Shut Down') })
          ]
        });
        if (!result.button.accept) {
          return false;
        }
      }
      try {
        await app.serviceManager.kernels.shutdown(id);
        return true;
      } catch (reason) {
        Notification.error(
          trans.__(
            'The kernel could not be shut down: %1',
            reason instanceof Error ? reason.message : String(reason)
          ),
          { autoClose: false }
        );
        return false;
      }
    }
  });

  return tracker;
}

/**
 * Shut a kernel down from a view: through the command (which asks the user first).
 */
export async function shutdownFromView(
  app: JupyterFrontEnd,
  kernel: MetricsKernel
): Promise<boolean> {
  const args: ReadonlyPartialJSONObject = { id: kernel.id };
  const done = await app.commands.execute(CommandIDs.shutdownKernel, args);
  return done === true;
}

/**
 * Module-private helpers.
 */
namespace Private {
  let counter = 0;

  /**
   * A fresh id for a chart tab.
   */
  export function nextId(): string {
    return `mlinfn-resource-charts-${++counter}`;
  }

  /**
   * The confirmation sentence.
   */
  export function confirmText(
    label: string,
    kernel: MetricsKernel | null,
    trans: TranslationBundle
  ): string {
    const base = trans.__(
      'The kernel of %1 will stop and its variables will be lost; the notebook itself stays, and you can start a new kernel from it.',
      label
    );
    if (kernel && kernel.gpuMemoryBytes && kernel.gpuMemoryBytes > 0) {
      return `${base} ${trans.__(
        'This frees %1 of GPU memory.',
        formatBytes(kernel.gpuMemoryBytes)
      )}`;
    }
    return base;
  }

  /**
   * Ask which kernel to shut down (the palette entry without arguments).
   */
  export async function pickKernel(
    kernels: MetricsKernel[],
    trans: TranslationBundle
  ): Promise<MetricsKernel | null> {
    if (!kernels.length) {
      await showDialog({
        title: trans.__('Shut down a kernel'),
        body: trans.__('No kernel is running.'),
        buttons: [Dialog.okButton({ label: trans.__('OK') })]
      });
      return null;
    }
    const body = new KernelPicker(kernels, trans);
    const result = await showDialog({
      title: trans.__('Shut down a kernel'),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Shut Down') })
      ]
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    return kernels.find(k => k.id === result.value) ?? null;
  }

  /**
   * The body of the kernel picker: a select of the running kernels, idle GPU holders first.
   */
  export class KernelPicker
    extends Widget
    implements Dialog.IBodyWidget<string>
  {
    constructor(kernels: MetricsKernel[], trans: TranslationBundle) {
      super();
      this.addClass('jp-ResourcePanel-picker');
      const label = document.createElement('label');
      label.textContent = trans.__('Kernel');
      const sorted = [...kernels].sort(
        (a, b) => Number(b.idleGpuHolder) - Number(a.idleGpuHolder)
      );
      this._select = document.createElement('select');
      this._select.className = 'jp-mod-styled';
      for (const k of sorted) {
        const option = document.createElement('option');
        option.value = k.id;
        option.textContent = k.idleGpuHolder
          ? trans.__('%1 — idle GPU holder', kernelLabel(k, trans))
          : kernelLabel(k, trans);
        this._select.append(option);
      }
      const wrapper = document.createElement('div');
      wrapper.className = 'jp-select-wrapper';
      wrapper.append(this._select);
      label.append(wrapper);
      this.node.append(label);
    }

    getValue(): string {
      return this._select.value;
    }

    private _select: HTMLSelectElement;
  }
}
