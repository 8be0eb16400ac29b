/**
 * burst: the log pushed on `burst/<job id>`: a new watcher starts at the log's last 256 KiB
 * (on a character boundary), gets each new piece with its byte offset, then `complete`.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogTails } from '../../src/burst/log-tails';
import type { BurstLogMessage } from '../../src/schema-types';
import type { Hub } from '../../src/ws/hub';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'burst-tails-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('tails a long log from its last 256 KiB, then follows it to the end', async () => {
  const file = path.join(dir, 'log.txt');
  const line = 'é'.repeat(99) + '\n'; // 199 bytes: offsets fall inside characters
  await writeFile(file, line.repeat(2000));
  const size = Buffer.byteLength(line) * 2000;
  const pushed: BurstLogMessage[] = [];
  const hub = {
    publish: (_c: string, m: BurstLogMessage) => pushed.push(m)
  } as unknown as Hub;
  let finished = false;
  const tails = new LogTails({
    hub,
    channel: 'burst',
    logPath: () => file,
    finished: () => finished,
    intervalMs: 20
  });
  tails.start();
  try {
    tails.watch('abcdef0123456789');
    const waitFor = async (check: () => boolean) => {
      for (let i = 0; i < 500 && !check(); i++) {
        await new Promise(r => setTimeout(r, 10));
      }
      expect(check()).toBe(true);
    };
    await waitFor(() => pushed.length > 0);
    const first = pushed[0];
    expect(first.offset).toBeGreaterThanOrEqual(size - 256 * 1024);
    expect(first.offset).toBeLessThan(size - 256 * 1024 + 4);
    expect(first.text.includes('\uFFFD')).toBe(false);
    expect(first.offset + Buffer.byteLength(first.text)).toBe(size);
    // A later subscriber's snapshot: the kept text, where it starts.
    const snap = tails.snapshot('abcdef0123456789');
    expect(snap.offset + Buffer.byteLength(snap.text)).toBe(size);
    await appendFile(file, 'the end\n');
    await waitFor(() => pushed.some(m => m.text === 'the end\n'));
    expect(pushed.find(m => m.text === 'the end\n')!.offset).toBe(size);
    finished = true;
    await waitFor(() => pushed.some(m => m.complete));
    expect(pushed[pushed.length - 1]).toEqual({
      type: 'log',
      id: 'abcdef0123456789',
      offset: size + 8,
      text: '',
      complete: true
    });
  } finally {
    tails.stop();
  }
});
