/**
 * kill -9: the real bundle runs as a child process (standalone mode, the root dir from
 * MLINFN_ROOT_DIR, a state dir from --config). One client types, a second watches; the
 * bridge is killed with SIGKILL mid-typing and started again. Every edit the watcher saw is
 * in the room and, after the save, on disk: nothing lost, nothing duplicated.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { YNotebook } from '@jupyter/ydoc';
import * as Y from 'yjs';
import {
  loadYdoc,
  rng,
  sleep,
  TEST_TOKEN,
  TestClient,
  waitFor
} from './helpers';

const ydoc = loadYdoc();
const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-kill9-'));
const bundle = path.join(dir, 'bridge.cjs');
const root = path.join(dir, 'root');
const tokenFile = path.join(dir, 'token');
const configFile = path.join(dir, 'config.json');
const NB = 'json:notebook:k.ipynb';

interface IChild {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function launch(port: number): IChild {
  const proc = spawn(
    process.execPath,
    [
      bundle,
      '--listen',
      `127.0.0.1:${port}`,
      '--token-file',
      tokenFile,
      '--config',
      configFile
    ],
    {
      env: { PATH: process.env.PATH, HOME: dir, MLINFN_ROOT_DIR: root },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let out = '';
  proc.stdout!.on('data', d => (out += d));
  proc.stderr!.on('data', d => (out += d));
  const exited = new Promise<number | null>(resolve =>
    proc.on('exit', code => resolve(code))
  );
  return { proc, out: () => out, exited };
}

async function listening(child: IChild): Promise<string> {
  return waitFor(
    () => {
      for (const line of child.out().split('\n')) {
        if (line.startsWith('{') && JSON.parse(line).msg === 'listening') {
          return JSON.parse(line).address as string;
        }
      }
      if (child.proc.exitCode !== null) {
        throw new Error(`the bridge exited:\n${child.out()}`);
      }
      return undefined;
    },
    'the bridge to listen',
    20000,
    25
  );
}

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [
    path.join(__dirname, '..', '..', 'scripts', 'bundle.mjs'),
    '--outfile',
    bundle
  ]);
  writeFileSync(tokenFile, TEST_TOKEN);
  writeFileSync(
    configFile,
    JSON.stringify({
      stateDir: path.join(dir, 'state'),
      logLevel: 'info',
      // No save before the kill: the log alone must hold every edit.
      collab: { saveDebounceMs: 60000, groupCommitMs: 5 }
    })
  );
  require('node:fs').mkdirSync(root);
  writeFileSync(
    path.join(root, 'k.ipynb'),
    JSON.stringify({
      cells: [
        {
          cell_type: 'code',
          execution_count: null,
          id: 'k0',
          metadata: {},
          outputs: [],
          source: ['start']
        }
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  );
}, 60000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sources = (nb: YNotebook) =>
  nb.cells.map(c => `${c.id}:${c.getSource()}`);

it('an edit a collaborator has seen survives kill -9: nothing lost, nothing duplicated', async () => {
  let child = launch(0);
  const address = await listening(child);
  const port = Number(address.split(':').pop());
  const url = `ws://${address}/collab`;
  const writer = new ydoc.YNotebook();
  const watcher = new ydoc.YNotebook();
  const a = new TestClient(url, NB, {
    doc: writer.ydoc,
    awareness: writer.awareness
  });
  const b = new TestClient(url, NB, {
    doc: watcher.ydoc,
    awareness: watcher.awareness
  });
  const clients = [a, b];
  let fresh: YNotebook | undefined;
  try {
    await a.synced();
    await b.synced();
    const random = rng(9);
    let typing = true;
    const typed = (async () => {
      for (let i = 0; typing; i++) {
        if (random.chance(0.3)) {
          writer.insertCell(random.int(writer.cells.length + 1), {
            cell_type: 'code',
            source: `cell ${i}`
          });
        } else {
          const cell = writer.getCell(random.int(writer.cells.length));
          cell.updateSource(0, 0, `${i} `);
        }
        await sleep(3);
      }
    })();
    // The watcher has seen plenty; the writer is still typing.
    await waitFor(
      () => watcher.cells.length > 10,
      'the watcher to see edits',
      10000
    );
    child.proc.kill('SIGKILL');
    await child.exited;
    typing = false;
    await typed;
    // What the watcher saw at the kill is all the room ever relayed.
    const seen = Y.encodeStateVector(watcher.ydoc);
    const seenSources = sources(watcher);
    a.provider.disconnect();
    b.provider.disconnect();

    child = launch(port);
    await listening(child);
    const freshNb = new ydoc.YNotebook();
    fresh = freshNb;
    const c = new TestClient(url, NB, {
      doc: freshNb.ydoc,
      awareness: freshNb.awareness
    });
    clients.push(c);
    await c.synced();
    // No loss: every insert the watcher saw is in the room (state vectors) ...
    const has = Y.decodeStateVector(Y.encodeStateVector(fresh.ydoc));
    for (const [client, clock] of Y.decodeStateVector(seen)) {
      expect([client, (has.get(client) ?? 0) >= clock]).toEqual([client, true]);
    }
    // ... and every cell the watcher saw is there with what it saw (edits only prepend).
    const now = new Map(fresh.cells.map(cell => [cell.id, cell.getSource()]));
    for (const entry of seenSources) {
      const colon = entry.indexOf(':');
      const [id, source] = [entry.slice(0, colon), entry.slice(colon + 1)];
      expect([id, now.get(id)?.endsWith(source)]).toEqual([id, true]);
    }
    // No duplication.
    const ids = fresh.cells.map(cell => cell.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(c.epochs[0].epoch).toBe(b.epochs[0].epoch);

    // The writer comes back with what never became durable: merged once.
    a.provider.connect();
    await a.synced('writer resync');
    await waitFor(
      () =>
        JSON.stringify(sources(freshNb)) === JSON.stringify(sources(writer)),
      'writer and fresh client converge'
    );
    const finalIds = fresh.cells.map(cell => cell.id);
    expect(new Set(finalIds).size).toBe(finalIds.length);

    // Clean shutdown saves; the file holds exactly the room's cells.
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const onDisk = JSON.parse(
      await readFile(path.join(root, 'k.ipynb'), 'utf8')
    );
    expect(
      onDisk.cells.map(
        (cell: { id: string; source: string | string[] }) =>
          `${cell.id}:${Array.isArray(cell.source) ? cell.source.join('') : cell.source}`
      )
    ).toEqual(sources(fresh));
  } finally {
    for (const client of clients) {
      client.provider.destroy();
    }
    writer.dispose();
    watcher.dispose();
    fresh?.dispose();
    if (child.proc.exitCode === null) {
      child.proc.kill('SIGKILL');
    }
  }
}, 60000);
