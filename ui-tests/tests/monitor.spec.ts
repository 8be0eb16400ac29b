/**
 * End-to-end checks of @mlinfn/monitor against a real JupyterLab, jupyter-server-proxy and
 * bridge: the figures come from the bridge's real sampler over the pushed `metrics` channel.
 *
 * There is no GPU here: the test lab's bridge config (fixtures/bridge-config.json) points the
 * bridge's nvidia-smi loop at fixtures/mlinfn-fake-nvidia-smi, which prints a recorded real
 * `nvidia-smi -q -x` document of one Tesla T4 whose processes are this server's kernels
 * (1536 MiB each), and sets idleGpuMinutes to 1, the schema's minimum.
 *
 * The test that takes the README pictures runs last, so that its charts show the minutes of
 * history the other tests made (a 600 MB allocation, kernels holding GPU memory).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';
import { pythonNotebook, writeNotebook } from './utils/notebooks';
import { lightAndDark, SCREENSHOTS } from './utils/screenshots';

const PANEL = '#mlinfn-resources';
const MiB = 1024 * 1024;

/**
 * Bytes from the panel's text: "629.1 MB", "1.6 GB", "900 B".
 */
function parseBytes(text: string): number {
  const match = /^([\d.]+) (B|kB|MB|GB|TB)$/.exec(text.trim());
  if (!match) {
    throw new Error(`not an amount of bytes: "${text}"`);
  }
  const scale: Record<string, number> = {
    B: 1,
    kB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12
  };
  return Number(match[1]) * scale[match[2]];
}

/**
 * Open the Resources panel through its command (the palette's "Show Resources").
 */
async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('mlinfn-monitor:open');
  });
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  return panel;
}

/**
 * Create a notebook holding one code cell, open it (its kernel starts with the notebook's
 * final path), run the cell and return its text output.
 *
 * The file is written first rather than made with "File > New" and renamed: a rename that
 * races with the kernel's start can leave the session on "Untitled.ipynb".
 */
async function runInNewNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  source: string
): Promise<string> {
  const file = `${tmpPath}/${name}`;
  await writeNotebook(page, file, pythonNotebook([source]));
  expect(await page.notebook.openByPath(file)).toBe(true);
  await page.notebook.activate(name);
  await page.notebook.runCell(0);
  return ((await page.notebook.getCellTextOutput(0)) ?? []).join('');
}

/**
 * The row of a notebook in the per-notebook table.
 */
function rowOf(panel: Locator, notebook: string): Locator {
  return panel.locator(
    `.jp-ResourcePanel-kernel[data-notebook$="${notebook}"]`
  );
}

/**
 * Shut down every kernel of the test lab, so that none outlives its test.
 */
async function shutdownKernels(page: IJupyterLabPageFixture): Promise<void> {
  await page.kernel.shutdownAll();
}

