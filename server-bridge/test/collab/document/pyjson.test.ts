/**
 * Python's json.dumps(indent=1, sort_keys=True, ensure_ascii=False) and str.splitlines(True),
 * checked against Python itself.
 */
import { execFile } from 'node:child_process';
import {
  compareCodePoints,
  pyFloatRepr,
  pyJsonDumps,
  pySplitLinesKeepEnds
} from '../../../src/collab/document/pyjson';
import { HAVE_PYTHON, PYTHON } from './helpers';

const FLOATS = [
  0.1,
  0.5,
  1.5,
  -2.75,
  1e-4,
  1e-5,
  1.2345e-7,
  123456.789,
  1e15 + 0.5,
  1e16,
  1.5e16,
  2.5e300,
  -1e-300,
  5e-324,
  1.7976931348623157e308,
  3.141592653589793,
  100.25,
  0.000123,
  1 / 3,
  9007199254740994,
  2 ** 60
];

const STRINGS = [
  '',
  'a',
  'a\n',
  '\n',
  'a\nb',
  'a\r\nb\rc\nd',
  '\r\r\n',
  'x\u000by\u000cz\u001cw\u001dv\u001eu\u0085t\u2028s\u2029r',
  'trailing\r',
  'no break',
  '😀\n👍'
];

const VALUE = {
  z: [1, 2.5, -0.001, null, true, false, [], {}, [[]], { a: {} }],
  é: 'quote " backslash \\ slash / tab \t nl \n cr \r bell \u0007 nul \u0000 del \u007f',
  '\uff5e':
    'fullwidth tilde sorts after the emoji key in UTF-16, before it by code point',
  '😀': 'astral',
  A: 'upper',
  a: 'lower',
  '': 'empty key',
  n: 1e-7,
  big: 12345678901
};

function python(script: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', script], (err, stdout, stderr) =>
      err ? reject(new Error(stderr)) : resolve(stdout)
    );
    child.stdin?.end(input);
  });
}

const describePython = HAVE_PYTHON ? describe : describe.skip;

describePython('agrees with Python', () => {
  let answers: { floats: string[]; lines: string[][]; dumps: string };

  beforeAll(async () => {
    answers = JSON.parse(
      await python(
        [
          'import json, sys',
          'data = json.load(sys.stdin)',
          'json.dump({',
          '  "floats": [repr(float(x)) for x in data["floats"]],',
          '  "lines": [s.splitlines(True) for s in data["strings"]],',
          '  "dumps": json.dumps(data["value"], indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": ")),',
          '}, sys.stdout)'
        ].join('\n'),
        JSON.stringify({ floats: FLOATS, strings: STRINGS, value: VALUE })
      )
    );
  });

  it('formats floats as repr(float) does', () => {
    expect(FLOATS.map(pyFloatRepr)).toEqual(answers.floats);
  });

  it('splits lines as str.splitlines(True) does', () => {
    expect(STRINGS.map(pySplitLinesKeepEnds)).toEqual(answers.lines);
  });

  it('dumps JSON as json.dumps(indent=1, sort_keys=True, ensure_ascii=False) does', () => {
    expect(pyJsonDumps(VALUE)).toBe(answers.dumps);
  });
});

describe('key order', () => {
  it('sorts by code point, not UTF-16 unit', () => {
    expect(['\uff5e', '😀', 'b', 'a'].sort(compareCodePoints)).toEqual([
      'a',
      'b',
      '\uff5e',
      '😀'
    ]);
  });
});
