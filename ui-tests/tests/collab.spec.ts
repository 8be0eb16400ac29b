/**
 * End-to-end checks of @mlinfn/collab against a real JupyterLab, jupyter-server-proxy and the
 * bridge's room server: two browser contexts (two Jupyter users: the galata server has no
 * token, so each context is its own anonymous user with its own ticket) open the same notebook
 * as a shared document.
 *
 * The test that takes the README picture (screenshots/collab.png) is the co-editing one.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import type { Browser, Page } from '@playwright/test';
import * as path from 'path';
import { pythonNotebook } from './utils/notebooks';
import { SCREENSHOTS } from './utils/screenshots';

const STATUS = '.jp-Collab-status';

/**
 * A notebook of one code cell, `cell-1`.
 */
function notebook(source: string): Record<string, unknown> {
  return pythonNotebook([{ id: 'cell-1', source }]);
}

/**
 * Turn the collaborative mode on through its command (which saves the setting through the
 * settings API) and wait until it is on.
 */
async function enableCollaboration(
  page: IJupyterLabPageFixture
): Promise<void> {
  await page.evaluate(async () => {
    const id = 'mlinfn-collab:toggle-mode';
    const { commands } = window.jupyterapp;
    if (!commands.isToggled(id)) {
      await commands.execute(id);
    }
  });
  await expect
    .poll(() =>
      page.evaluate(() =>
        window.jupyterapp.commands.isToggled('mlinfn-collab:toggle-mode')
      )
    )
    .toBe(true);
}

/**
 * A second JupyterLab page in its own browser context (another anonymous Jupyter user). It is
 * ready once the application started (galata's default also waits for the Launcher tab).
 */
async function secondPage(
  browser: Browser,
  baseURL: string,
  tmpPath: string
): Promise<IJupyterLabPageFixture> {
  const { page } = await galata.newPage({
    baseURL,
    browser,
    tmpPath,
    waitForApplication: async (p: Page) => {
      await p.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    },
    mockUser: false,
    mockSettings: galata.DEFAULT_SETTINGS
  });
  if (process.env.MLINFN_DEBUG_CONSOLE) {
    page.on('console', msg => console.log(`[B ${msg.type()}] ${msg.text()}`));
    page.on('response', r => {
      if (r.status() >= 400) {
        console.log(`[B http] ${r.status()} ${r.url()}`);
      }
    });
  }
  return page;
}

/**
 * Open a document by path (through the document manager, as the file browser does).
 */
async function openDocument(
  page: IJupyterLabPageFixture,
  file: string
): Promise<void> {
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', { path });
  }, file);
  await page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
    .first()
    .waitFor();
}

/**
 * The text of a cell's editor.
 */
function cellEditor(page: IJupyterLabPageFixture, index: number) {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.cm-content');
}

/**
 * The file's cells as the Jupyter server reads them from disk.
 */
async function cellsOnDisk(
  page: IJupyterLabPageFixture,
  baseURL: string,
  file: string
): Promise<string[]> {
  const response = await page.request.get(
    `${baseURL}/api/contents/${file
      .split('/')
      .map(encodeURIComponent)
      .join('/')}?content=1&type=notebook`
  );
  expect(response.ok()).toBe(true);
  const model = await response.json();
  return (model.content.cells as { source: string | string[] }[]).map(cell =>
    Array.isArray(cell.source) ? cell.source.join('') : cell.source
  );
}

