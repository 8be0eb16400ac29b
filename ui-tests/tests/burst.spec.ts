/**
 * End-to-end checks of @mlinfn/burst against a real JupyterLab, jupyter-server-proxy, bridge
 * and backends: the local backend (a child process of the bridge) and the real HTCondor
 * personal pool that scripts/start-test-lab.sh starts (reached with IDTOKENS and spooling, as
 * from a remote JupyterLab host). The bridge's burst section is fixtures/bridge-config.burst.json.
 *
 * Each test writes a notebook whose "setup"-tagged first cell defines a PNG and whose second
 * cell prints and displays it: the second cell runs on a backend, in a fresh kernel that runs
 * the setup cell first (the default context rule), and its stream and image/png outputs come
 * back into the cell.
 *
 * The test that takes the README pictures runs last, so the Jobs panel holds the jobs of the
 * others.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';
import { pythonNotebook, writeNotebook } from './utils/notebooks';
import { lightAndDark, SCREENSHOTS } from './utils/screenshots';

const PANEL = '#mlinfn-burst-jobs';

/**
 * A 24x24 gradient, small enough to sit in a cell's source.
 */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAAEFklEQVR4nA3Moe52UADA4e9K/lEUxZNMEEw6yQTBpJPMfhNMOskEwaSTTBBMOskEwSTR9XzvcwHPvz8eh8fl8XgET8AT8UielCfnUTwVT8OjeXqekcfwLDwbj+U5eW6el+fj+ffH5XC5XB6X4Aq4Ii7JlXLlXIqr4mq4NFfPNXIZroVr47JcJ9fN9XJ9XL/ocDhcDo9DcAQcEYfkSDlyDsVRcTQcmqPnGDkMx8KxcViOk+PmeDk+jl9kHayL9bACG2AjrMSm2ByrsBW2wWpsjx2xBrtgN6zFntgb+2I/7C/aHXaX3WMX7AF7xC7ZU/acXbFX7A27Zu/ZR3bDvrBv7Jb9ZL/ZX/aP/RetDqvL6rEK1oA1YpWsKWvOqlgr1oZVs/asI6thXVg3Vst6st6sL+vH+otmh9ll9pgFc8AcMUvmlDlnVswVc8OsmXvmkdkwL8wbs2U+mW/ml/lj/kXGwbgYDyMwASbCSEyKyTEKU2EajMb0mBFjMAtmw1jMibkxL+bD/KLJYXKZPCbBFDBFTJIpZcqZFFPF1DBppp5pZDJMC9PGZJlOppvpZfqYftHgMLgMHoNgCBgiBsmQMuQMiqFiaBg0Q88wMhiGhWFjsAwnw83wMnwMv6hz6Fw6j07QBXQRnaRL6XI6RVfRNXSarqcb6QzdQrfRWbqT7qZ76T66X6QdtIv20AIdoCO0RKfoHK3QFbpBa3SPHtEGvaA3tEWf6Bv9oj/0L2odWpfWoxW0AW1EK2lT2pxW0Va0Da2m7WlHWkO70G60lvakvWlf2o/2F9UOtUvtUQvqgDqiltQpdU6tqCvqhlpT99QjtaFeqDdqS31S39Qv9Uf9i0qH0qX0KAVlQBlRSsqUMqdUlBVlQ6kpe8qR0lAulBulpTwpb8qX8qP8RcpBuSgPJVABKkJJVIrKUQpVoRqURvWoEWVQC2pDWdSJulEv6kP9osKhcCk8CkERUEQUkiKlyCkURUXRUGiKnmKkMBQLxUZhKU6Km+Kl+Ch+UeaQuWQemSALyCIySZaS5WSKrCJryDRZTzaSGbKFbCOzZCfZTfaSfWS/KHFIXBKPRJAEJBGJJElJchJFUpE0JJqkJxlJDMlCspFYkpPkJnlJPpJfJB2ki/SQAhkgI6REpsgcqZAVskFqZI8ckQa5IDekRZ7IG/kiP+Qvih1il9gjFsQBcUQsiVPinFgRV8QNsSbuiUdiQ7wQb8SW+CS+iV/ij/gXhQ6hS+gRCsKAMCKUhClhTqgIK8KGUBP2hCOhIVwIN0JLeBLehC/hR/iLfAffxffwBX6AH+FL/BQ/x1f4FX6Dr/F7/BHf4C/4G77FP/Fv/Bf/w/9FwkG4CA8hEAEiQkhEisgRClEhGoRG9IgRYRALYkNYxIm4ES/iQ/wHznJHbohhfPsAAAAASUVORK5CYII=';