test.describe('@mlinfn/monitor', () => {
  test.afterEach(async ({ page }) => {
    await shutdownKernels(page);
  });

  test('a kernel that allocates memory shows up against its notebook', async ({
    page,
    tmpPath
  }) => {
    // bytearray(n) zero-fills its buffer, so its pages are touched and resident.
    await runInNewNotebook(
      page,
      tmpPath,
      'memory-hog.ipynb',
      'x = bytearray(600 * 1024 * 1024)\nlen(x)'
    );
    const panel = await openPanel(page);
    const row = rowOf(panel, 'memory-hog.ipynb');
    // The proxy starts the bridge on first use: give the first figures time.
    await expect(row).toHaveCount(1, { timeout: 45000 });
    // PSS is read at a slower rate than RSS: wait for the figure the row shows.
    await expect
      .poll(async () => Number(await row.getAttribute('data-memory-bytes')), {
        timeout: 45000
      })
      .toBeGreaterThanOrEqual(600 * MiB);
    const text = await row.locator('.jp-ResourcePanel-colMemory').innerText();
    expect(parseBytes(text)).toBeGreaterThanOrEqual(600 * MiB * 0.999);
    await expect(row.locator('.jp-ResourcePanel-colNotebook')).toContainText(
      'memory-hog.ipynb'
    );
  });

  test('an idle kernel holding (fixture) GPU memory is flagged and shut down in one click', async ({
    page,
    tmpPath
  }) => {
    // idleGpuMinutes is 1 (the schema's minimum): the kernel must idle for a minute.
    test.setTimeout(240000);
    const pid = await runInNewNotebook(
      page,
      tmpPath,
      'gpu-holder.ipynb',
      'import os\nos.getpid()'
    );
    expect(Number(pid)).toBeGreaterThan(1);
    const panel = await openPanel(page);
    const row = rowOf(panel, 'gpu-holder.ipynb');
    await expect(row.locator('.jp-ResourcePanel-colGpu')).toHaveText('1.6 GB', {
      timeout: 30000
    });
    const kernelId = await row.getAttribute('data-kernel-id');
    expect(kernelId).toBeTruthy();
    await expect(row.locator('.jp-ResourcePanel-colGpu')).toHaveAttribute(
      'title',
      'On GPU 0'
    );

    // Not flagged while it has just run; flagged once it has idled for a minute.
    await expect(row).not.toHaveClass(/jp-mod-idleGpuHolder/);
    await expect(row).toHaveClass(/jp-mod-idleGpuHolder/, { timeout: 150000 });
    await expect(row.locator('.jp-ResourcePanel-flag')).toHaveText(
      'idle GPU holder'
    );
    const holder = panel.locator('.jp-ResourcePanel-holder', {
      hasText: 'gpu-holder.ipynb'
    });
    await expect(holder).toContainText(
      /gpu-holder\.ipynb holds 1\.6 GB of GPU memory and has been idle for 1 min/
    );
    await panel
      .locator('.jp-ResourcePanel-holders')
      .screenshot({ path: path.join(SCREENSHOTS, 'monitor-idle-holder.png') });

    // One click, then the confirmation.
    await holder
      .getByRole('button', { name: /^Shut down the kernel of/ })
      .click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('This frees 1.6 GB of GPU memory.');
    await dialog.getByRole('button', { name: 'Shut Down' }).click();
    await expect(dialog).toHaveCount(0);

    // The kernel is gone: from Jupyter, and then from the table and the notice.
    await expect
      .poll(async () => {
        const response = await page.request.get('/api/kernels');
        const kernels = (await response.json()) as { id: string }[];
        return kernels.some(k => k.id === kernelId);
      })
      .toBe(false);
    await expect(row).toHaveCount(0, { timeout: 30000 });
    await expect(holder).toHaveCount(0);
  });

  test('the status-bar item opens the Resources panel with live figures from the bridge', async ({
    page,
    tmpPath
  }) => {
    const item = page.locator('.jp-ResourceStatus');
    await expect(item).toBeVisible();
    // The proxy starts the bridge on first use: give the first figures time.
    await expect(item.locator('.jp-ResourceStatus-memory')).toHaveText(
      /^Mem [\d.]+ \/ [\d.]+ [kMGT]?B$/,
      { timeout: 45000 }
    );
    await expect(item.locator('.jp-ResourceStatus-cpu')).toHaveText(
      /^CPU \d+ %$/
    );
    // The fixture's GPU is in the status bar too.
    await expect(item.locator('.jp-ResourceStatus-gpu')).toHaveText(
      /^GPU \d+ % · [\d.]+ \/ 16\.1 GB$/
    );

    await item.click();
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();

    // Live: the sample time moves from one push to the next.
    const sample = panel.locator('.jp-ResourcePanel-sampleTime');
    await expect(sample).toHaveText(/^Sampled at .+, every [\d.]+ s$/);
    const first = Number(await sample.getAttribute('data-time'));
    expect(first).toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await sample.getAttribute('data-time')), {
        timeout: 15000
      })
      .toBeGreaterThan(first);

    // Host figures, with the source of the limit.
    await expect(
      panel.locator('.jp-ResourcePanel-cpu .jp-ResourcePanel-value')
    ).toHaveText(/^\d+ % of [\d.]+ cores$/);
    await expect(
      panel.locator('.jp-ResourcePanel-memory .jp-ResourcePanel-value')
    ).toHaveText(/^[\d.]+ \/ [\d.]+ [kMGT]?B \(\d+ %\)$/);
    await expect(
      panel.locator('.jp-ResourcePanel-memory .jp-ResourcePanel-note')
    ).toHaveText(/^(limit from (cgroup v[12]|MEM_LIMIT)|no container limit)/);

    // The GPU, read through the bridge's real nvidia-smi loop from the fixture.
    await expect(
      panel.locator('.jp-ResourcePanel-gpu .jp-ResourcePanel-gpuTitle')
    ).toHaveText('GPU 0 · Tesla T4');
    await expect(panel.locator('.jp-ResourcePanel-gpuState')).toHaveCount(0);

    // A notebook holding (fixture) GPU memory, for the table and the picture.
    await runInNewNotebook(
      page,
      tmpPath,
      'analysis.ipynb',
      'data = list(range(10**6))'
    );
    await openPanel(page);
    await expect(
      rowOf(panel, 'analysis.ipynb').locator('.jp-ResourcePanel-colGpu')
    ).toHaveText('1.6 GB', { timeout: 30000 });

    // The charts draw lines: CPU, memory, and the GPU's utilisation and memory.
    for (const chart of ['cpu', 'memory', 'gpuUtilization', 'gpuMemory']) {
      await expect(
        panel.locator(
          `.jp-ResourceCharts-${chart} path.jp-TimeSeriesChart-line`
        )
      ).toHaveCount(1);
    }
    await expect(
      panel.locator('.jp-ResourceCharts-memory .jp-TimeSeriesChart-limitLabel')
    ).toHaveText(/^Memory limit /);

    // Pictures for the README (not snapshot comparisons), light and dark.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.sidebar.setWidth(440, 'right');
    await lightAndDark(
      page,
      panel,
      'monitor-light.png',
      'monitor-dark.png',
      1500
    );
    await item.screenshot({
      path: path.join(SCREENSHOTS, 'monitor-statusbar.png')
    });
  });

  test('the palette, the View menu and the launcher reach the panel; the charts open in a tab', async ({
    page
  }) => {
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#modal-command-palette');
    await expect(palette).toBeVisible();
    for (const label of [
      'Show Resources',
      'Open Resource Charts in a Tab',
      'Shut Down a Kernel…'
    ]) {
      // The palette searches "category label": found under the suite's category.
      await palette.locator('input').fill(`mlinfn ${label}`);
      await expect(
        palette.locator('.lm-CommandPalette-item', { hasText: label })
      ).toBeVisible();
    }
    await page.keyboard.press('Escape');

    await page.menu.clickMenuItem('View>Resources');
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    await page.sidebar.close('right');
    await expect(panel).toBeHidden();

    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('launcher:create');
    });
    await page
      .locator('.jp-LauncherCard:visible')
      .filter({
        has: page.locator('.jp-LauncherCard-label', { hasText: /^Resources$/ })
      })
      .click();
    await expect(panel).toBeVisible();

    // The header button opens the charts as a main-area tab.
    await panel.locator('.jp-ResourcePanel-openCharts').click();
    const tab = page.locator('.jp-ResourceChartsTab');
    await expect(tab).toBeVisible();
    await expect(
      page.locator('.lm-TabBar-tab', { hasText: 'Resource Charts' })
    ).toBeVisible();
    for (const chart of ['cpu', 'memory', 'gpuUtilization', 'gpuMemory']) {
      await expect(
        tab.locator(`.jp-ResourceCharts-${chart} path.jp-TimeSeriesChart-line`)
      ).toHaveCount(1, { timeout: 15000 });
    }
    // A few seconds of live CPU figures (the first sample of a fresh bridge has none).
    const cpuLine = tab.locator(
      '.jp-ResourceCharts-cpu path.jp-TimeSeriesChart-line'
    );
    await expect
      .poll(
        async () => ((await cpuLine.getAttribute('d')) ?? '').split('L').length
      )
      .toBeGreaterThanOrEqual(4);
    // Hovering a chart reads its values out (at the newest point: the plot ends 8 px from
    // the right edge).
    const svg = tab.locator('.jp-ResourceCharts-cpu svg');
    const box = await svg.boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.move(box!.x + box!.width - 10, box!.y + box!.height / 2);
    await expect(
      tab.locator('.jp-ResourceCharts-cpu .jp-TimeSeriesChart-readout')
    ).toHaveText(/ — CPU: [\d.]+ %$/);
    // A wide tab lays the charts out in a grid.
    await page.sidebar.close('right');
    await page.sidebar.close('left');
    await page.setViewportSize({ width: 1500, height: 900 });
    await page.waitForTimeout(1500);
    await tab.screenshot({
      path: path.join(SCREENSHOTS, 'monitor-charts.png')
    });
  });
});