test.describe('@mlinfn/collab', () => {
  test.use({ viewport: { width: 1280, height: 760 } });

  test('two users co-edit one notebook: edits, new cells, cursors, avatars, saved to disk', async ({
    page,
    browser,
    baseURL,
    tmpPath
  }) => {
    const file = `${tmpPath}/shared.ipynb`;
    expect(
      await page.contents.uploadContent(
        JSON.stringify(notebook('# the file as it was on disk')),
        'text',
        file
      )
    ).toBe(true);

    // Page A: collaborative mode on, open the notebook: it is synced, and saved.
    await enableCollaboration(page);
    await openDocument(page, file);
    await expect(page.locator(STATUS)).toHaveAttribute('data-state', 'saved');
    await expect(cellEditor(page, 0)).toHaveText(
      '# the file as it was on disk'
    );

    // Page B: another user, the same notebook.
    const other = await secondPage(browser, baseURL!, tmpPath);
    try {
      await enableCollaboration(other);
      await openDocument(other, file);
      await expect(other.locator(STATUS)).toHaveAttribute(
        'data-state',
        'saved'
      );
      await expect(cellEditor(other, 0)).toHaveText(
        '# the file as it was on disk'
      );

      // An edit typed in A appears in B.
      await page.notebook.setCell(0, 'code', 'value = 42  # typed by A');
      await expect(cellEditor(other, 0)).toHaveText('value = 42  # typed by A');

      // A cell added in B appears in A.
      await other.notebook.addCell('code', 'print("added by B")');
      await expect(
        page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
      ).toHaveCount(2);
      await expect(cellEditor(page, 1)).toHaveText('print("added by B")');

      // B's cursor (in the cell B typed in) shows in A, in B's colour, with B's name; B's
      // avatar is on A's toolbar, and A's on B's.
      const cursor = page
        .locator('.jp-Cell')
        .nth(1)
        .locator('.jp-Collab-cursor');
      await expect(cursor.first()).toBeAttached();
      const flag = cursor.first().locator('.jp-Collab-cursorFlag');
      await expect(flag).toHaveText(/Anonymous/);
      const avatarsOfA = page.locator(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Collab-avatars .jp-Collab-avatar'
      );
      await expect(avatarsOfA).toHaveCount(1);
      await expect(avatarsOfA.first()).toHaveAttribute(
        'title',
        (await flag.textContent())!
      );
      const cursorColor = await cursor
        .first()
        .evaluate(node => getComputedStyle(node).borderLeftColor);
      const avatarColor = await avatarsOfA
        .first()
        .evaluate(node => getComputedStyle(node).backgroundColor);
      expect(cursorColor).toBe(avatarColor);
      await expect(
        other.locator(
          '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Collab-avatars .jp-Collab-avatar'
        )
      ).toHaveCount(1);

      // Both see everything durable on the server, and the file on disk holds both edits.
      await expect(page.locator(STATUS)).toHaveAttribute('data-state', 'saved');
      await expect(other.locator(STATUS)).toHaveAttribute(
        'data-state',
        'saved'
      );
      await expect
        .poll(() => cellsOnDisk(page, baseURL!, file), { timeout: 15000 })
        .toEqual(['value = 42  # typed by A', 'print("added by B")']);

      // Ctrl+S is harmless: the bridge saves; no conflict dialog, nothing changes.
      await page.notebook.activate('shared.ipynb');
      await page.keyboard.press('Control+s');
      await page.waitForTimeout(1000);
      await expect(page.locator('.jp-Dialog')).toHaveCount(0);
      await expect(page.locator(STATUS)).toHaveAttribute('data-state', 'saved');

      // The Collaborators panel lists B with the notebook open.
      await page.evaluate(async () => {
        await window.jupyterapp.commands.execute(
          'mlinfn-collab:show-collaborators'
        );
      });
      const panel = page.locator('#jp-Collab-panel');
      await expect(panel).toBeVisible();
      const people = panel.locator('.jp-Collab-person');
      await expect(people).toHaveCount(2);
      await expect(
        people.nth(1).locator('.jp-Collab-documentLink')
      ).toHaveAttribute('data-path', file);

      // The README picture: A's view, B's cursor (with B's name: B just typed) and avatar,
      // the panel and the dot.
      await other.notebook.enterCellEditingMode(1);
      await other.keyboard.press('End');
      await other.keyboard.type('  # B types here');
      await expect(cellEditor(page, 1)).toHaveText(
        'print("added by B")  # B types here'
      );
      // Once the room wrote the file, the tab is no longer marked modified (no "save
      // changes?" question on close).
      await expect(
        page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty')
      ).toHaveCount(0);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'collab.png') });
    } finally {
      await other.context().close();
    }
  });

  test('a share link opens the document shared, with the mode off', async ({
    page,
    browser,
    baseURL,
    tmpPath
  }) => {
    const file = `${tmpPath}/linked nb.ipynb`;
    expect(
      await page.contents.uploadContent(
        JSON.stringify(notebook('print("shared by link")')),
        'text',
        file
      )
    ).toBe(true);
    await enableCollaboration(page);
    await openDocument(page, file);
    await expect(page.locator(STATUS)).toHaveAttribute('data-state', 'saved');
    const link = (await page.evaluate(
      async () =>
        await window.jupyterapp.commands.execute('mlinfn-collab:share-link')
    )) as string;
    expect(link).toContain('/lab/tree/');
    expect(link).toContain('linked%20nb.ipynb');
    expect(link).toMatch(/\?collab=1$/);

    const other = await secondPage(browser, baseURL!, tmpPath);
    try {
      expect(
        await other.evaluate(() =>
          window.jupyterapp.commands.isToggled('mlinfn-collab:toggle-mode')
        )
      ).toBe(false);
      await other.goto(link);
      await other.waitForSelector('.jp-NotebookPanel .jp-Cell');
      await expect(other.locator(STATUS)).toHaveAttribute(
        'data-state',
        'saved'
      );
      await expect(cellEditor(other, 0)).toHaveText('print("shared by link")');
      // it is the same room: an edit from the link's page reaches the first page
      await other.notebook.setCell(
        0,
        'code',
        'print("edited through the link")'
      );
      await expect(cellEditor(page, 0)).toHaveText(
        'print("edited through the link")'
      );
      // and the share parameter is gone from the address
      expect(other.url()).not.toContain('collab=1');
    } finally {
      await other.context().close();
    }
  });

  test('follow a collaborator: their document opens, your own keypress stops it', async ({
    page,
    browser,
    baseURL,
    tmpPath
  }) => {
    const first = `${tmpPath}/first.ipynb`;
    const second = `${tmpPath}/second.ipynb`;
    for (const [file, text] of [
      [first, '# first'],
      [second, '# second']
    ]) {
      expect(
        await page.contents.uploadContent(
          JSON.stringify(notebook(text)),
          'text',
          file
        )
      ).toBe(true);
    }
    await enableCollaboration(page);
    await openDocument(page, first);
    await expect(page.locator(STATUS)).toHaveAttribute('data-state', 'saved');

    const other = await secondPage(browser, baseURL!, tmpPath);
    try {
      await enableCollaboration(other);
      await openDocument(other, first);
      await expect(other.locator(STATUS)).toHaveAttribute(
        'data-state',
        'saved'
      );

      // A follows B from the Collaborators panel.
      await page.evaluate(async () => {
        await window.jupyterapp.commands.execute(
          'mlinfn-collab:show-collaborators'
        );
      });
      const follow = page.locator('#jp-Collab-panel .jp-Collab-followButton');
      await expect(follow).toHaveCount(1);
      await follow.click();
      await expect(page.locator('body')).toHaveClass(/jp-mod-collabFollowing/);
      await expect(follow).toHaveAttribute('aria-pressed', 'true');

      // B opens another shared notebook: A's view follows.
      await openDocument(other, second);
      await expect(
        page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current')
      ).toContainText('second.ipynb');
      await expect(cellEditor(page, 0)).toHaveText('# second');

      // A presses a key in their own view: following stops, and B's moves no longer pull.
      await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').click();
      await page.keyboard.press('ArrowDown');
      await expect(page.locator('body')).not.toHaveClass(
        /jp-mod-collabFollowing/
      );
      await other.evaluate(async path => {
        const { commands, shell } = window.jupyterapp;
        await commands.execute('docmanager:open', { path });
        return shell.currentWidget?.id;
      }, first);
      await page.waitForTimeout(1500);
      await expect(
        page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current')
      ).toContainText('second.ipynb');
    } finally {
      await other.context().close();
    }
  });
});
