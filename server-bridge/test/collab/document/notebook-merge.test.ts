/**
 * Changes made on disk while a notebook room is open: merged so that both sides' edits
 * survive, made under a fresh client id, and readable by the front end's YNotebook.
 */
import * as Y from 'yjs';
import { adapterFor, SERVER_EDIT_ORIGIN } from '../../../src/collab/document';
import {
  notebookFromJSON,
  writeNotebook
} from '../../../src/collab/document/nbformat';
import { cloneDoc, dec, enc, readFixture, syncAll, ydoc } from './helpers';

const adapter = adapterFor('notebook');

type Cell = {
  id?: string;
  cell_type?: string;
  source: string;
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  attachments?: unknown;
};

/** A notebook file as Jupyter writes it. */
function notebook(
  cells: Cell[],
  options: { minor?: number; metadata?: Record<string, unknown> } = {}
): Uint8Array {
  return writeNotebook(
    notebookFromJSON({
      cells: cells.map(c => {
        const type = c.cell_type ?? 'code';
        const cell: Record<string, unknown> = {
          cell_type: type,
          metadata: {},
          ...c
        };
        if (type === 'code') {
          cell.outputs = c.outputs ?? [];
          cell.execution_count = c.execution_count ?? null;
        }
        return cell;
      }),
      metadata: options.metadata ?? { kernelspec: { name: 'python3' } },
      nbformat: 4,
      nbformat_minor: options.minor ?? 5
    })
  );
}

/** The notebook a document would be saved as, parsed. */
function saved(doc: Y.Doc): {
  cells: (Cell & { source: string[] | string })[];
  metadata: Record<string, unknown>;
  nbformat_minor: number;
} {
  return JSON.parse(dec(adapter.serialize(doc)));
}

/** Cell sources (joined) in document order. */
function sources(doc: Y.Doc): string[] {
  return saved(doc).cells.map(c =>
    Array.isArray(c.source) ? c.source.join('') : c.source
  );
}

function ids(doc: Y.Doc): string[] {
  return doc
    .getArray<Y.Map<unknown>>('cells')
    .toArray()
    .map(c => c.get('id') as string);
}

function room(content: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  adapter.seed(doc, content);
  return doc;
}

/** Edit a cell's source as a client would: its own doc, synced into the room. */
function clientEdit(
  roomDoc: Y.Doc,
  index: number,
  edit: (text: Y.Text) => void
): Y.Doc {
  const client = cloneDoc(roomDoc);
  edit(
    client.getArray<Y.Map<unknown>>('cells').get(index).get('source') as Y.Text
  );
  syncAll(client, roomDoc);
  return client;
}

