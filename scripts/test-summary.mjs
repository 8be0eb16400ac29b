// Sums the results every test runner of scripts/test.sh wrote into one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const rows = [];
const read = f => {
  const p = path.join(dir, f);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
};

// One jest result per package, and the bridge's; a package that wrote none has failed.
const jestFiles = readdirSync('packages')
  .filter(p => existsSync(path.join('packages', p, 'jest.config.js')))
  .map(p => `jest-${p}.json`)
  .concat('jest-bridge.json');
for (const f of jestFiles) {
  const text = read(f);
  if (!text) {
    rows.push([f, 0, 1, 0, 'no results written']);
    continue;
  }
  const r = JSON.parse(text);
  rows.push([
    f,
    r.numPassedTests,
    r.numFailedTests + (r.numRuntimeErrorTestSuites || 0),
    r.numPendingTests
  ]);
}

const xml = read('pytest.xml');
if (xml) {
  const attr = name =>
    Number(
      new RegExp(`<testsuite[^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? 0
    );
  const failed = attr('failures') + attr('errors');
  const skipped = attr('skipped');
  rows.push(['pytest', attr('tests') - failed - skipped, failed, skipped]);
} else {
  rows.push(['pytest', 0, 1, 0, 'no results written']);
}

const galata = read('galata.json');
if (galata) {
  const s = JSON.parse(galata).stats;
  rows.push(['galata', s.expected, s.unexpected + s.flaky, s.skipped]);
} else {
  rows.push(['galata', 0, 1, 0, 'no results written']);
}

let passed = 0;
let failed = 0;
let skipped = 0;
console.log('\nsuite            passed  failed  skipped');
for (const [name, p, f, s, note] of rows) {
  passed += p;
  failed += f;
  skipped += s;
  console.log(
    `${name.padEnd(16)} ${String(p).padStart(6)}  ${String(f).padStart(6)}  ${String(s).padStart(7)}${note ? '  ' + note : ''}`
  );
}
// A skipped test counts as a failure: the project keeps none.
console.log(`tests: ${passed} passed, ${failed + skipped} failed`);
process.exit(failed + skipped > 0 || passed === 0 ? 1 : 0);
