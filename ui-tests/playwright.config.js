/**
 * Galata (Playwright) configuration for the mlinfn-lab UI tests: Debian's chromium (no browser
 * download can succeed here), one worker, and a real JupyterLab with the suite installed,
 * started by scripts/start-test-lab.sh.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// The same variable as scripts/start-test-lab.sh.
const port = process.env.MLINFN_TEST_LAB_PORT || '8888';

module.exports = {
  ...baseConfig,
  testDir: './tests',
  timeout: 60000,
  expect: { timeout: 15000 },
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    appPath: '/lab',
    trace: 'retain-on-failure',
    video: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'bash ../scripts/start-test-lab.sh',
    url: `http://localhost:${port}/lab`,
    // The lab waits for the rigs (RGW, HTCondor, Spark): scripts/test.sh starts them early.
    timeout: 300000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
