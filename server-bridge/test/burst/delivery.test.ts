/**
 * burst: outputs into a closed notebook file (only that cell changes, byte-exact elsewhere),
 * into a notebook saved without cell ids (ids on first use), and the log reader's UTF-8 cuts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Delivery, DeliveryError } from '../../src/burst/delivery';
import { completeUtf8Length, readLog } from '../../src/burst/log';
import { cleanOutputs, outcome } from '../../src/burst/results';
import { createFileAgent } from '../../src/collab/document/file-agent';
import {
  parseNotebook,
  writeNotebook
} from '../../src/collab/document/nbformat';
import type { IFileAgent } from '../../src/collab/document/types';
import type { BurstOutput } from '../../src/schema-types';

let root: string;
let files: IFileAgent;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'burst-deliver-'));
  files = createFileAgent(root);
});
afterAll(async () => {
  await files.close();
  await rm(root, { recursive: true, force: true });
});

const OUTPUTS: BurstOutput[] = [
  { output_type: 'stream', name: 'stdout', text: 'hello\nworld\n' },
  {
    output_type: 'display_data',
    data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': '<Figure>' },
    metadata: {}
  },
  {
    output_type: 'error',
    ename: 'ZeroDivisionError',
    evalue: 'division by zero',
    traceback: ['tb']
  }
];

function notebook(minor: number, ids: boolean): string {
  const cell = (id: string, source: string) => ({
    cell_type: 'code',
    ...(ids ? { id } : {}),
    metadata: { tags: ['x'] },
    source: source.split(/(?<=\n)/),
    outputs: [],
    execution_count: null
  });
  return (
    JSON.stringify(
      {
        cells: [
          cell('one', 'a = 1\n'),
          cell('two', 'print(a)'),
          {
            cell_type: 'markdown',
            ...(ids ? { id: 'md' } : {}),
            metadata: {},
            source: ['# t']
          }
        ],
        metadata: {
          kernelspec: {
            name: 'python3',
            display_name: 'Python 3',
            language: 'python'
          }
        },
        nbformat: 4,
        nbformat_minor: minor
      },
      null,
      1
    ) + '\n'
  );
}

describe('delivery into a closed file', () => {
  it('changes only the cell with that id', async () => {
    const before = notebook(5, true);
    await writeFile(path.join(root, 'a.ipynb'), before);
    const where = await new Delivery(root, files).deliver({
      notebookPath: 'a.ipynb',
      cellId: 'two',
      code: 'print(a)',
      outputs: OUTPUTS,
      executionCount: 2
    });
    expect(where).toBe('file');
    const text = await readFile(path.join(root, 'a.ipynb'), 'utf8');
    const nb = JSON.parse(text);
    expect(nb.cells[1].execution_count).toBe(2);
    expect(nb.cells[1].outputs.map((o: BurstOutput) => o.output_type)).toEqual([
      'stream',
      'display_data',
      'error'
    ]);
    expect(nb.cells[1].outputs[0].text).toEqual(['hello\n', 'world\n']);
    // Everything else as it was: put the old outputs back and compare bytes.
    const parsed = parseNotebook(Buffer.from(text));
    parsed.cells[1].outputs = [];
    parsed.cells[1].execution_count = null;
    expect(Buffer.from(writeNotebook(parsed)).toString()).toBe(
      Buffer.from(writeNotebook(parseNotebook(Buffer.from(before)))).toString()
    );
  });

  it('gives a notebook without ids ids on first use, the cell keeping the lab id', async () => {
    await writeFile(path.join(root, 'old.ipynb'), notebook(4, false));
    await new Delivery(root, files).deliver({
      notebookPath: 'old.ipynb',
      cellId: 'lab-id-7',
      cellIndex: 1,
      code: 'print(a)',
      outputs: OUTPUTS.slice(0, 1),
      executionCount: 1
    });
    const nb = JSON.parse(await readFile(path.join(root, 'old.ipynb'), 'utf8'));
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.cells[1].id).toBe('lab-id-7');
    expect(new Set(nb.cells.map((c: { id: string }) => c.id)).size).toBe(3);
    expect(nb.cells[1].outputs).toHaveLength(1);
    expect(nb.cells[0].outputs).toEqual([]);
  });

  it('says why when the cell or the file is gone', async () => {
    await writeFile(path.join(root, 'b.ipynb'), notebook(5, true));
    const d = new Delivery(root, files);
    const target = {
      notebookPath: 'b.ipynb',
      cellId: 'gone',
      code: '',
      outputs: OUTPUTS,
      executionCount: 1
    };
    await expect(d.deliver(target)).rejects.toThrow(DeliveryError);
    await expect(d.deliver(target)).rejects.toThrow(/no longer in b.ipynb/);
    await expect(
      d.deliver({ ...target, notebookPath: 'missing.ipynb' })
    ).rejects.toThrow(/no longer exists/);
  });
});

describe('results', () => {
  it('maps runner statuses to job states', () => {
    expect(outcome({ exitCode: 0 }, { version: 1, status: 'ok' })).toEqual({
      state: 'completed',
      hasOutputs: true
    });
    expect(
      outcome(
        { exitCode: 0 },
        {
          version: 1,
          status: 'error',
          error: 'ZeroDivisionError: division by zero'
        }
      )
    ).toEqual({
      state: 'failed',
      hasOutputs: true,
      error: 'ZeroDivisionError: division by zero'
    });
    expect(outcome({ cancelled: true }, undefined).state).toBe('cancelled');
    expect(outcome({ exitCode: 137 }, undefined).error).toMatch(
      /without a result \(exit code 137\)/
    );
    expect(
      outcome(
        {},
        {
          version: 1,
          status: 'runner-error',
          error: 'the runner stopped before the cell ran'
        }
      ).error
    ).toMatch(/while the bridge was away/);
  });

  it('caps outputs and drops transient', () => {
    const big: BurstOutput[] = [
      { output_type: 'stream', name: 'stdout', text: 'x'.repeat(5000) }
    ];
    expect(cleanOutputs(big, 1024)[0]).toMatchObject({
      output_type: 'error',
      ename: 'OutputTooLarge'
    });
    const withTransient = [
      {
        output_type: 'display_data',
        data: {},
        metadata: {},
        transient: { display_id: 'd' }
      }
    ] as BurstOutput[];
    expect(cleanOutputs(withTransient, 1e6)[0]).not.toHaveProperty('transient');
  });
});

describe('log reading', () => {
  it('never cuts inside a character', async () => {
    const text = 'aé€😀';
    const bytes = Buffer.from(text);
    for (let n = 0; n <= bytes.length; n++) {
      const len = completeUtf8Length(bytes.subarray(0, n));
      expect(() =>
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, len))
      ).not.toThrow();
      expect(n - len).toBeLessThan(4);
    }
    const file = path.join(root, 'log.txt');
    await writeFile(file, text);
    let offset = 0;
    let out = '';
    for (let i = 0; i < 20 && offset < bytes.length; i++) {
      const piece = await readLog(file, offset, 3);
      out += piece.text;
      offset = piece.next;
    }
    expect(out).toBe(text);
    expect(await readLog(path.join(root, 'none'), 0, 10)).toEqual({
      text: '',
      next: 0,
      size: 0
    });
  });
});
