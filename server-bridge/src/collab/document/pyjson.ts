/**
 * JSON exactly as Python's `json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False,
 * separators=(',', ': '))` writes it, which is what `nbformat.writes` uses for version 4, and
 * Python's `str.splitlines(True)`, which `nbformat`'s `split_lines` uses.
 *
 * Where JavaScript cannot know what Python had, the choice is the one JupyterLab's own save
 * makes (the notebook travels through JavaScript there too): a float with an integral value
 * (`1.0`) is a JavaScript integer and is written `1`; an integer beyond 2^53 has already lost
 * its low digits in `JSON.parse`.
 */

/** Python's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) {
    return 'NaN';
  }
  if (!Number.isFinite(x)) {
    return x > 0 ? 'Infinity' : '-Infinity';
  }
  // toExponential() without an argument gives the shortest digits that round-trip (the same
  // digits as Python's repr); only the layout differs.
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exp < -4 || exp >= 16) {
    text =
      digits[0] +
      (digits.length > 1 ? `.${digits.slice(1)}` : '') +
      `e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp >= 0) {
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const fraction = digits.slice(exp + 1) || '0';
    text = `${whole}.${fraction}`;
  } else {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** A JSON number as Python writes the value it would have parsed. */
function pyNumber(x: number): string {
  if (Number.isSafeInteger(x)) {
    return Object.is(x, -0) ? '0' : String(x);
  }
  return pyFloatRepr(x);
}

/** Whether a string contains a UTF-16 surrogate (where code-unit order ≠ code-point order). */
const SURROGATE = /[\ud800-\udfff]/;

/** Python sorts `str` keys by code point; JavaScript's default sort is by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) {
      return ca.done && cb.done ? 0 : ca.done ? -1 : 1;
    }
    const pa = ca.value.codePointAt(0) as number;
    const pb = cb.value.codePointAt(0) as number;
    if (pa !== pb) {
      return pa - pb;
    }
  }
}

/**
 * A string literal: `JSON.stringify` escapes exactly the characters Python escapes with
 * `ensure_ascii=False` (`"`, `\`, and U+0000–U+001F, with the same short forms and lowercase
 * hex). A lone surrogate, which Python could not encode to UTF-8 at all, becomes `\udxxx`.
 */
function pyString(s: string): string {
  return JSON.stringify(s);
}

/**
 * `json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, separators=(',', ': '))`.
 *
 * Values JSON cannot hold (which only a misbehaving client could put into a Yjs document) are
 * written as `null`, so that a save never fails on them.
 */
export function pyJsonDumps(value: unknown): string {
  const out: string[] = [];
  write(value, 0, out);
  return out.join('');
}

function write(value: unknown, level: number, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(pyString(value));
      return;
    case 'number':
      out.push(pyNumber(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'object':
      break;
    default:
      out.push('null');
      return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    const inner = '\n' + ' '.repeat(level + 1);
    out.push('[');
    value.forEach((item, i) => {
      out.push(i === 0 ? inner : ',' + inner);
      write(item, level + 1, out);
    });
    out.push('\n' + ' '.repeat(level) + ']');
    return;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    out.push('null');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter(k => record[k] !== undefined && typeof record[k] !== 'function')
    .sort(compareCodePoints);
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  const inner = '\n' + ' '.repeat(level + 1);
  out.push('{');
  keys.forEach((key, i) => {
    out.push(i === 0 ? inner : ',' + inner);
    out.push(pyString(key), ': ');
    write(record[key], level + 1, out);
  });
  out.push('\n' + ' '.repeat(level) + '}');
}

/** The line boundaries of Python's `str.splitlines`. */
// eslint-disable-next-line no-control-regex -- these control characters are the point
const LINE_BREAK = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** Python's `s.splitlines(True)`: lines with their endings kept; `''` gives `[]`. */
export function pySplitLinesKeepEnds(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const match of s.matchAll(LINE_BREAK)) {
    const end = (match.index as number) + match[0].length;
    lines.push(s.slice(start, end));
    start = end;
  }
  if (start < s.length) {
    lines.push(s.slice(start));
  }
  return lines;
}
