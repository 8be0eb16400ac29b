/**
 * burst: when a collaborative room has the notebook open, the outputs go through the room:
 * every connected client sees the cell's outputs and execution count change, as if a kernel
 * had run it there; the room saves the file itself.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { Delivery } from '../../src/burst/delivery';
import { adapterFor, createFileAgent } from '../../src/collab/document/index';
import type { IFileAgent } from '../../src/collab/document/types';
import { IRooms, startRooms, TestClient, waitFor } from '../collab/helpers';

let dir: string;
let rooms: IRooms;
let files: IFileAgent;
let client: TestClient | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'burst-room-'));
  const root = path.join(dir, 'root');
  await mkdir(root);
  await writeFile(
    path.join(root, 'shared.ipynb'),
    JSON.stringify({
      cells: [
        {
          cell_type: 'code',
          id: 'first',
          metadata: {},
          source: 'x = 1',
          outputs: [],
          execution_count: null
        },
        {
          cell_type: 'code',
          id: 'target',
          metadata: {},
          source: 'print(x)',
          outputs: [],
          execution_count: null
        }
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  );
  files = createFileAgent(root);
  rooms = await startRooms({
    stateDir: path.join(dir, 'state'),
    rootDir: root,
    adapterFor,
    fileAgent: createFileAgent(root),
    config: { idleUnloadSeconds: 60 }
  });
});

afterAll(async () => {
  client?.destroy();
  await rooms.close();
  await files.close();
  await rm(dir, { recursive: true, force: true });
});

it('applies the outputs through an open room, and the room saves them', async () => {
  client = new TestClient(rooms.url, 'json:notebook:shared.ipynb');
  await client.synced();
  const cells = client.doc.getArray<Y.Map<unknown>>('cells');
  await waitFor(() => cells.length === 2, 'cells loaded');
  const where = await new Delivery(
    path.join(dir, 'root'),
    files,
    rooms.module
  ).deliver({
    notebookPath: 'shared.ipynb',
    cellId: 'target',
    code: 'print(x)',
    outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
    executionCount: 2
  });
  expect(where).toBe('room');
  const target = cells.get(1);
  await waitFor(
    () => target.get('execution_count') === 2,
    'execution count seen by the client'
  );
  const outputs = (target.get('outputs') as Y.Array<Y.Map<unknown>>).toArray();
  expect(outputs).toHaveLength(1);
  expect(outputs[0].get('output_type')).toBe('stream');
  expect(String(outputs[0].get('text'))).toBe('1\n');
  expect(cells.get(0).get('execution_count')).toBeNull();
  // The room writes the file (its own save), with only that cell changed.
  await waitFor(async () => {
    const nb = JSON.parse(
      await readFile(path.join(dir, 'root', 'shared.ipynb'), 'utf8')
    );
    return nb.cells[1].execution_count === 2;
  }, 'the room saved the file');
  const nb = JSON.parse(
    await readFile(path.join(dir, 'root', 'shared.ipynb'), 'utf8')
  );
  expect(nb.cells[1].outputs).toEqual([
    { output_type: 'stream', name: 'stdout', text: ['1\n'] }
  ]);
  expect(nb.cells[0].outputs).toEqual([]);
});
