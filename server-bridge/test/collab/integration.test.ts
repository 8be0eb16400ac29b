/**
 * The room server inside a real bridge (started in-process on 127.0.0.1:0), with the real
 * document layer (notebook and text adapters, the file agent child process) and real
 * clients: y-websocket providers holding @jupyter/ydoc YNotebook / YFile documents.
 */
import { ownerIdentity } from '../../src/auth/identity';
import {
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile
} from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { YNotebook } from '@jupyter/ydoc';
import type { AuthMode } from '../../src/auth/authenticate';
import { resolveConfig } from '../../src/config';
import type { CollabConfig } from '../../src/schema-types';
import { createBridge, IBridge } from '../../src/server';
import {
  captureLogger,
  payload,
  proxyMode,
  request,
  signTicket
} from '../helpers';
import { loadYdoc, sleep, TEST_TOKEN, TestClient, waitFor } from './helpers';

const ydoc = loadYdoc();
const NB = 'json:notebook:nb.ipynb';
const FAST: CollabConfig = {
  saveDebounceMs: 30,
  diskCheckSeconds: 0.2,
  groupCommitMs: 2
};

const notebook = {
  cells: [
    { cell_type: 'markdown', id: 'm1', metadata: {}, source: ['# Title'] },
    {
      cell_type: 'code',
      execution_count: null,
      id: 'c1',
      metadata: {},
      outputs: [],
      source: ['x = 1']
    },
    {
      cell_type: 'code',
      execution_count: null,
      id: 'c2',
      metadata: {},
      outputs: [],
      source: ['print(x)']
    }
  ],
  metadata: {
    kernelspec: {
      display_name: 'Python 3',
      language: 'python',
      name: 'python3'
    }
  },
  nbformat: 4,
  nbformat_minor: 5
};

let root: string;
let state: string;
let running:
  { bridge: IBridge; url: string; base: string; lines: string[] } | undefined;
const open: { client: TestClient; nb?: YNotebook }[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'collab-int-root-'));
  state = await mkdtemp(path.join(os.tmpdir(), 'collab-int-state-'));
  await writeFile(
    path.join(root, 'nb.ipynb'),
    JSON.stringify(notebook, null, 1) + '\n'
  );
});

