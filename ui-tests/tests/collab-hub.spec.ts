/**
 * @mlinfn/collab with real JupyterHub users: a Hub (hub/jupyterhub_config.py, started by
 * hub/hub.ts from the repository's .venv) where alice owns a single-user server with
 * mlinfn_lab and shares it with bob and carol through the Hub's sharing API; the Authorizer of
 * that server (hub/readonly_authorizer.py) refuses carol `write` on `contents`. Each user has
 * a browser context of their own and logs in through the Hub's login form; every page is
 * alice's JupyterLab, /user/alice/lab, and every ticket names the Hub user who asked for it.
 *
 * The collaborative mode is on through the settings API of alice's server (settings live on
 * the server, so it is on for everyone who uses it). Galata keeps each page's workspace in
 * memory (users sharing a server would otherwise share its workspace).
 *
 * Does not use the JupyterLab that playwright.config.js starts for the other specs.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import type { Browser, Page } from '@playwright/test';
import * as path from 'path';
import { Hub, PASSWORD, startHub } from '../hub/hub';
import { pythonNotebook } from './utils/notebooks';
import { SCREENSHOTS } from './utils/screenshots';

const STATUS = '.jp-Collab-status';
const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden)';
const APP = '/user/alice/lab';
const VIEWPORT = { width: 1280, height: 760 };

let hub: Hub;
let aliceToken: string;

/**
 * Write a notebook into alice's server through its contents API, as alice.
 */
async function putNotebook(file: string, sources: string[]): Promise<void> {
  await hub.request(
    'PUT',
    `/user/alice/api/contents/${encodeURIComponent(file)}`,
    aliceToken,
    { type: 'notebook', format: 'json', content: pythonNotebook(sources) }
  );
}

/**
 * The file's cells as alice's server reads them from disk, through its contents API as alice.
 */
async function cellsOnDisk(file: string): Promise<string[]> {
  const model = await hub.request(
    'GET',
    `/user/alice/api/contents/${encodeURIComponent(file)}?content=1&type=notebook`,
    aliceToken
  );
  return (model.content.cells as { source: string | string[] }[]).map(cell =>
    Array.isArray(cell.source) ? cell.source.join('') : cell.source
  );
}

/**
 * A Hub user, in a browser context of their own, logs in through the Hub's login form and
 * opens one of alice's notebooks at /user/alice/lab/tree/FILE. A user other than alice
 * authorizes alice's server the first time (the Hub's OAuth confirmation page).
 */
async function openAs(
  browser: Browser,
  user: string,
  file: string
): Promise<IJupyterLabPageFixture> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const raw = await context.newPage();
  if (process.env.MLINFN_DEBUG_CONSOLE) {
    raw.on('console', msg =>
      console.log(`[${user} ${msg.type()}] ${msg.text()}`)
    );
  }
  // Galata's helpers and its in-memory workspace, set up before the first load.
  const page = await galata.initTestPage(
    APP, // appPath
    false, // autoGoto: the Hub's login comes first
    hub.url, // baseURL
    false, // mockConfig
    false, // mockSettings: the server's own (collaborative mode on)
    true, // mockState: a workspace of this page's own
    false, // mockUser: the Hub user, as the server says
    raw,
    null, // sessions
    null, // terminals
    '', // tmpPath
    async (p: Page) => {
      await p.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    },
    null, // kernels
    false // resetWorkspace
  );
  const target = `${APP}/tree/${encodeURIComponent(file)}`;
  await raw.goto(`${hub.url}/hub/login?next=${encodeURIComponent(target)}`);
  await raw.locator('#username_input').fill(user);
  await raw.locator('#password_input').fill(PASSWORD);
  await raw.locator('#login_submit').click();
  const lab = /\/user\/alice\/lab\//;
  await raw.waitForURL(
    url => lab.test(url.pathname) || url.pathname.includes('/oauth2/authorize'),
    { timeout: 120000 }
  );
  if (!lab.test(new URL(raw.url()).pathname)) {
    await raw.getByRole('button', { name: 'Authorize' }).click();
    await raw.waitForURL(url => lab.test(url.pathname), { timeout: 120000 });
  }
  await raw.waitForFunction(
    () =>
      typeof window.jupyterapp === 'object' &&
      typeof (window as any).galata === 'object',
    null,
    { timeout: 120000 }
  );
  await raw.evaluate(async () => {
    await window.jupyterapp.started;
    // Galata's in-page helpers find the application once it is asked for (as galata's own
    // page set-up does).
    return typeof (window as any).galata.app === 'object';
  });
  await raw
    .locator('#jupyterlab-splash')
    .waitFor({ state: 'detached', timeout: 120000 });
  await raw.locator(`${PANEL} .jp-Cell`).first().waitFor({ timeout: 120000 });
  return page;
}

