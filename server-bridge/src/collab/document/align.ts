/**
 * Sequence alignment helpers for the notebook merge: longest common subsequence (with the
 * common prefix and suffix taken first, and a bounded fallback for very large inputs) and
 * longest increasing subsequence.
 */

/** Above this many table cells, the LCS falls back to anchoring on entries unique to both sides. */
const MAX_TABLE = 4_000_000;

/** Index pairs `[i, j]` with `a[i] === b[j]`, increasing in both, of maximal length. */
export function lcs(
  a: readonly string[],
  b: readonly string[]
): [number, number][] {
  const pairs: [number, number][] = [];
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) {
    pairs.push([pre, pre]);
    pre++;
  }
  let suf = 0;
  while (
    suf < a.length - pre &&
    suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  ) {
    suf++;
  }
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n > 0 && m > 0) {
    const middle =
      n * m <= MAX_TABLE
        ? lcsTable(a, b, pre, n, m)
        : lcsUniqueAnchors(a, b, pre, n, m);
    pairs.push(...middle);
  }
  for (let k = suf; k > 0; k--) {
    pairs.push([a.length - k, b.length - k]);
  }
  return pairs;
}

function lcsTable(
  a: readonly string[],
  b: readonly string[],
  offset: number,
  n: number,
  m: number
): [number, number][] {
  // table[i][j] = LCS length of a[offset+i..] and b[offset+j..]
  const width = m + 1;
  const table = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] =
        a[offset + i] === b[offset + j]
          ? table[(i + 1) * width + j + 1] + 1
          : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[offset + i] === b[offset + j]) {
      pairs.push([offset + i, offset + j]);
      i++;
      j++;
    } else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) {
      i++;
    } else {
      j++;
    }
  }
  return pairs;
}

/** For inputs too large for the table: pair entries that occur once on each side, in order. */
function lcsUniqueAnchors(
  a: readonly string[],
  b: readonly string[],
  offset: number,
  n: number,
  m: number
): [number, number][] {
  const count = (xs: readonly string[], len: number) => {
    const seen = new Map<string, number>();
    for (let k = offset; k < offset + len; k++) {
      seen.set(xs[k], seen.has(xs[k]) ? -1 : k);
    }
    return seen;
  };
  const inA = count(a, n);
  const inB = count(b, m);
  const candidates: [number, number][] = [];
  for (const [key, i] of inA) {
    const j = inB.get(key);
    if (i >= 0 && j !== undefined && j >= 0) {
      candidates.push([i, j]);
    }
  }
  candidates.sort((x, y) => x[0] - y[0]);
  const keep = lisIndices(candidates.map(c => c[1]));
  return keep.map(k => candidates[k]);
}

/** The positions in `xs` of one longest strictly increasing subsequence. */
export function lisIndices(xs: readonly number[]): number[] {
  const tails: number[] = []; // position in xs of the tail of each length
  const previous = new Int32Array(xs.length).fill(-1);
  for (let k = 0; k < xs.length; k++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]] < xs[k]) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo > 0) {
      previous[k] = tails[lo - 1];
    }
    tails[lo] = k;
  }
  const out: number[] = [];
  let k = tails.length ? tails[tails.length - 1] : -1;
  while (k >= 0) {
    out.push(k);
    k = previous[k];
  }
  return out.reverse();
}
