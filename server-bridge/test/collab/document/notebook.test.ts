/**
 * The notebook adapter: byte-exact writes against Python's nbformat (golden), and the layout
 * against @jupyter/ydoc's own YNotebook, both ways.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import {
  adapterFor,
  DocumentError,
  SERVER_EDIT_ORIGIN
} from '../../../src/collab/document';
import { parseNotebook } from '../../../src/collab/document/nbformat';
import {
  dec,
  enc,
  HAVE_PYTHON,
  NOTEBOOKS,
  pythonGolden,
  pythonValidate,
  readFixture,
  ydoc
} from './helpers';

const adapter = adapterFor('notebook');
const FIXTURES = readdirSync(NOTEBOOKS).filter(f => f.endsWith('.ipynb'));
const describePython = HAVE_PYTHON ? describe : describe.skip;

function seeded(content: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  adapter.seed(doc, content);
  return doc;
}

describePython('notebooks are written exactly as nbformat writes them', () => {
  let golden: Awaited<ReturnType<typeof pythonGolden>>;
  const rewritten: Record<string, Uint8Array> = {};
  let validity: Record<string, { valid: boolean; error: string }> = {};

  beforeAll(async () => {
    // One Python run for the golden files, one for validating what we write (Python starts slowly).
    golden = await pythonGolden(FIXTURES.map(f => join(NOTEBOOKS, f)));
    for (const name of FIXTURES) {
      rewritten[name] = adapter.serialize(seeded(await readFixture(name)));
    }
    const results = await pythonValidate(FIXTURES.map(name => rewritten[name]));
    validity = Object.fromEntries(
      FIXTURES.map((name, k) => [name, results[k]])
    );
  });

  it('has fixtures of every kind', () => {
    expect(FIXTURES).toEqual(
      expect.arrayContaining([
        'cells.ipynb',
        'empty.ipynb',
        'outputs.ipynb',
        'sorting.ipynb',
        'v4.4-no-ids.ipynb'
      ])
    );
  });

  it.each(FIXTURES)(
    '%s: seed then serialize = nbformat.read + nbformat.write',
    async name => {
      const expected = golden[join(NOTEBOOKS, name)];
      expect(expected.valid).toBe(true);
      const written = adapter.serialize(seeded(await readFixture(name)));
      // Compare as text first for a readable diff, then byte for byte.
      expect(dec(written)).toEqual(dec(expected.written));
      expect(Buffer.from(written).equals(expected.written)).toBe(true);
    }
  );

  it.each(FIXTURES)(
    '%s: what we write reads back to the same bytes, and validates',
    async name => {
      const once = rewritten[name];
      const twice = adapter.serialize(seeded(once));
      expect(Buffer.from(twice).equals(Buffer.from(once))).toBe(true);
      expect(validity[name]).toEqual({ valid: true, error: '' });
    }
  );

  it('writes a float with an integral value as JupyterLab does (1.0 → 1)', async () => {
    const nb = {
      cells: [],
      metadata: { whole: 1.0, tenth: 0.1, huge: 1e16, small: 1e-5 },
      nbformat: 4,
      nbformat_minor: 5
    };
    const text = dec(adapter.serialize(seeded(enc(JSON.stringify(nb)))));
    expect(text).toContain('"whole": 1\n');
    expect(text).toContain('"huge": 1e+16');
    expect(text).toContain('"small": 1e-05');
    expect(text).toContain('"tenth": 0.1');
  });
});

describe('seeding', () => {
  it('builds the @jupyter/ydoc layout', async () => {
    const doc = seeded(await readFixture('outputs.ipynb'));
    const meta = doc.getMap<unknown>('meta');
    expect(meta.get('nbformat')).toBe(4);
    expect(meta.get('nbformat_minor')).toBe(5);
    expect(meta.get('metadata')).toBeInstanceOf(Y.Map);
    const cells = doc.getArray<Y.Map<unknown>>('cells');
    expect(cells.length).toBe(5);
    const first = cells.get(0);
    expect(first.get('id')).toBe('stream-1');
    expect(first.get('cell_type')).toBe('code');
    expect(first.get('source')).toBeInstanceOf(Y.Text);
    expect(String(first.get('source'))).toBe(
      "import sys\nprint('out')\nprint('err', file=sys.stderr)"
    );
    expect(first.get('metadata')).toBeInstanceOf(Y.Map);
    expect((first.get('metadata') as Y.Map<unknown>).get('tags')).toEqual([
      'parameters'
    ]);
    expect(first.get('execution_count')).toBe(1);
    const outputs = first.get('outputs') as Y.Array<Y.Map<unknown>>;
    expect(outputs).toBeInstanceOf(Y.Array);
    expect(outputs.get(0)).toBeInstanceOf(Y.Map);
    // A stream's text is a Y.Text (appendStreamOutput edits it in place); lists are rejoined.
    expect(outputs.get(0).get('text')).toBeInstanceOf(Y.Text);
    expect(String(outputs.get(0).get('text'))).toBe('out\n');
    const display = (
      cells.get(1).get('outputs') as Y.Array<Y.Map<unknown>>
    ).get(0);
    expect(display.get('data')).toMatchObject({
      'text/plain': '<IPython.core.display.HTML object>',
      'text/markdown': '# Title\n\nbody'
    });
  });

  it('is one transaction under a fresh client id, with the server-edit origin', async () => {
    const doc = new Y.Doc();
    const origins: unknown[] = [];
    doc.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin));
    adapter.seed(doc, await readFixture('cells.ipynb'));
    expect(origins).toEqual([SERVER_EDIT_ORIGIN]);
    const clients = [...doc.store.clients.keys()];
    expect(clients).toHaveLength(1);
    expect(clients[0]).not.toBe(doc.clientID);
  });

  it('gives cells without ids (nbformat 4.4) ids in the document only', async () => {
    const content = await readFixture('v4.4-no-ids.ipynb');
    const doc = seeded(content);
    const ids = doc
      .getArray<Y.Map<unknown>>('cells')
      .toArray()
      .map(c => c.get('id'));
    expect(ids.every(id => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dec(adapter.serialize(doc))).not.toContain('"id"');
  });

  it('repairs missing and duplicate ids in nbformat 4.5 as nbformat does', () => {
    const nb = {
      cells: [
        { cell_type: 'markdown', id: 'same', metadata: {}, source: 'a' },
        { cell_type: 'markdown', id: 'same', metadata: {}, source: 'b' },
        { cell_type: 'markdown', metadata: {}, source: 'c' }
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    };
    const parsed = parseNotebook(enc(JSON.stringify(nb)));
    expect(parsed.cells[0].id).toBe('same');
    expect(parsed.cells[1].id).toMatch(/^[0-9a-f]{8}$/);
    expect(parsed.cells[2].id).toMatch(/^[0-9a-f]{8}$/);
  });

  it('refuses what is not a version 4 notebook, leaving the document empty', () => {
    const bad = [
      enc('{"cells": ['),
      enc('[]'),
      enc('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}'),
      enc('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}'),
      enc(
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "weird", "source": ""}]}'
      ),
      Uint8Array.from([0xff, 0xfe, 0x7b, 0x7d])
    ];
    for (const content of bad) {
      const doc = new Y.Doc();
      expect(() => adapter.seed(doc, content)).toThrow(DocumentError);
      expect(doc.getArray('cells').length).toBe(0);
      expect(doc.getMap('meta').size).toBe(0);
    }
  });

  it('refuses to seed a document that is not empty', async () => {
    const doc = seeded(await readFixture('empty.ipynb'));
    expect(() => adapter.seed(doc, new Uint8Array())).toThrow(DocumentError);
    expect(() =>
      adapter.seed(
        doc,
        Buffer.from(
          JSON.stringify({
            cells: [],
            metadata: {},
            nbformat: 4,
            nbformat_minor: 5
          })
        )
      )
    ).toThrow(/empty document/);
  });

  it('will not serialize a document that was never seeded', () => {
    expect(() => adapter.serialize(new Y.Doc())).toThrow(DocumentError);
  });

  it('leaves out runtime state (execution_state) when writing', async () => {
    const doc = seeded(await readFixture('outputs.ipynb'));
    doc
      .getArray<Y.Map<unknown>>('cells')
      .get(0)
      .set('execution_state', 'running');
    expect(dec(adapter.serialize(doc))).not.toContain('execution_state');
  });
});

describe('the layout is the one @jupyter/ydoc reads and writes', () => {
  it('what we seed reads through YNotebook.toJSON() as the notebook Jupyter serves', async () => {
    const names = FIXTURES;
    const contents = await Promise.all(names.map(readFixture));
    const answers = await ydoc(
      contents.map(c => ({
        op: 'read' as const,
        kind: 'notebook' as const,
        update: Y.encodeStateAsUpdate(seeded(c))
      }))
    );
    names.forEach((name, k) => {
      const expected = parseNotebook(contents[k]);
      const json = answers[k].json as { cells: { id?: string }[] };
      if (expected.nbformat_minor < 5) {
        // YNotebook.toJSON drops ids for 4.0–4.4, as we do when writing.
        expected.cells.forEach(c => delete c.id);
      }
      expect({ name, json }).toEqual({ name, json: expected });
    });
  });

  it('a notebook built and edited through the YNotebook API serializes as nbformat would write it', async () => {
    const content = await readFixture('outputs.ipynb');
    const [created] = await ydoc([
      {
        op: 'create',
        notebook: parseNotebook(content),
        edits: [
          {
            op: 'updateSource',
            index: 0,
            start: 0,
            end: 0,
            value: '# edited\n'
          },
          {
            op: 'insertCell',
            index: 1,
            cell: {
              cell_type: 'markdown',
              id: 'new-md',
              source: 'New *cell*',
              metadata: {}
            }
          },
          { op: 'deleteCell', index: 4 },
          { op: 'moveCell', from: 0, to: 2 },
          { op: 'setCellMetadata', index: 2, key: 'tags', value: ['x'] },
          { op: 'setExecutionCount', index: 2, count: 9 },
          { op: 'setExecutionState', index: 2, state: 'busy' },
          {
            op: 'setOutputs',
            index: 2,
            outputs: [{ output_type: 'stream', name: 'stdout', text: 'a' }]
          },
          { op: 'appendStream', index: 2, output: 0, text: 'b\nc\n' },
          {
            op: 'setAttachments',
            index: 0,
            attachments: { 'a.txt': { 'text/plain': 'x\ny' } }
          },
          { op: 'setNotebookMetadata', key: 'extra', value: { deep: [1, 'ü'] } }
        ]
      }
    ]);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, created.update);
    const written = adapter.serialize(doc);
    // Our write of the Yjs document equals our write of YNotebook's own toJSON()...
    const fromModel = adapter.serialize(
      seeded(enc(JSON.stringify(created.json)))
    );
    expect(dec(written)).toEqual(dec(fromModel));
    if (HAVE_PYTHON) {
      // ...which is what nbformat writes for that JSON.
      const [valid] = await pythonValidate([written]);
      expect(valid).toEqual({ valid: true, error: '' });
    }
    const cells = JSON.parse(dec(written)).cells;
    expect(cells.map((c: { id: string }) => c.id)).toEqual([
      'new-md',
      'display-1',
      'stream-1',
      'result-1',
      'noout-1'
    ]);
    expect(cells[0].attachments).toEqual({
      'a.txt': { 'text/plain': ['x\n', 'y'] }
    });
    expect(cells[2]).toMatchObject({
      execution_count: 9,
      metadata: { tags: ['x'] },
      outputs: [
        { output_type: 'stream', name: 'stdout', text: ['ab\n', 'c\n'] }
      ]
    });
    expect(cells[2].source[0]).toBe('# edited\n');
    expect(cells[2]).not.toHaveProperty('execution_state');
  });

  it('a notebook edited on both sides converges, and reads back through YNotebook', async () => {
    const content = await readFixture('cells.ipynb');
    const server = seeded(content);
    const [client] = await ydoc([
      {
        op: 'edit',
        update: Y.encodeStateAsUpdate(server),
        edits: [{ op: 'updateSource', index: 0, start: 0, end: 0, value: '> ' }]
      }
    ]);
    Y.applyUpdate(server, client.update);
    const text = dec(adapter.serialize(server));
    expect(JSON.parse(text).cells[0].source[0]).toBe('> # Grüße 🌍\n');
  });
});