/**
 * {@link openAs}, then wait until the document is in the room and saved (a writer's view).
 */
async function openSaved(
  browser: Browser,
  user: string,
  file: string
): Promise<IJupyterLabPageFixture> {
  const page = await openAs(browser, user, file);
  await expect(page.locator(STATUS)).toHaveAttribute('data-state', 'saved', {
    timeout: 60000
  });
  return page;
}

/**
 * The text of a cell's editor in the current notebook.
 */
function cellEditor(page: IJupyterLabPageFixture, index: number) {
  return page
    .locator(`${PANEL} .jp-Notebook .jp-Cell`)
    .nth(index)
    .locator('.cm-content');
}

/**
 * The flags of the remote cursors in a cell of the current notebook.
 */
function cursorFlags(page: IJupyterLabPageFixture, index: number) {
  return page
    .locator(`${PANEL} .jp-Notebook .jp-Cell`)
    .nth(index)
    .locator('.jp-Collab-cursor .jp-Collab-cursorFlag');
}

/**
 * Open the Collaborators panel.
 */
async function showCollaborators(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute(
      'mlinfn-collab:show-collaborators'
    );
  });
  await expect(page.locator('#jp-Collab-panel')).toBeVisible();
}

test.describe('@mlinfn/collab with JupyterHub users', () => {
  test.describe.configure({ mode: 'serial' });

  test.beforeAll(async () => {
    test.setTimeout(420000);
    const t0 = Date.now();
    hub = await startHub();
    const t1 = Date.now();
    const { version } = await hub.request('GET', '/hub/api', null);
    expect(
      Number(String(version).split('.')[0]),
      `JupyterHub ${version} cannot share servers (5 or newer can)`
    ).toBeGreaterThanOrEqual(5);
    aliceToken = await hub.token('alice');
    await hub.startServer('alice', aliceToken);
    const t2 = Date.now();
    // alice shares her server with bob and carol (JupyterHub's sharing API).
    for (const user of ['bob', 'carol']) {
      const share = await hub.request(
        'POST',
        '/hub/api/shares/alice/',
        aliceToken,
        {
          user
        }
      );
      expect(share.scopes).toEqual(['access:servers!server=alice/']);
    }
    // Collaborative mode on (a setting of alice's server: on for everyone using it), and
    // galata's quiet defaults (no news question, no blinking cursor in screenshots).
    const settings: Record<string, unknown> = {
      '@mlinfn/collab:plugin': { collaborative: true },
      '@jupyterlab/apputils-extension:notification': {
        checkForUpdates: false,
        fetchNews: 'false'
      },
      '@jupyterlab/codemirror-extension:plugin': {
        defaultConfig: { cursorBlinkRate: 0 }
      }
    };
    for (const [id, value] of Object.entries(settings)) {
      await hub.request(
        'PUT',
        `/user/alice/lab/api/settings/${id}`,
        aliceToken,
        {
          raw: JSON.stringify(value)
        }
      );
    }
    console.log(
      `[hub] JupyterHub up in ${((t1 - t0) / 1000).toFixed(1)} s, ` +
        `alice's server in ${((t2 - t1) / 1000).toFixed(1)} s at ${hub.url}`
    );
  });

  test.afterAll(async () => {
    test.setTimeout(120000);
    if (hub) {
      await hub.stop();
      if (!process.env.MLINFN_KEEP_HUB_FILES) {
        hub.removeFiles();
      }
    }
  });

  test.afterEach(async () => {
    const testInfo = test.info();
    if (hub && testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('hub.log (tail)', {
        body: hub.logTail(300),
        contentType: 'text/plain'
      });
    }
  });

  test('two Hub users co-edit a notebook on one server: names, edits, cursors, saved', async ({
    browser
  }) => {
    test.setTimeout(420000);
    const file = 'shared.ipynb';
    await putNotebook(file, ['# alice writes here', '# bob writes here']);

    const alice = await openSaved(browser, 'alice', file);
    let bob: IJupyterLabPageFixture | null = null;
    try {
      bob = await openSaved(browser, 'bob', file);
      // Both are on alice's server, each as themselves.
      expect(
        await bob.evaluate(() => {
          const data = document.getElementById('jupyter-config-data');
          const config = JSON.parse(data?.textContent ?? '{}');
          return [config.hubUser, config.hubServerUser];
        })
      ).toEqual(['bob', 'alice']);
      await expect(cellEditor(bob, 0)).toHaveText('# alice writes here');

      // An edit typed by alice appears at bob's, and one typed by bob at alice's.
      await alice.notebook.setCell(0, 'code', 'a = 1  # typed by alice');
      await expect(cellEditor(bob, 0)).toHaveText('a = 1  # typed by alice');
      await bob.notebook.setCell(1, 'code', 'b = 2  # typed by bob');
      await expect(cellEditor(alice, 1)).toHaveText('b = 2  # typed by bob');

      // Each sees the other's cursor, flagged with the other's Hub user name.
      await expect(cursorFlags(alice, 1).first()).toHaveText('bob');
      await expect(cursorFlags(bob, 0).first()).toHaveText('alice');

      // Each has the other's avatar on the notebook's toolbar.
      for (const [page, other] of [
        [alice, 'bob'],
        [bob, 'alice']
      ] as const) {
        const avatars = page.locator(
          `${PANEL} .jp-Collab-avatars .jp-Collab-avatar`
        );
        await expect(avatars).toHaveCount(1);
        await expect(avatars.first()).toHaveAttribute('title', other);
        await expect(avatars.first()).toHaveAttribute('data-username', other);
      }

      // And in the Collaborators panel: themselves and the other, who has the notebook open.
      for (const [page, self, other] of [
        [alice, 'alice', 'bob'],
        [bob, 'bob', 'alice']
      ] as const) {
        await showCollaborators(page);
        const people = page.locator('#jp-Collab-panel .jp-Collab-person');
        await expect(people).toHaveCount(2);
        await expect(
          page.locator(
            `#jp-Collab-panel .jp-Collab-person[data-username="${self}"] .jp-Collab-personName`
          )
        ).toHaveText(`${self} (you)`);
        const them = page.locator(
          `#jp-Collab-panel .jp-Collab-person[data-username="${other}"]`
        );
        await expect(them.locator('.jp-Collab-personName')).toHaveText(other);
        await expect(them.locator('.jp-Collab-documentLink')).toHaveAttribute(
          'data-path',
          file
        );
      }

      // Both dots reach "saved", and the file on disk holds both edits.
      await expect(alice.locator(STATUS)).toHaveAttribute(
        'data-state',
        'saved'
      );
      await expect(bob.locator(STATUS)).toHaveAttribute('data-state', 'saved');
      await expect
        .poll(() => cellsOnDisk(file), { timeout: 30000 })
        .toEqual(['a = 1  # typed by alice', 'b = 2  # typed by bob']);

      // The picture: alice's view while bob types (his named cursor), his avatar, the panel.
      await bob.notebook.enterCellEditingMode(1);
      await bob.keyboard.press('End');
      await bob.keyboard.type('  # bob types here');
      await expect(cellEditor(alice, 1)).toHaveText(
        'b = 2  # typed by bob  # bob types here'
      );
      await expect(cursorFlags(alice, 1).first()).toHaveText('bob');
      // Once the room wrote the file, alice's tab is no longer marked modified.
      await expect(
        alice.locator('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty')
      ).toHaveCount(0);
      await alice.screenshot({
        path: path.join(SCREENSHOTS, 'collab-hub.png')
      });
      await expect(bob.locator(STATUS)).toHaveAttribute('data-state', 'saved');
      await expect
        .poll(() => cellsOnDisk(file), { timeout: 30000 })
        .toEqual([
          'a = 1  # typed by alice',
          'b = 2  # typed by bob  # bob types here'
        ]);
    } finally {
      await bob?.context().close();
      await alice.context().close();
    }
  });

  test('a user whom the Authorizer does not let write opens the notebook read-only and changes nothing', async ({
    browser
  }) => {
    test.setTimeout(420000);
    const file = 'readonly.ipynb';
    await putNotebook(file, ['# written by alice', '# second cell']);

    const alice = await openSaved(browser, 'alice', file);
    let carol: IJupyterLabPageFixture | null = null;
    try {
      carol = await openAs(browser, 'carol', file);

      // carol's ticket (from alice's server, for carol's Hub login) carries what the
      // Authorizer allows her: contents without write; kernels with execute.
      const response = await carol
        .context()
        .request.get(`${hub.url}/user/alice/mlinfn/ticket`);
      expect(response.ok()).toBe(true);
      const ticket = (await response.json()).ticket as string;
      const payload = JSON.parse(
        Buffer.from(ticket.split('.')[1], 'base64url').toString('utf8')
      );
      expect(payload.sub).toBe('carol');
      expect(payload.perms.contents).toContain('read');
      expect(payload.perms.contents).not.toContain('write');
      expect(payload.perms.kernels).toContain('execute');

      // The notebook opens read-only: the dot, the banner (a courtesy on a personal server).
      await expect(carol.locator(STATUS)).toHaveAttribute(
        'data-state',
        'read-only',
        { timeout: 60000 }
      );
      const banner = carol.locator(`${PANEL} .jp-Collab-banner`);
      await expect(banner).toBeVisible();
      await expect(banner).toHaveClass(/jp-mod-readOnly/);
      await expect(banner.locator('.jp-Collab-bannerText')).toContainText(
        'You can read this document but not edit it.'
      );
      await expect(banner.locator('.jp-Collab-bannerNote')).toHaveText(
        'Read-only here is a courtesy, not a security boundary: you can run code on this server, as its user, and code could still change the file.'
      );
      await expect(cellEditor(carol, 0)).toHaveText('# written by alice');
      // alice's server is alice's: she has no banner, and sees carol by name.
      await expect(alice.locator(`${PANEL} .jp-Collab-banner`)).toBeHidden();
      await expect(
        alice.locator(`${PANEL} .jp-Collab-avatars .jp-Collab-avatar`)
      ).toHaveAttribute('title', 'carol');

      // Cells are not editable: typing into one changes nothing.
      await expect(cellEditor(carol, 0)).toHaveAttribute(
        'aria-readonly',
        'true'
      );
      await cellEditor(carol, 0).click();
      await carol.keyboard.type('carol was here');
      await carol.keyboard.press('Enter');
      await expect(cellEditor(carol, 0)).toHaveText('# written by alice');

      // She still sees alice's live edits.
      await alice.notebook.setCell(0, 'code', 'x = 1  # alice, live');
      await expect(cellEditor(carol, 0)).toHaveText('x = 1  # alice, live');

      // Changes that reach her copy of the document despite the read-only editors — a cell
      // inserted from command mode (`b`) and a change made behind the UI's back (as a modified
      // client would) — are undone on her side at once and dropped by the room. Both tell
      // carol (warnings in her notification centre), and alice never receives either.
      await carol.keyboard.press('Escape');
      await carol.keyboard.press('b');
      await carol.evaluate(() => {
        const widget = window.jupyterapp.shell.currentWidget as any;
        const cells = widget.context.model.sharedModel.cells as any[];
        cells
          .find(cell => cell.getId() === 'cell-1')
          .setSource('# forced by carol');
      });
      await expect
        .poll(
          async () =>
            (
              await carol!.evaluate(() =>
                (window as any).galata.getNotifications()
              )
            ).map(
              (n: { type: string; message: string }) =>
                n.type + ': ' + n.message
            ),
          { timeout: 30000 }
        )
        .toContain(
          `warning: ${file}: You can read this document but not edit it: your edits are not saved or shared. Reopen the document to see the shared version.`
        );
      await expect(carol.locator(`${PANEL} .jp-Cell`)).toHaveCount(2);
      await expect(cellEditor(carol, 1)).toHaveText('# second cell');
      expect(
        (
          await carol.evaluate(() => (window as any).galata.getNotifications())
        ).some((n: { message: string }) =>
          n.message.includes(`${file}: your change was not kept.`)
        )
      ).toBe(true);
      await alice.notebook.setCell(0, 'code', 'x = 2  # alice, later');
      await expect(cellEditor(carol, 0)).toHaveText('x = 2  # alice, later');
      await expect(cellEditor(alice, 1)).toHaveText('# second cell');
      await expect(alice.locator(`${PANEL} .jp-Cell`)).toHaveCount(2);
      await expect(alice.locator(STATUS)).toHaveAttribute(
        'data-state',
        'saved'
      );
      await expect
        .poll(() => cellsOnDisk(file), { timeout: 30000 })
        .toEqual(['x = 2  # alice, later', '# second cell']);
      const texts = await alice
        .locator(`${PANEL} .jp-Cell .cm-content`)
        .allTextContents();
      expect(texts.join('\n')).not.toContain('carol');
    } finally {
      await carol?.context().close();
      await alice.context().close();
    }
  });

  test('bob follows alice: his view keeps her active cell in sight, his own keypress stops it', async ({
    browser
  }) => {
    test.setTimeout(420000);
    const file = 'follow.ipynb';
    const count = 40;
    const far = 36;
    await putNotebook(
      file,
      Array.from({ length: count }, (_, i) => `# cell ${i}`)
    );

    const alice = await openSaved(browser, 'alice', file);
    let bob: IJupyterLabPageFixture | null = null;
    try {
      bob = await openSaved(browser, 'bob', file);
      const bobCells = bob.locator(`${PANEL} .jp-Notebook .jp-Cell`);
      await expect(bobCells).toHaveCount(count);
      await expect(bobCells.nth(0)).toBeInViewport();
      await expect(bobCells.nth(far)).not.toBeInViewport();

      // bob follows alice from the Collaborators panel.
      await showCollaborators(bob);
      const follow = bob.locator(
        '#jp-Collab-panel .jp-Collab-person[data-username="alice"] .jp-Collab-followButton'
      );
      await expect(follow).toHaveText('Follow');
      await follow.click();
      await expect(bob.locator('body')).toHaveClass(/jp-mod-collabFollowing/);
      await expect(follow).toHaveAttribute('aria-pressed', 'true');
      await expect(follow).toHaveText('Stop following');

      // alice walks down to a cell far below (command mode, arrow keys): bob's view scrolls
      // to keep it in sight.
      await alice.notebook.selectCells(0);
      for (let i = 0; i < far; i++) {
        await alice.keyboard.press('ArrowDown');
      }
      expect(
        await alice.evaluate(
          () =>
            (window.jupyterapp.shell.currentWidget as any).content
              .activeCellIndex
        )
      ).toBe(far);
      await expect(bobCells.nth(far)).toBeInViewport({ timeout: 30000 });
      await expect(bobCells.nth(0)).not.toBeInViewport();

      // bob presses a key in his own notebook: following stops.
      await bob.evaluate(() => {
        const { shell } = window.jupyterapp;
        shell.activateById(shell.currentWidget!.id);
      });
      await bob.keyboard.press('ArrowUp');
      await expect(bob.locator('body')).not.toHaveClass(
        /jp-mod-collabFollowing/
      );
      await expect(follow).toHaveAttribute('aria-pressed', 'false');
      await expect(follow).toHaveText('Follow');

      // alice goes back up and types in the second cell: bob sees her edit, and his view
      // stays where it was (her active cell moved before she typed).
      await alice.notebook.setCell(1, 'code', '# alice is back up here');
      await expect(bobCells.nth(1).locator('.cm-content')).toHaveText(
        '# alice is back up here'
      );
      await expect(bobCells.nth(far)).toBeInViewport();
      await expect(bobCells.nth(1)).not.toBeInViewport();
    } finally {
      await bob?.context().close();
      await alice.context().close();
    }
  });
});
