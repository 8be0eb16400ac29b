// Deterministic test notebooks for the collab benchmarks, written as `nbformat.writes` writes
// them (indent 1, sorted keys, non-ASCII kept, multi-line strings as lists of lines, a trailing
// newline), valid nbformat 4.5 (cell ids) so that Jupyter's contents manager (the anchor's
// loader) and the bridge's document layer both take them as they are.
//
// Every tenth cell is markdown; the others are code cells with a stream output, an
// execute_result (text/plain and text/html) and, every fifth code cell, a PNG display_data
// (base64 of pseudo-random bytes). The size of the outputs is scaled so that the file comes to
// the byte size asked for (within about 1 %).

/** A small seeded PRNG (mulberry32), so every run writes the same bytes. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'tensor batch epoch loss gradient kernel layer weight bias sample event jet muon track vertex detector calorimeter trigger luminosity histogram fit chi2 sigma background signal model'.split(
    ' '
  );

/** Lines as nbformat stores a multi-line string: each with its newline but the last. */
function splitLines(text) {
  const lines = text.split('\n');
  return lines
    .map((l, i) => (i < lines.length - 1 ? `${l}\n` : l))
    .filter(l => l !== '');
}

/** Python's `json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False)`. */
function sortKeys(value) {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) {
      out[k] = sortKeys(value[k]);
    }
    return out;
  }
  return value;
}

function build(cells, scale) {
  const rand = rng(20251125);
  const word = () => WORDS[Math.floor(rand() * WORDS.length)];
  const sentence = n => Array.from({ length: n }, word).join(' ');
  const out = [];
  let count = 0;
  for (let i = 0; i < cells; i++) {
    const id = `cell-${String(i).padStart(5, '0')}`;
    if (i % 10 === 0) {
      out.push({
        cell_type: 'markdown',
        id,
        metadata: {},
        source: splitLines(
          `## Section ${i / 10 + 1}: ${sentence(4)}\n\n${sentence(30)}\n\n- ${sentence(6)}\n- ${sentence(6)}`
        )
      });
      continue;
    }
    count++;
    const source = [
      `# step ${i}: ${sentence(5)}`,
      'import numpy as np',
      `${word()}_${i} = np.random.default_rng(${i}).normal(size=(${16 + (i % 64)}, 8))`,
      `for ${word()} in range(${1 + (i % 7)}):`,
      `    print(${JSON.stringify(sentence(3))}, ${word()}_${i}.mean())`,
      `${word()}_${i}.std()`
    ].join('\n');
    const streamLines = Math.max(1, Math.round(24 * scale));
    const stream = Array.from(
      { length: streamLines },
      (_, k) => `${k} ${sentence(6)} ${(rand() * 1000).toFixed(6)}`
    ).join('\n');
    const rows = Math.max(1, Math.round(8 * scale));
    const html =
      '<table>\n' +
      Array.from(
        { length: rows },
        (_, r) =>
          `<tr><td>${r}</td><td>${word()}</td><td>${(rand() * 100).toFixed(4)}</td></tr>`
      ).join('\n') +
      '\n</table>';
    const outputs = [
      {
        name: 'stdout',
        output_type: 'stream',
        text: splitLines(stream + '\n')
      },
      {
        data: {
          'text/html': splitLines(html),
          'text/plain': [`${(rand() * 10).toFixed(12)}`]
        },
        execution_count: count,
        metadata: {},
        output_type: 'execute_result'
      }
    ];
    if (count % 5 === 0) {
      const bytes = Buffer.alloc(Math.max(64, Math.round(9000 * scale)));
      for (let b = 0; b < bytes.length; b++) {
        bytes[b] = Math.floor(rand() * 256);
      }
      outputs.splice(1, 0, {
        data: {
          'image/png': bytes.toString('base64'),
          'text/plain': ['<Figure size 640x480 with 1 Axes>']
        },
        metadata: {},
        output_type: 'display_data'
      });
    }
    out.push({
      cell_type: 'code',
      execution_count: count,
      id,
      metadata: {},
      outputs,
      source: splitLines(source)
    });
  }
  const nb = {
    cells: out,
    metadata: {
      kernelspec: {
        display_name: 'Python 3 (ipykernel)',
        language: 'python',
        name: 'python3'
      },
      language_info: { name: 'python', version: '3.11.7' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
  return JSON.stringify(sortKeys(nb), null, 1) + '\n';
}

/**
 * The text of a notebook of `cells` cells and about `bytes` bytes (UTF-8), always the same for
 * the same arguments. Returns {text, bytes, cells, outputs}.
 */
export function makeNotebook({ cells, bytes }) {
  let scale = 1;
  let text = build(cells, scale);
  for (let i = 0; i < 6; i++) {
    const size = Buffer.byteLength(text);
    if (Math.abs(size - bytes) / bytes < 0.01) {
      break;
    }
    // the outputs grow linearly with the scale; the rest (sources, JSON keys) does not
    const fixed = Buffer.byteLength(build(cells, 0));
    scale = Math.max(0.01, (scale * (bytes - fixed)) / (size - fixed));
    text = build(cells, scale);
  }
  const nb = JSON.parse(text);
  return {
    text,
    bytes: Buffer.byteLength(text),
    cells: nb.cells.length,
    outputs: nb.cells.reduce((n, c) => n + (c.outputs?.length ?? 0), 0),
    lastSource: nb.cells[nb.cells.length - 1].source.join('')
  };
}

/** A small notebook for the propagation test: `cells` short code cells, no outputs. */
export function smallNotebook(cells = 5) {
  const nb = {
    cells: Array.from({ length: cells }, (_, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `small-${i}`,
      metadata: {},
      outputs: [],
      source: [`x_${i} = ${i}`]
    })),
    metadata: {
      kernelspec: {
        display_name: 'Python 3 (ipykernel)',
        language: 'python',
        name: 'python3'
      },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
  return JSON.stringify(sortKeys(nb), null, 1) + '\n';
}