/**
 * Write a notebook: a setup cell (tagged `setup`) and the cell that bursts, then open it.
 */
async function openBurstNotebook(
  page: IJupyterLabPageFixture,
  file: string,
  greeting: string,
  extra = ''
): Promise<void> {
  await writeNotebook(
    page,
    file,
    pythonNotebook([
      {
        id: 'setup-cell',
        metadata: { tags: ['setup'] },
        source: `import base64\nPNG = base64.b64decode("${PNG}")`
      },
      {
        id: 'burst-cell',
        source:
          `${extra}print("${greeting}")\n` +
          'from IPython.display import Image, display\n' +
          'display(Image(data=PNG))'
      }
    ])
  );
  expect(await page.notebook.openByPath(file)).toBe(true);
  await page.notebook.activate(path.basename(file));
}

/**
 * Record every badge text shown on cells from now on (a job may pass through a state faster
 * than a poll would see it).
 */
async function recordBadges(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as any).__burstBadges = seen;
    const record = () => {
      document.querySelectorAll('.jp-BurstBadge').forEach(badge => {
        const text = `${(badge as HTMLElement).dataset.state}: ${badge.textContent}`;
        if (seen[seen.length - 1] !== text) {
          seen.push(text);
        }
      });
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['data-state']
    });
  });
}

/**
 * The badge texts recorded since `recordBadges`.
 */
function recordedBadges(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => [...((window as any).__burstBadges ?? [])]);
}

/**
 * In the open form, choose the backend whose option says `kind` ("HTCondor", "this machine").
 */
async function chooseBackend(form: Locator, kind: string): Promise<string> {
  const select = form.locator('select.jp-BurstForm-backend');
  const options = await select.locator('option').allTextContents();
  const label = options.find(text => text.includes(`(${kind})`));
  expect(
    label,
    `a backend of kind ${kind} among ${options.join(', ')}`
  ).toBeTruthy();
  await select.selectOption({ label: label! });
  return label!.replace(/ \(.*\)$/, '');
}

/**
 * Fill in and send the open form on a backend of `kind`; return the backend's title.
 */
async function sendForm(
  page: IJupyterLabPageFixture,
  kind: string
): Promise<string> {
  const dialog = page.locator('.jp-Dialog');
  const form = dialog.locator('.jp-BurstForm');
  await expect(form).toBeVisible();
  const title = await chooseBackend(form, kind);
  // The default rule, shown in the form: the setup-tagged cell runs first.
  await expect(form.locator('.jp-BurstForm-rule')).toContainText(
    'tagged "setup"'
  );
  await expect(
    form.locator('.jp-BurstForm-context input[type=checkbox]')
  ).toBeChecked();
  // Sent once the bridge has answered the POST (the job, queued, is then in the Jobs model).
  const sent = page.waitForResponse(
    response =>
      response.request().method() === 'POST' &&
      new URL(response.url()).pathname.endsWith('/mlinfn-bridge/api/burst/jobs')
  );
  await dialog.getByRole('button', { name: 'Run' }).click();
  expect((await sent).status()).toBe(201);
  await expect(dialog).toHaveCount(0);
  return title;
}

/**
 * The cell that bursts, and what it shows once the job's outputs are back.
 */
async function expectOutputs(
  page: IJupyterLabPageFixture,
  greeting: string,
  timeout: number
): Promise<void> {
  const cell = (await page.notebook.getCellLocator(1))!;
  // The badge goes once this job's outputs are in (the bridge keeps jobs between runs, so an
  // earlier job of the same cell may have put the same text in before).
  await expect(cell.locator('.jp-BurstBadge')).toHaveCount(0, { timeout });
  await expect(cell.locator('.jp-OutputArea-output').first()).toContainText(
    greeting,
    { timeout: 30000 }
  );
  await expect(
    cell.locator('.jp-OutputArea-output img[src^="data:image/png"]')
  ).toHaveCount(1);
  // The runner's execution count: the setup cell ran first in the same kernel.
  await expect(cell.locator('.jp-InputPrompt')).toHaveText(/\[2\]/);
}

/**
 * Open the Jobs panel through its command.
 */
async function openJobs(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('mlinfn-burst:open-jobs');
  });
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  return panel;
}

/**
 * The row of the newest job of a notebook in the Jobs panel.
 */
