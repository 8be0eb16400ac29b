/**
 * End-to-end checks of @mlinfn/common against a real JupyterLab, jupyter-server-proxy and
 * bridge: browser → Jupyter (auth) → proxy → bridge, with a real ticket.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

const COMMAND_LABEL = 'Show mlinfn Bridge Status';

test.describe('@mlinfn/common', () => {
  test('the suite is loaded: the palette has the bridge status command', async ({
    page
  }) => {
    const loaded = await page.evaluate(() =>
      window.jupyterapp.hasPlugin('@mlinfn/common:client')
    );
    expect(loaded).toBe(true);

    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#modal-command-palette');
    await expect(palette).toBeVisible();
    await palette.locator('input').fill('mlinfn bridge');
    await expect(
      palette.locator('.lm-CommandPalette-item', { hasText: COMMAND_LABEL })
    ).toBeVisible();
  });

  test('the status dialog says who is signed in and the bridge version', async ({
    page
  }) => {
    // Not awaited in the page: the command resolves only when the dialog closes.
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('mlinfn:bridge-status');
    });
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toBeVisible();
    // The proxy starts the bridge on first use: give it time.
    const user = dialog.locator('.jp-BridgeStatus-user');
    await expect(user).toHaveText(/^Signed in as .+ \(.+\)$/, {
      timeout: 45000
    });
    const version = dialog
      .locator('.jp-BridgeStatus-row', { hasText: 'Bridge version' })
      .locator('.jp-BridgeStatus-value');
    await expect(version).toHaveText(/^\d+\.\d+\.\d+/);
    await expect(
      dialog.locator('.jp-BridgeStatus-row', { hasText: 'Mode' })
    ).toContainText('proxy');
    await expect(dialog.locator('.jp-BridgeStatus-dot')).toHaveClass(
      /jp-mod-connected/
    );

    // A picture for the README (not a snapshot comparison).
    await dialog.locator('.jp-Dialog-content').screenshot({
      path: path.join(__dirname, '..', 'screenshots', 'bridge-status.png')
    });

    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);
  });

  test('the pushed system channel delivers data to the page', async ({
    page
  }) => {
    const payload = await page.evaluate(async () => {
      const client: any = await window.galata.getPlugin(
        '@mlinfn/common:client' as any
      );
      if (!client) {
        throw new Error('no bridge client');
      }
      return new Promise<any>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no system message within 30 s')),
          30000
        );
        const sub = client.subscribe('system', (data: unknown) => {
          clearTimeout(timer);
          sub.dispose();
          resolve({
            data,
            state: client.state,
            username: client.identity?.username ?? null
          });
        });
      });
    });
    expect(payload.state).toBe('connected');
    expect(typeof payload.username).toBe('string');
    expect(typeof payload.data.time).toBe('number');
    expect(typeof payload.data.uptimeSeconds).toBe('number');
    expect(payload.data.connections).toBeGreaterThanOrEqual(1);
  });

  test('the status bar shows the connection dot', async ({ page }) => {
    const item = page.locator('.jp-BridgeStatusItem');
    await expect(item).toBeVisible();
    await expect(item.locator('.jp-BridgeStatus-dot')).toHaveClass(
      /jp-mod-connected/,
      { timeout: 45000 }
    );
    await item.click();
    await expect(page.locator('.jp-Dialog .jp-BridgeStatus')).toBeVisible();
  });
});