afterEach(async () => {
  for (const { client, nb } of open.splice(0)) {
    client.provider.destroy();
    nb ? nb.dispose() : client.provider.awareness.destroy();
  }
  await running?.bridge.close();
  running = undefined;
  await rm(root, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

async function start(
  config: CollabConfig = {},
  options: { port?: number; mode?: AuthMode } = {}
) {
  const { logger, lines } = captureLogger('info');
  const bridge = createBridge({
    mode: options.mode ?? { kind: 'standalone', token: TEST_TOKEN },
    config: resolveConfig(
      { stateDir: state, collab: { ...FAST, ...config } },
      {}
    ),
    listen: { host: '127.0.0.1', port: options.port ?? 0 },
    logger,
    rootDir: root
  });
  const address = await bridge.start();
  running = {
    bridge,
    url: `ws://${address}/collab`,
    base: `http://${address}`,
    lines
  };
  return running;
}

async function restart(config: CollabConfig = {}) {
  const port = Number(new URL(running!.url).port);
  await running!.bridge.close();
  running = undefined;
  return start(config, { port });
}

/** A YNotebook synced through y-websocket, as the front end opens one. */
function openNotebook(params: Record<string, string> = {}, room = NB) {
  const nb = new ydoc.YNotebook();
  const client = new TestClient(running!.url, room, {
    doc: nb.ydoc,
    awareness: nb.awareness,
    params
  });
  open.push({ client, nb });
  return { nb, client };
}

const ids = (nb: YNotebook) => nb.cells.map(cell => cell.id);
const sources = (nb: YNotebook) => nb.cells.map(cell => cell.getSource());
const unique = (list: string[]) => new Set(list).size === list.length;
const disk = async (name = 'nb.ipynb') =>
  JSON.parse(await readFile(path.join(root, name), 'utf8'));
const diskSources = async () =>
  (await disk()).cells.map((c: { source: string | string[] }) =>
    Array.isArray(c.source) ? c.source.join('') : c.source
  );
const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);

describe('notebooks in a real bridge', () => {
  it('two YNotebook clients share structure, sources and awareness; the file is written as nbformat', async () => {
    await start();
    const a = openNotebook();
    const b = openNotebook();
    await a.client.synced();
    await b.client.synced();
    expect(ids(a.nb)).toEqual(['m1', 'c1', 'c2']);
    a.nb.insertCell(3, { cell_type: 'code', source: 'y = 2' });
    a.nb.getCell(1).updateSource(0, 0, '# first\n');
    a.nb.moveCell(2, 0);
    await waitFor(() => same(sources(b.nb), sources(a.nb)), 'b follows a');
    expect(unique(ids(b.nb))).toBe(true);
    expect(b.nb.cells.length).toBe(4);
    b.nb.awareness.setLocalStateField('user', { name: 'Bob', initials: 'BO' });
    await waitFor(
      () =>
        // The name comes from the verified identity (standalone: the owner), the rest is b's.
        a.nb.awareness.getStates().get(b.nb.ydoc.clientID)?.user?.name ===
        ownerIdentity().name,
      'awareness'
    );
    await waitFor(
      async () => same(await diskSources(), sources(a.nb)),
      'the file'
    );
    const text = await readFile(path.join(root, 'nb.ipynb'), 'utf8');
    // nbformat.writes: indent 1, sorted keys, trailing newline.
    expect(text.startsWith('{\n "cells": [\n  {\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    const metrics = await request(running!.base, 'GET', '/metrics', {
      authorization: `Bearer ${TEST_TOKEN}`
    });
    expect(metrics.text).toMatch(/mlinfn_bridge_collab_connections 2/);
    expect(metrics.text).toMatch(
      /mlinfn_bridge_collab_log_commit_seconds_bucket/
    );
  });

  it('when the last cell goes, the empty cell every open copy adds is kept once', async () => {
    await start();
    const a = openNotebook();
    const b = openNotebook();
    await a.client.synced();
    await b.client.synced();
    a.nb.deleteCellRange(0, a.nb.cells.length);
    await waitFor(() => b.nb.cells.length === 0, 'b sees the notebook empty');
    // What JupyterLab does in each copy that sees the last cell go: add an empty cell. b's
    // comes before a's reached it.
    b.client.provider.disconnect();
    a.nb.insertCell(0, { cell_type: 'code', source: '' });
    b.nb.insertCell(0, { cell_type: 'code', source: '' });
    b.client.provider.connect();
    await b.client.synced('resync');
    await waitFor(
      () =>
        a.nb.cells.length === 1 &&
        b.nb.cells.length === 1 &&
        same(ids(a.nb), ids(b.nb)),
      'one and the same cell on both sides'
    );
    await waitFor(async () => (await disk()).cells.length === 1, 'the file');
    // One collaborator adding empty cells on purpose keeps them all.
    a.nb.insertCell(1, { cell_type: 'code', source: '' });
    a.nb.insertCell(2, { cell_type: 'markdown', source: '' });
    await waitFor(() => b.nb.cells.length === 3, 'b sees three cells');
    await sleep(200);
    expect(a.nb.cells.length).toBe(3);
  });

  it('opening and closing a notebook without edits never rewrites the file', async () => {
    const original = await readFile(path.join(root, 'nb.ipynb'));
    await start({ idleUnloadSeconds: 0.1 });
    const a = openNotebook();
    await a.client.synced();
    a.client.provider.destroy();
    await waitFor(() => running!.bridge.collab.roomCount === 0, 'unload');
    expect(
      Buffer.compare(await readFile(path.join(root, 'nb.ipynb')), original)
    ).toBe(0);
  });

  it("a read-only user's notebook edits are dropped (proxy mode, ticket permissions)", async () => {
    await start({}, { mode: proxyMode() });
    const ticketFor = (contents: ('read' | 'write')[], sub: string) =>
      signTicket(payload({ sub, perms: { contents } }));
    const writer = openNotebook({
      ticket: ticketFor(['read', 'write'], 'alice')
    });
    const reader = openNotebook({ ticket: ticketFor(['read'], 'bob') });
    await writer.client.synced();
    await reader.client.synced();
    reader.nb.insertCell(0, { cell_type: 'markdown', source: 'vandal' });
    reader.nb.deleteCell(3);
    writer.nb.getCell(1).updateSource(0, 0, 'ok_');
    await waitFor(
      () => reader.nb.getCell(2).getSource().startsWith('ok_'),
      'writer edit'
    );
    await waitFor(() => writer.client.allDurable, 'durable');
    await sleep(150);
    expect(ids(writer.nb)).toEqual(['m1', 'c1', 'c2']);
    await waitFor(async () => (await diskSources())[1] === 'ok_x = 1', 'saved');
    expect((await disk()).cells.length).toBe(3);
    expect(
      reader.client.statuses.filter(s => s.notice?.kind === 'updates-dropped')
        .length
    ).toBe(1);
  });

  it('no duplicated or stale cells after restarts and reconnects, with a lost log, or a file changed while unloaded', async () => {
    await start();
    const a = openNotebook();
    const b = openNotebook();
    await a.client.synced();
    await b.client.synced();
    a.nb.insertCell(3, { cell_type: 'code', source: 'z = 3' });
    await waitFor(() => b.nb.cells.length === 4, 'relay');
    await waitFor(() => a.client.allDurable, 'durable');
    // Restart: both reconnect and merge the same history, once.
    await restart();
    a.nb.getCell(0).updateSource(0, 0, 'offline ');
    await a.client.synced('resync');
    await b.client.synced('resync');
    await waitFor(
      () => b.nb.getCell(0).getSource() === 'offline # Title',
      'offline edit'
    );
    expect(ids(b.nb).length).toBe(4);
    expect(unique(ids(b.nb))).toBe(true);
    // Reconnect only.
    b.client.provider.disconnect();
    b.nb.insertCell(0, { cell_type: 'raw', source: 'raw' });
    b.client.provider.connect();
    await waitFor(() => a.nb.cells.length === 5, 'reconnect merge');
    await waitFor(() => a.client.allDurable && b.client.allDurable, 'durable');
    // A fresh client after one more restart: the latest cells, not the file's old ones.
    await restart();
    const c = openNotebook();
    await c.client.synced();
    expect(sources(c.nb)).toEqual(sources(a.nb));
    await waitFor(
      async () => same(await diskSources(), sources(a.nb)),
      'saved'
    );
    // The file changes on disk while no room is open: merged once, never re-seeded.
    const port = Number(new URL(running!.url).port);
    await running!.bridge.close();
    running = undefined;
    const nb = await disk();
    nb.cells.push({
      cell_type: 'markdown',
      id: 'disk1',
      metadata: {},
      source: ['from disk']
    });
    await writeFile(
      path.join(root, 'nb.ipynb'),
      JSON.stringify(nb, null, 1) + '\n'
    );
    await start({}, { port });
    for (const x of [a, b, c]) {
      await x.client.synced('resync after disk change');
    }
    await waitFor(() => c.nb.cells.length === 6, 'disk cell merged');
    await sleep(100);
    for (const x of [a, b, c]) {
      expect(ids(x.nb).filter(id => id === 'disk1').length).toBe(1);
      expect(unique(ids(x.nb))).toBe(true);
      expect(sources(x.nb)).toEqual(sources(c.nb));
    }
    // The log is lost: a new epoch; every client holding the old one reloads.
    await running!.bridge.close();
    running = undefined;
    const rooms = path.join(state, 'collab', 'rooms');
    for (const dir of await readdir(rooms)) {
      await rm(path.join(rooms, dir, 'log'));
    }
    await start({}, { port });
    for (const x of [a, b, c]) {
      await waitFor(() => x.client.closed, 'reload instruction');
      expect(x.client.closed!.code).toBe(4409);
      expect(x.client.epochs.at(-1)!.reload).toBe(true);
    }
    const fresh = openNotebook({ epoch: a.client.epochs.at(-1)!.epoch });
    await fresh.client.synced();
    expect(sources(fresh.nb)).toEqual(sources(c.nb));
    expect(running!.bridge.collab.room(NB)!.doc.getArray('cells').length).toBe(
      6
    );
  });

  it('an out-of-band edit on disk while the room is open merges with room edits', async () => {
    await start();
    const a = openNotebook();
    await a.client.synced();
    await waitFor(
      () => running!.bridge.collab.room(NB)?.unsavedChanges === false,
      'base'
    );
    a.nb.insertCell(3, { cell_type: 'markdown', source: 'room cell' });
    const nb = JSON.parse(await readFile(path.join(root, 'nb.ipynb'), 'utf8'));
    nb.cells[1].source = ['x = 100'];
    await writeFile(
      path.join(root, 'nb.ipynb'),
      JSON.stringify(nb, null, 1) + '\n'
    );
    await waitFor(
      () =>
        a.nb.getCell(1).getSource() === 'x = 100' && a.nb.cells.length === 4,
      'both edits at the client'
    );
    await waitFor(
      async () =>
        same(await diskSources(), [
          '# Title',
          'x = 100',
          'print(x)',
          'room cell'
        ]),
      'both edits on disk'
    );
    expect(a.client.statuses.some(s => s.notice?.kind === 'disk-merged')).toBe(
      true
    );
  });

  it('a change on disk that cannot be merged keeps both versions', async () => {
    await start();
    const a = openNotebook();
    await a.client.synced();
    a.nb.getCell(1).updateSource(0, 0, 'kept_');
    await waitFor(
      async () => (await diskSources())[1] === 'kept_x = 1',
      'saved'
    );
    await writeFile(path.join(root, 'nb.ipynb'), 'this is not JSON');
    const status = await waitFor(
      () => a.client.statuses.find(s => s.notice?.kind === 'conflict'),
      'conflict notice'
    );
    const copy = status.notice!.copyPath!;
    expect(await readFile(path.join(root, copy), 'utf8')).toBe(
      'this is not JSON'
    );
    await waitFor(async () => {
      try {
        return (await diskSources())[1] === 'kept_x = 1';
      } catch {
        return false;
      }
    }, 'the room version back at the path');
    expect(a.nb.getCell(1).getSource()).toBe('kept_x = 1');
  });

  it('content is never reset while a cell streams outputs and saves happen', async () => {
    await start({ saveDebounceMs: 5, diskCheckSeconds: 0.05 });
    const a = openNotebook();
    const b = openNotebook();
    await a.client.synced();
    await b.client.synced();
    const cell = a.nb.getCell(1) as any;
    cell.setOutputs([{ output_type: 'stream', name: 'stdout', text: '' }]);
    cell.execution_count = 1;
    let lastLength = 0;
    let reset = false;
    b.nb.ydoc.on('update', () => {
      const bcell = b.nb.cells[1] as any;
      const outputs = bcell?.getOutputs?.() ?? [];
      const length = outputs[0]?.text?.length ?? 0;
      reset ||=
        b.nb.cells.length !== 3 ||
        bcell.getSource() !== 'x = 1' ||
        length < lastLength;
      lastLength = Math.max(lastLength, length);
    });
    for (let i = 0; i < 80; i++) {
      cell.appendStreamOutput(0, `line ${i}\n`);
      if (i % 15 === 0) {
        void running!.bridge.collab.onContentsEvent({
          action: 'save',
          path: 'nb.ipynb'
        });
      }
      await sleep(4);
    }
    const expected = Array.from({ length: 80 }, (_, i) => `line ${i}\n`).join(
      ''
    );
    await waitFor(
      () => (b.nb.cells[1] as any).getOutputs()[0]?.text === expected,
      'outputs at b'
    );
    await waitFor(async () => {
      const out = (await disk()).cells[1].outputs[0];
      return (
        out &&
        (Array.isArray(out.text) ? out.text.join('') : out.text) === expected
      );
    }, 'outputs on disk');
    expect(reset).toBe(false);
    expect(b.nb.cells.length).toBe(3);
  });
});

describe('contents events from the Jupyter server', () => {
  it('a save event merges the change at once; a rename event moves the room', async () => {
    // A stand-in for the server extension's GET mlinfn/bridge/events stream.
    const streams: http.ServerResponse[] = [];
    const jupyter = http.createServer((req, res) => {
      if (req.url === '/base/mlinfn/bridge/events') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"action":"ready"}\n');
        streams.push(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kernels":[]}');
    });
    await new Promise<void>(resolve => jupyter.listen(0, '127.0.0.1', resolve));
    const port = (jupyter.address() as AddressInfo).port;
    try {
      const { logger } = captureLogger('warn');
      const bridge = createBridge({
        mode: proxyMode(),
        config: resolveConfig(
          { stateDir: state, collab: { ...FAST, diskCheckSeconds: 3600 } },
          {}
        ),
        listen: { host: '127.0.0.1', port: 0 },
        logger,
        rootDir: root,
        serverUrl: `http://127.0.0.1:${port}/base/`
      });
      const address = await bridge.start();
      running = {
        bridge,
        url: `ws://${address}/collab`,
        base: `http://${address}`,
        lines: []
      };
      await waitFor(() => streams.length > 0, 'the events stream');
      const a = openNotebook({ ticket: signTicket(payload()) });
      await a.client.synced();
      await waitFor(
        () => bridge.collab.room(NB)?.unsavedChanges === false,
        'base'
      );
      const nb = JSON.parse(
        await readFile(path.join(root, 'nb.ipynb'), 'utf8')
      );
      nb.cells[2].source = ['print(x + 1)'];
      await writeFile(
        path.join(root, 'nb.ipynb'),
        JSON.stringify(nb, null, 1) + '\n'
      );
      streams[0].write('{"action":"save","path":"nb.ipynb"}\n');
      await waitFor(
        () => a.nb.getCell(2).getSource() === 'print(x + 1)',
        'merged on the event'
      );
      await rename(path.join(root, 'nb.ipynb'), path.join(root, 'moved.ipynb'));
      streams[0].write(
        '{"action":"rename","path":"nb.ipynb","newPath":"moved.ipynb"}\n'
      );
      const status = await waitFor(
        () => a.client.statuses.find(s => s.notice?.kind === 'renamed'),
        'renamed'
      );
      expect(status.notice!.newRoom).toBe('json:notebook:moved.ipynb');
      a.nb.getCell(0).updateSource(0, 0, 'after ');
      await waitFor(async () => {
        const moved = JSON.parse(
          await readFile(path.join(root, 'moved.ipynb'), 'utf8')
        );
        return moved.cells[0].source.join('') === 'after # Title';
      }, 'saved under the new name');
    } finally {
      for (const res of streams) {
        res.end();
      }
      jupyter.closeAllConnections();
      await new Promise<void>(resolve => jupyter.close(() => resolve()));
    }
  });
});

describe('text files in a real bridge', () => {
  it('keeps CRLF line endings; a file that is not UTF-8 opens read-only and is never written', async () => {
    await writeFile(path.join(root, 'w.txt'), 'one\r\ntwo\r\n');
    await start();
    const file = new ydoc.YFile();
    const a = new TestClient(running!.url, 'text:file:w.txt', {
      doc: file.ydoc,
      awareness: file.awareness
    });
    open.push({ client: a });
    await a.synced();
    expect(file.getSource()).toBe('one\ntwo\n');
    file.updateSource(
      file.getSource().length,
      file.getSource().length,
      'three\n'
    );
    await waitFor(
      async () =>
        (await readFile(path.join(root, 'w.txt'), 'utf8')) ===
        'one\r\ntwo\r\nthree\r\n',
      'CRLF kept'
    );
    const latin = Buffer.from('caf\xe9\n', 'latin1');
    await writeFile(path.join(root, 'l.txt'), latin);
    const l = new TestClient(running!.url, 'text:file:l.txt');
    open.push({ client: l });
    await l.synced();
    expect(l.statuses[0]).toMatchObject({
      readOnly: true,
      documentReadOnly: true
    });
    l.doc.getText('source').insert(0, 'x');
    await sleep(100);
    await running!.bridge.close();
    running = undefined;
    expect(
      Buffer.compare(await readFile(path.join(root, 'l.txt')), latin)
    ).toBe(0);
  });
});
