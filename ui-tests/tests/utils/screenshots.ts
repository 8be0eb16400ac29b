/**
 * The README's pictures (not snapshot comparisons): one element in the light theme, then in
 * the dark one, so both themes are seen to work.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

/** Where the pictures go: the README links them from here. */
export const SCREENSHOTS = path.join(__dirname, '..', '..', 'screenshots');

/**
 * Picture `target` as `light` (a file name in {@link SCREENSHOTS}), switch to the dark theme,
 * picture it as `dark`, and switch back. `settleMs` lets charts and transitions finish drawing
 * first: a picture, unlike an assertion, cannot wait for "done".
 */
export async function lightAndDark(
  page: IJupyterLabPageFixture,
  target: Locator,
  light: string,
  dark: string,
  settleMs = 1000
): Promise<void> {
  await page.waitForTimeout(settleMs);
  await target.screenshot({ path: path.join(SCREENSHOTS, light) });
  await page.theme.setDarkTheme();
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    'false'
  );
  await page.waitForTimeout(settleMs);
  await target.screenshot({ path: path.join(SCREENSHOTS, dark) });
  await page.theme.setLightTheme();
}
