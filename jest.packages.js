// The Jest config of every front-end package: JupyterLab's preset (jsdom, ts-jest) with the ESM
// allow-list that JupyterLab 4.6's own dependencies need. A package's jest.config.js calls this.
const jestJupyterLab = require('@jupyterlab/testutils/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyterlab/',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

/**
 * @param {string} packageDir - the package's directory (its __dirname).
 * @param {string[]} [excluded] - source files left out of coverage (generated ones).
 */
module.exports = function packageJestConfig(packageDir, excluded = []) {
  return {
    ...jestJupyterLab(packageDir),
    automock: false,
    reporters: ['default'],
    testRegex: 'test/.*\\.spec\\.ts$',
    collectCoverageFrom: [
      'src/**/*.ts',
      ...excluded.map(f => `!${f}`),
      '!src/**/*.d.ts'
    ],
    coverageReporters: ['text-summary', 'lcov'],
    transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
  };
};