const BASE = notebook([
  { id: 'a', source: 'import numpy as np\nx = 1\n' },
  { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
  {
    id: 'c',
    source: 'print(x)\n',
    execution_count: 1,
    outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
  },
  { id: 'd', source: 'y = 2\n' }
]);

describe('merging a change on disk into a notebook room', () => {
  it('keeps a room edit and a disk edit in different cells', () => {
    const doc = room(BASE);
    clientEdit(doc, 0, t => t.insert(t.length, 'z = 3\n'));
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      {
        id: 'b',
        cell_type: 'markdown',
        source: '# Title\nSome text here, edited on disk.\n'
      },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' }
    ]);
    expect(adapter.applyDiskChange(doc, BASE, disk)).toBe('merged');
    expect(sources(doc)).toEqual([
      'import numpy as np\nx = 1\nz = 3\n',
      '# Title\nSome text here, edited on disk.\n',
      'print(x)\n',
      'y = 2\n'
    ]);
  });

  it('keeps both insertions when the room and the disk edit the same line', () => {
    const doc = room(BASE);
    // Room: "x = 1" → "x = 1 + 41"; disk: "x = 1" → "x = 10" and a comment on the same line.
    clientEdit(doc, 0, t =>
      t.insert('import numpy as np\nx = 1'.length, ' + 41')
    );
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 10  # tuned\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    const line = sources(doc)[0].split('\n')[1];
    expect(line).toContain(' + 41');
    expect(line).toContain('0  # tuned');
    expect(line).toBe('x = 1 + 410  # tuned');
  });

  it('deletes only what the disk deleted, never what the room typed inside it', () => {
    const doc = room(BASE);
    clientEdit(doc, 1, t => t.insert('# Title\nSome '.length, 'important '));
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\n' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(sources(doc)[1]).toBe('# Title\nimportant ');
  });

  it('removes a cell removed on disk', () => {
    const doc = room(BASE);
    clientEdit(doc, 0, t => t.insert(0, '# room\n'));
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(ids(doc)).toEqual(['a', 'b', 'd']);
    expect(sources(doc)[0]).toBe('# room\nimport numpy as np\nx = 1\n');
  });

  it('keeps a cell removed on disk that the room edited meanwhile (no edit lost)', () => {
    const doc = room(BASE);
    clientEdit(doc, 2, t => t.insert(0, '# keep me\n'));
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(ids(doc)).toEqual(['a', 'b', 'c', 'd']);
    expect(sources(doc)[2]).toBe('# keep me\nprint(x)\n');
  });

  it('brings back a cell the room deleted when the disk changed it (no edit lost)', () => {
    const doc = room(BASE);
    const client = cloneDoc(doc);
    client.getArray('cells').delete(3, 1);
    syncAll(client, doc);
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2  # changed on disk\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(ids(doc)).toEqual(['a', 'b', 'c', 'd']);
    expect(sources(doc)[3]).toBe('y = 2  # changed on disk\n');
    // ...but a cell the room deleted and the disk left alone stays deleted.
    const other = room(BASE);
    const client2 = cloneDoc(other);
    client2.getArray('cells').delete(3, 1);
    syncAll(client2, other);
    const disk2 = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n# disk\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(other, BASE, disk2);
    expect(ids(other)).toEqual(['a', 'b', 'c']);
  });

  it('moves a cell moved on disk, keeping the room edits of the moved cell and of others', () => {
    const doc = room(BASE);
    clientEdit(doc, 0, t => t.insert(0, '# first\n'));
    clientEdit(doc, 3, t => t.insert(t.length, 'w = 4\n'));
    const disk = notebook([
      { id: 'd', source: 'y = 2\n' },
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(ids(doc)).toEqual(['d', 'a', 'b', 'c']);
    expect(sources(doc)).toEqual([
      'y = 2\nw = 4\n',
      '# first\nimport numpy as np\nx = 1\n',
      '# Title\nSome text here.\n',
      'print(x)\n'
    ]);
  });

  it('inserts new disk cells after the cell that precedes them on disk, with their ids', () => {
    const doc = room(BASE);
    // The room added a cell of its own at the end meanwhile.
    const client = cloneDoc(doc);
    const mine = new Y.Map<unknown>();
    const text = new Y.Text();
    text.insert(0, 'room cell');
    mine.set('id', 'room');
    mine.set('cell_type', 'markdown');
    mine.set('source', text);
    mine.set('metadata', new Y.Map());
    client.getArray('cells').insert(4, [mine]);
    syncAll(client, doc);
    const disk = notebook([
      { id: 'new0', cell_type: 'markdown', source: 'at the top' },
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      { id: 'new1', source: 'between' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' },
      { id: 'new2', cell_type: 'raw', source: 'at the end' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(ids(doc)).toEqual([
      'new0',
      'a',
      'b',
      'new1',
      'c',
      'd',
      'new2',
      'room'
    ]);
  });

  it('replaces outputs, execution counts, metadata and notebook metadata changed on disk', () => {
    const doc = room(BASE);
    clientEdit(doc, 3, t => t.insert(0, '# room\n'));
    const disk = notebook(
      [
        {
          id: 'a',
          source: 'import numpy as np\nx = 1\n',
          metadata: { tags: ['setup'] }
        },
        {
          id: 'b',
          cell_type: 'markdown',
          source: '# Title\nSome text here.\n',
          attachments: { 'x.txt': { 'text/plain': 'hi' } }
        },
        {
          id: 'c',
          source: 'print(x)\n',
          execution_count: 7,
          outputs: [
            { output_type: 'stream', name: 'stdout', text: '2\n' },
            {
              output_type: 'execute_result',
              execution_count: 7,
              metadata: {},
              data: { 'text/plain': '2' }
            }
          ]
        },
        { id: 'd', source: 'y = 2\n' }
      ],
      { metadata: { kernelspec: { name: 'julia' }, extra: true } }
    );
    adapter.applyDiskChange(doc, BASE, disk);
    const nb = saved(doc);
    expect(nb.metadata).toEqual({ kernelspec: { name: 'julia' }, extra: true });
    expect(nb.cells[0].metadata).toEqual({ tags: ['setup'] });
    expect(nb.cells[1].attachments).toEqual({
      'x.txt': { 'text/plain': ['hi'] }
    });
    expect(nb.cells[2].execution_count).toBe(7);
    expect(nb.cells[2].outputs).toHaveLength(2);
    expect(sources(doc)[3]).toBe('# room\ny = 2\n');
    // Shared types were changed in place: the front end's cell models keep theirs.
    const cellC = doc.getArray<Y.Map<unknown>>('cells').get(2);
    const outputs = cellC.get('outputs') as Y.Array<Y.Map<unknown>>;
    expect(String(outputs.get(0).get('text'))).toBe('2\n');
  });

  it('rebuilds a cell whose type changed on disk', () => {
    const doc = room(BASE);
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', source: '# Title\nSome text here.\n' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', cell_type: 'markdown', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    expect(Buffer.from(adapter.serialize(doc)).equals(Buffer.from(disk))).toBe(
      true
    );
  });

  it('does not give code fields to a cell the room turned into markdown meanwhile', () => {
    const doc = room(BASE);
    const client = cloneDoc(doc);
    const cell = client.getArray<Y.Map<unknown>>('cells').get(2);
    client.transact(() => {
      cell.set('cell_type', 'markdown');
      cell.delete('outputs');
      cell.delete('execution_count');
    });
    syncAll(client, doc);
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      { id: 'b', cell_type: 'markdown', source: '# Title\nSome text here.\n' },
      { id: 'c', source: 'print(x, x)\n', execution_count: 5, outputs: [] },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    const c = saved(doc).cells[2];
    expect(c.cell_type).toBe('markdown');
    expect(c).not.toHaveProperty('outputs');
    expect(c).not.toHaveProperty('execution_count');
    expect(sources(doc)[2]).toBe('print(x, x)\n');
  });

  it('answers a conflict, touching nothing, when the disk no longer holds a notebook', () => {
    const doc = room(BASE);
    const before = Y.encodeStateAsUpdate(doc);
    for (const disk of [
      enc('{"cells": [ this is not json'),
      enc('{"nbformat": 3}'),
      Uint8Array.from([0xc3, 0x28])
    ]) {
      expect(adapter.applyDiskChange(doc, BASE, disk)).toEqual({
        conflict: disk
      });
    }
    expect(
      Buffer.from(Y.encodeStateAsUpdate(doc)).equals(Buffer.from(before))
    ).toBe(true);
  });

  it('does nothing when the disk already holds what the room holds (its own save)', () => {
    const doc = room(BASE);
    clientEdit(doc, 0, t => t.insert(0, '# room\n'));
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    expect(adapter.applyDiskChange(doc, BASE, adapter.serialize(doc))).toBe(
      'merged'
    );
    expect(adapter.applyDiskChange(doc, BASE, BASE)).toBe('merged');
    expect(updates).toHaveLength(0);
  });

  it('with no room edits, leaves the document equal to the disk, byte for byte', async () => {
    const fixtures = await Promise.all(
      ['outputs.ipynb', 'cells.ipynb', 'sorting.ipynb', 'empty.ipynb'].map(
        readFixture
      )
    );
    const normalized = fixtures.map(f => adapter.serialize(room(f)));
    for (const from of normalized) {
      for (const to of normalized) {
        const doc = room(from);
        expect(adapter.applyDiskChange(doc, adapter.serialize(doc), to)).toBe(
          'merged'
        );
        expect(dec(adapter.serialize(doc))).toEqual(dec(to));
      }
    }
  });

  it('makes its edit under a fresh client id that merges with edits in flight', () => {
    const doc = room(BASE);
    // A client that synced, then edits while the server merges the disk change.
    const client = cloneDoc(doc);
    const known = new Set([
      ...doc.store.clients.keys(),
      doc.clientID,
      client.clientID
    ]);
    const disk = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      {
        id: 'b',
        cell_type: 'markdown',
        source: '# Title on disk\nSome text here.\n'
      },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' }
    ]);
    const origins: unknown[] = [];
    doc.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin));
    const ownId = doc.clientID;
    adapter.applyDiskChange(doc, BASE, disk);
    expect(doc.clientID).toBe(ownId);
    expect(origins).toEqual([SERVER_EDIT_ORIGIN]);
    const fresh = [...doc.store.clients.keys()].filter(id => !known.has(id));
    expect(fresh).toHaveLength(1);
    // A second disk change gets yet another id.
    const disk2 = notebook([
      { id: 'a', source: 'import numpy as np\nx = 1\n' },
      {
        id: 'b',
        cell_type: 'markdown',
        source: '# Title on disk, twice\nSome text here.\n'
      },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      },
      { id: 'd', source: 'y = 2\n' }
    ]);
    adapter.applyDiskChange(doc, disk, disk2);
    expect(
      [...doc.store.clients.keys()].filter(id => !known.has(id))
    ).toHaveLength(2);

    const cell = client
      .getArray<Y.Map<unknown>>('cells')
      .get(1)
      .get('source') as Y.Text;
    cell.insert(cell.length, 'Typed while the disk changed.\n');
    syncAll(client, doc);
    expect(dec(adapter.serialize(client))).toEqual(dec(adapter.serialize(doc)));
    expect(sources(doc)[1]).toBe(
      '# Title on disk, twice\nSome text here.\nTyped while the disk changed.\n'
    );
  });

  it('merges nbformat 4.4 notebooks (no ids) by alignment, and keeps writing them without ids', async () => {
    const base = adapter.serialize(
      room(await readFixture('v4.4-no-ids.ipynb'))
    );
    const doc = room(base);
    clientEdit(doc, 3, t => t.insert(t.length, ' edited in the room'));
    const nb = JSON.parse(dec(base));
    nb.cells[1].source = ['a = 2\n', 'a'];
    nb.cells.splice(2, 0, {
      cell_type: 'markdown',
      metadata: {},
      source: ['inserted on disk']
    });
    const disk = enc(JSON.stringify(nb));
    adapter.applyDiskChange(doc, base, disk);
    expect(sources(doc)).toEqual([
      '# Old notebook\nno ids',
      'a = 2\na',
      'inserted on disk',
      "print('x')",
      'raw edited in the room'
    ]);
    const written = dec(adapter.serialize(doc));
    expect(written).not.toContain('"id"');
    expect(ids(doc).every(id => typeof id === 'string')).toBe(true);
  });

  it('a YNotebook that was live during the merge sees the merged notebook', async () => {
    const doc = room(BASE);
    const before = Y.encodeStateAsUpdate(doc);
    const vector = Y.encodeStateVector(doc);
    const disk = notebook([
      { id: 'd', source: 'y = 2\n' },
      {
        id: 'a',
        source: 'import numpy as np\nx = 1\n',
        metadata: { tags: ['t'] }
      },
      { id: 'n', cell_type: 'markdown', source: 'new' },
      {
        id: 'c',
        source: 'print(x)\n',
        execution_count: 2,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '2\n' }]
      }
    ]);
    adapter.applyDiskChange(doc, BASE, disk);
    const delta = Y.encodeStateAsUpdate(doc, vector);
    const [live] = await ydoc([
      { op: 'read', kind: 'notebook', update: [before, delta] }
    ]);
    expect(live.json).toEqual(notebookFromJSON(JSON.parse(dec(disk))));
  });
});
