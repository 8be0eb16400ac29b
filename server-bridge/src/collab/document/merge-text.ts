/**
 * Three-way text merge as Y.Text operations.
 *
 * A change on disk is the difference between `base` (what the room last saved or seeded) and
 * `disk`. The room's text may have moved on since `base` (edits not yet saved): the disk's
 * edits are mapped through the room's own changes (a character diff of base → current) so that
 * each deletion removes only base characters the room still has, and each insertion lands at
 * the place its base position now occupies. The room's insertions are never deleted, and both
 * sides' insertions at one place are kept (the room's first): nothing either side typed is
 * lost.
 */
import fastDiff from 'fast-diff';
import type * as Y from 'yjs';

type Diff = [number, string][];

const EQUAL = 0;
const INSERT = 1;
const DELETE = -1;

/** Above this many UTF-16 units in total, diff lines first and characters only within hunks. */
const LINE_MODE_THRESHOLD = 200_000;

/**
 * A character diff that stays fast on large texts: line by line first (each distinct line
 * mapped to one private character), then character by character inside each changed hunk,
 * as diff-match-patch's line mode does. Never splits a surrogate pair.
 */
export function textDiff(a: string, b: string): Diff {
  if (a === b) {
    return a ? [[EQUAL, a]] : [];
  }
  if (a.length + b.length <= LINE_MODE_THRESHOLD) {
    return fastDiff(a, b);
  }
  const lineDiff = linesDiff(a, b);
  if (!lineDiff) {
    return fastDiff(a, b);
  }
  const out: Diff = [];
  let deleted = '';
  let inserted = '';
  const flush = () => {
    if (deleted && inserted) {
      out.push(...fastDiff(deleted, inserted));
    } else if (deleted) {
      out.push([DELETE, deleted]);
    } else if (inserted) {
      out.push([INSERT, inserted]);
    }
    deleted = '';
    inserted = '';
  };
  for (const [op, text] of lineDiff) {
    if (op === EQUAL) {
      flush();
      out.push([EQUAL, text]);
    } else if (op === DELETE) {
      deleted += text;
    } else {
      inserted += text;
    }
  }
  flush();
  return out;
}

function splitLines(s: string): string[] {
  const lines = s.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

/** A diff of whole lines, or undefined when there are too many distinct lines to encode. */
function linesDiff(a: string, b: string): Diff | undefined {
  const table = new Map<string, string>();
  const lines: string[] = [];
  // Private characters from U+0100 on, skipping surrogates: about 63,000 distinct lines.
  const encode = (text: string): string | undefined => {
    let out = '';
    for (const line of splitLines(text)) {
      let ch = table.get(line);
      if (ch === undefined) {
        let code = 0x100 + lines.length;
        if (code >= 0xd800) {
          code += 0x800;
        }
        if (code > 0xffff) {
          return undefined;
        }
        ch = String.fromCharCode(code);
        table.set(line, ch);
        lines.push(line);
      }
      out += ch;
    }
    return out;
  };
  const ea = encode(a);
  const eb = ea === undefined ? undefined : encode(b);
  if (ea === undefined || eb === undefined) {
    return undefined;
  }
  const decode = (chars: string): string => {
    let out = '';
    for (let i = 0; i < chars.length; i++) {
      let code = chars.charCodeAt(i);
      if (code >= 0xe000 && code - 0x800 >= 0xd800) {
        code -= 0x800;
      }
      out += lines[code - 0x100];
    }
    return out;
  };
  return fastDiff(ea, eb).map(([op, chars]) => [op, decode(chars)]);
}

/** One edit in the current text's coordinates. */
type Edit = { at: number; del: number } | { at: number; ins: string };

/**
 * The edits that turn `current` into the merge of (`base` → `current`) and (`base` → `target`),
 * in application order (last position first, so that positions stay valid).
 */
export function mergeEdits(
  base: string,
  current: string,
  target: string
): Edit[] {
  if (base === target) {
    return [];
  }
  const diskDiff = textDiff(base, target);
  // Where each base character is in `current` (-1: the room deleted it).
  let toCurrent: Int32Array | undefined;
  if (current !== base) {
    toCurrent = new Int32Array(base.length);
    let b = 0;
    let c = 0;
    for (const [op, text] of textDiff(base, current)) {
      if (op === EQUAL) {
        for (let k = 0; k < text.length; k++) {
          toCurrent[b++] = c++;
        }
      } else if (op === DELETE) {
        toCurrent.fill(-1, b, b + text.length);
        b += text.length;
      } else {
        c += text.length;
      }
    }
  }
  // Insertion point for base position p: where the next surviving base character is now
  // (after whatever the room inserted before it), or the end.
  let nextAliveAt: Int32Array | undefined;
  if (toCurrent) {
    nextAliveAt = new Int32Array(base.length + 1);
    nextAliveAt[base.length] = current.length;
    for (let i = base.length - 1; i >= 0; i--) {
      nextAliveAt[i] = toCurrent[i] >= 0 ? toCurrent[i] : nextAliveAt[i + 1];
    }
  }
  const nextAlive = (p: number): number => (nextAliveAt ? nextAliveAt[p] : p);
  const edits: Edit[] = [];
  let b = 0;
  for (const [op, text] of diskDiff) {
    if (op === EQUAL) {
      b += text.length;
    } else if (op === INSERT) {
      edits.push({ at: nextAlive(b), ins: text });
    } else {
      if (!toCurrent) {
        edits.push({ at: b, del: text.length });
      } else {
        // Delete the runs of base characters the room still has; keep what it inserted.
        let runStart = -1;
        let runEnd = -1;
        for (let i = b; i < b + text.length; i++) {
          const at = toCurrent[i];
          if (at >= 0 && at === runEnd) {
            runEnd++;
          } else {
            if (runStart >= 0) {
              edits.push({ at: runStart, del: runEnd - runStart });
            }
            runStart = at >= 0 ? at : -1;
            runEnd = at >= 0 ? at + 1 : -1;
          }
        }
        if (runStart >= 0) {
          edits.push({ at: runStart, del: runEnd - runStart });
        }
      }
      b += text.length;
    }
  }
  return edits.reverse();
}

/** Apply the disk's change (base → target) to `ytext`, merged with the room's own changes. */
export function mergeIntoYText(
  ytext: Y.Text,
  base: string,
  target: string
): void {
  for (const edit of mergeEdits(base, ytext.toString(), target)) {
    if ('del' in edit) {
      ytext.delete(edit.at, edit.del);
    } else {
      ytext.insert(edit.at, edit.ins);
    }
  }
}

/** The same merge on plain strings. */
export function mergeText(
  base: string,
  current: string,
  target: string
): string {
  let text = current;
  for (const edit of mergeEdits(base, current, target)) {
    text =
      'del' in edit
        ? text.slice(0, edit.at) + text.slice(edit.at + edit.del)
        : text.slice(0, edit.at) + edit.ins + text.slice(edit.at);
  }
  return text;
}
