#!/usr/bin/env node
// The mlinfn-bridge command: the tsc build (lib/) when there is one, else the esbuild bundle
// that the Python wheel ships.
const path = require('node:path');
const fs = require('node:fs');

const lib = path.join(__dirname, '..', 'lib', 'cli.js');
const bundle = path.join(
  __dirname,
  '..',
  '..',
  'mlinfn_lab',
  'bridge',
  'bridge.cjs'
);
const { run } = require(fs.existsSync(lib) ? lib : bundle);
run().then(
  code => {
    if (code !== undefined) {
      process.exitCode = code;
    }
  },
  err => {
    process.stderr.write(`mlinfn-bridge: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  }
);