function jobRow(panel: Locator, notebook: string): Locator {
  return panel
    .locator('.jp-BurstJobs-item')
    .filter({
      has: panel.page().locator('.jp-BurstJobs-what', { hasText: notebook })
    })
    .first();
}

test.describe('@mlinfn/burst', () => {
  test.afterEach(async ({ page }) => {
    await page.kernel.shutdownAll();
  });

  test('a cell runs on the local backend: badge, then its outputs in the cell; the Jobs panel has its live log', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const file = `${tmpPath}/local.ipynb`;
    await openBurstNotebook(page, file, 'hello from the local backend');
    await page.notebook.selectCells(1);
    await recordBadges(page);

    // The cell toolbar's button.
    const cell = (await page.notebook.getCellLocator(1))!;
    await cell
      .locator('.jp-cell-toolbar [data-command="mlinfn-burst:run-cell"]')
      .click();
    const title = await sendForm(page, 'local process');

    await expectOutputs(page, 'hello from the local backend', 120000);
    const badges = await recordedBadges(page);
    expect(badges.length).toBeGreaterThan(0);
    expect(badges[0]).toMatch(new RegExp(`^(queued|running): .* on ${title}`));

    // The job in the Jobs panel, completed, with its log (the cell's printed line).
    const panel = await openJobs(page);
    const row = jobRow(panel, 'local.ipynb');
    await expect(row.locator('.jp-BurstJobs-status')).toHaveText('Completed');
    await expect(row.locator('.jp-BurstJobs-backend')).toHaveText(title);
    await row.locator('.jp-BurstJobs-row').click();
    await expect(panel.locator('.jp-BurstJobs-logMode')).toHaveText('Live log');
    await expect(panel.locator('.jp-BurstLog-text')).toContainText(
      'hello from the local backend',
      { timeout: 30000 }
    );
    // This page put the outputs in the open notebook and told the bridge so.
    await expect(panel.locator('.jp-BurstJobs-explanation')).toHaveText(
      'The outputs are in the cell of the open notebook.'
    );

    // The log opens as a main-area tab too.
    await panel.locator('.jp-BurstJobs-openLog').click();
    const tab = page.locator('.jp-BurstLogTab .jp-BurstLog-text');
    await expect(tab).toContainText('hello from the local backend');
  });

  test('a cell runs on the HTCondor pool: queued or running badge, then its outputs in the cell', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(420000);
    const file = `${tmpPath}/condor.ipynb`;
    await openBurstNotebook(page, file, 'hello from the HTCondor pool');
    await page.notebook.selectCells(1);
    await recordBadges(page);

    // The cell's context menu.
    const cell = (await page.notebook.getCellLocator(1))!;
    await cell.locator('.jp-InputArea-editor').click({ button: 'right' });
    await page
      .locator('.lm-Menu-item', { hasText: 'Run Cell on…' })
      .first()
      .click();
    const title = await sendForm(page, 'HTCondor');

    // While the pool has it, the cell says so.
    await expect(cell.locator('.jp-BurstBadge')).toHaveText(
      new RegExp(`(Queued|Running) on ${title}`),
      { timeout: 60000 }
    );
    // The status bar counts it.
    await expect(page.locator('.jp-BurstStatus')).toContainText(/job/);

    await expectOutputs(page, 'hello from the HTCondor pool', 360000);
    expect((await recordedBadges(page))[0]).toMatch(/^(queued|running): /);

    const panel = await openJobs(page);
    const row = jobRow(panel, 'condor.ipynb');
    await expect(row.locator('.jp-BurstJobs-status')).toHaveText('Completed');
    await row.locator('.jp-BurstJobs-row').click();
    // Spooled jobs bring their log back with the output sandbox: the panel says so.
    await expect(panel.locator('.jp-BurstJobs-logMode')).toHaveText(
      'Log arrives when the job ends'
    );
    await expect(panel.locator('.jp-BurstLog-text')).toContainText(
      'hello from the HTCondor pool',
      { timeout: 30000 }
    );
  });

  test('a cell runs on Spark with a spark session ready: its outputs in the cell', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(300000);
    const file = `${tmpPath}/spark.ipynb`;
    await openBurstNotebook(
      page,
      file,
      'hello from Spark',
      'print("rows:", spark.range(1000).count())\n'
    );
    await page.notebook.selectCells(1);
    await page.menu.clickMenuItem('Run>Run Cell on…');
    const title = await sendForm(page, 'Spark');
    const cell = (await page.notebook.getCellLocator(1))!;
    await expect(cell.locator('.jp-OutputArea-output').first()).toContainText(
      'rows: 1000',
      { timeout: 240000 }
    );
    await expectOutputs(page, 'hello from Spark', 30000);

    const panel = await openJobs(page);
    const row = jobRow(panel, 'spark.ipynb');
    await expect(row.locator('.jp-BurstJobs-status')).toHaveText('Completed');
    await expect(row.locator('.jp-BurstJobs-backend')).toHaveText(title);
  });

  test('a cell sent before its notebook is closed has its outputs in the notebook on reopening', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const file = `${tmpPath}/closed.ipynb`;
    await openBurstNotebook(
      page,
      file,
      'hello while the notebook was closed',
      'import time\ntime.sleep(4)\n'
    );
    await page.notebook.selectCells(1);

    // The Run menu.
    await page.menu.clickMenuItem('Run>Run Cell on…');
    await sendForm(page, 'local process');
    const cell = (await page.notebook.getCellLocator(1))!;
    await expect(cell.locator('.jp-BurstBadge')).toHaveCount(1);
    expect(await page.notebook.close()).toBe(true);

    // The bridge writes the closed file; the Jobs panel says where the outputs went.
    const panel = await openJobs(page);
    const row = jobRow(panel, 'closed.ipynb');
    await expect(row.locator('.jp-BurstJobs-status')).toHaveText('Completed', {
      timeout: 120000
    });
    await row.locator('.jp-BurstJobs-row').click();
    await expect(panel.locator('.jp-BurstJobs-explanation')).toHaveText(
      'The outputs were written into the notebook file.',
      { timeout: 30000 }
    );

    expect(await page.notebook.openByPath(file)).toBe(true);
    await page.notebook.activate('closed.ipynb');
    await expectOutputs(page, 'hello while the notebook was closed', 30000);

    // "Open Cell" brings the notebook forward at the job's cell.
    await panel.locator('.jp-BurstJobs-openCell').click();
    await expect(
      page.locator('.jp-Notebook .jp-Cell.jp-mod-active .jp-InputArea-editor')
    ).toContainText('hello while the notebook was closed');
  });

  test('in a shared (collaborative) notebook the outputs land in the room and reach the file', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    // The collaborative mode of @mlinfn/collab, through its command.
    await page.evaluate(async () => {
      const { commands } = window.jupyterapp;
      if (!commands.isToggled('mlinfn-collab:toggle-mode')) {
        await commands.execute('mlinfn-collab:toggle-mode');
      }
    });
    await expect
      .poll(() =>
        page.evaluate(() =>
          window.jupyterapp.commands.isToggled('mlinfn-collab:toggle-mode')
        )
      )
      .toBe(true);
    const file = `${tmpPath}/shared.ipynb`;
    await openBurstNotebook(page, file, 'hello to everyone in the room');
    await page.notebook.selectCells(1);
    await page.menu.clickMenuItem('Run>Run Cell on…');
    await sendForm(page, 'local process');
    await expectOutputs(page, 'hello to everyone in the room', 120000);

    // The room saves the shared document: the file has the outputs, nobody pressed save.
    await expect
      .poll(
        async () => {
          const response = await page.request.get(
            `/api/contents/${file}?content=1&type=notebook`
          );
          const model = (await response.json()) as {
            content: {
              cells: {
                id: string;
                execution_count: number | null;
                outputs: { output_type: string }[];
              }[];
            };
          };
          const cell = model.content.cells.find(c => c.id === 'burst-cell');
          return [cell?.execution_count, cell?.outputs.map(o => o.output_type)];
        },
        { timeout: 30000 }
      )
      .toEqual([2, ['stream', 'display_data']]);
  });

  test('a running job is cancelled from the Jobs panel; its badge goes and its cell stays as it was', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const file = `${tmpPath}/cancel.ipynb`;
    await openBurstNotebook(
      page,
      file,
      'never printed',
      'import time\nprint("started", flush=True)\ntime.sleep(300)\n'
    );
    await page.notebook.selectCells(1);
    await page.keyboard.press('Escape');
    // The shortcut (command mode).
    await page.keyboard.press('Control+Alt+Enter');
    await sendForm(page, 'local process');
    const cell = (await page.notebook.getCellLocator(1))!;
    await expect(cell.locator('.jp-BurstBadge')).toHaveText(/^Running on /, {
      timeout: 60000
    });

    const panel = await openJobs(page);
    const row = jobRow(panel, 'cancel.ipynb');
    await row.locator('.jp-BurstJobs-row').click();
    // The live log shows the cell's first line while it sleeps.
    await expect(panel.locator('.jp-BurstLog-text')).toContainText('started', {
      timeout: 30000
    });
    await panel.locator('.jp-BurstJobs-cancel').click();
    await expect(row.locator('.jp-BurstJobs-status')).toHaveText('Cancelled', {
      timeout: 30000
    });
    await expect(panel.locator('.jp-BurstJobs-explanation')).toHaveText(
      'The job was cancelled.'
    );
    await expect(cell.locator('.jp-BurstBadge')).toHaveCount(0);
    await expect(cell.locator('.jp-OutputArea-output')).toHaveCount(0);
    // A finished job can be sent again.
    await expect(panel.locator('.jp-BurstJobs-resubmit')).toBeVisible();
  });

  test('the launcher has a tile per backend; its notebook starts the form on that backend', async ({
    page,
    tmpPath
  }) => {
    // The launcher creates notebooks in the file browser's folder.
    await page.filebrowser.openDirectory(tmpPath);
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('launcher:create');
    });
    const section = page
      .locator('.jp-Launcher-section:visible')
      .filter({ hasText: 'Burst' });
    // The tiles come once the bridge has listed the backends.
    await expect(
      section.locator('.jp-LauncherCard-label', {
        hasText: /^Test HTCondor pool$/
      })
    ).toBeVisible();
    const labels = await section
      .locator('.jp-LauncherCard-label')
      .allTextContents();
    expect(labels).toEqual(
      expect.arrayContaining(['This machine', 'Test HTCondor pool'])
    );
    await section
      .locator('.jp-LauncherCard')
      .filter({
        has: page.locator('.jp-LauncherCard-label', {
          hasText: /^Test HTCondor pool$/
        })
      })
      .click();
    await expect(page.locator('.jp-NotebookPanel:visible')).toHaveCount(1);
    await page.notebook.setCell(0, 'code', 'print(1)');
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('mlinfn-burst:run-cell');
    });
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('select.jp-BurstForm-backend')).toHaveValue(
      'pool'
    );
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await page.notebook.close(true);
  });

  test('pictures for the README: the form, the Jobs panel in light and dark', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const file = `${tmpPath}/train.ipynb`;
    // An input file the form offers.
    expect(
      await page.contents.uploadContent(
        'epoch,loss\n',
        'text',
        `${tmpPath}/history.csv`
      )
    ).toBe(true);
    await openBurstNotebook(
      page,
      file,
      'epoch 1/3 loss=0.41',
      'for epoch in range(3):\n    print(f"epoch {epoch + 1}/3 loss={0.41 / (epoch + 1):.2f}", flush=True)\n    __import__("time").sleep(1)\n'
    );
    await page.notebook.selectCells(1);
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('mlinfn-burst:run-cell');
    });
    const dialog = page.locator('.jp-Dialog');
    const form = dialog.locator('.jp-BurstForm');
    await expect(form).toBeVisible();
    await chooseBackend(form, 'HTCondor');
    // Tall enough for every section of the form.
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.waitForTimeout(500);
    await dialog
      .locator('.jp-Dialog-content')
      .screenshot({ path: path.join(SCREENSHOTS, 'burst-form.png') });

    // A bad value is refused where it is typed: the Run button stays off.
    const memory = form.locator('input.jp-BurstForm-memory');
    await memory.fill('lots');
    await expect(form.locator('.jp-BurstForm-error').nth(1)).toContainText(
      'Memory must be an amount'
    );
    await expect(dialog.getByRole('button', { name: 'Run' })).toBeDisabled();
    await memory.fill('2 GB');
    await expect(dialog.getByRole('button', { name: 'Run' })).toBeEnabled();
    await chooseBackend(form, 'local process');
    await dialog.getByRole('button', { name: 'Run' }).click();

    const panel = await openJobs(page);
    const row = jobRow(panel, 'train.ipynb');
    await row.locator('.jp-BurstJobs-row').click();
    await expect(panel.locator('.jp-BurstLog-text')).toContainText(
      'epoch 3/3',
      {
        timeout: 120000
      }
    );
    await expect(row.locator('.jp-BurstJobs-status')).toHaveText('Completed', {
      timeout: 60000
    });

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.sidebar.setWidth(420, 'right');
    await lightAndDark(page, panel, 'burst-jobs.png', 'burst-jobs-dark.png');
  });
});
