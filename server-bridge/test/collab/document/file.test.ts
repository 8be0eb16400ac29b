/**
 * Text files: byte-exact round trips (line endings, BOM), non-UTF-8 read-only, the YFile
 * layout, and merging a change on disk.
 */
import * as Y from 'yjs';
import {
  adapterFor,
  DocumentError,
  SERVER_EDIT_ORIGIN
} from '../../../src/collab/document';
import { mergeText, textDiff } from '../../../src/collab/document/merge-text';
import { cloneDoc, dec, syncAll, ydoc } from './helpers';

const adapter = adapterFor('file');

function room(content: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  adapter.seed(doc, content);
  return doc;
}

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Buffer.concat(
    parts.map(p =>
      typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)
    )
  );

const SAMPLES: Record<string, Uint8Array> = {
  empty: bytes(''),
  LF: bytes('line 1\nline 2\n'),
  'LF, no final newline': bytes('line 1\nline 2'),
  CRLF: bytes('line 1\r\nline 2\r\n'),
  'CRLF, no final newline': bytes('a\r\nb'),
  mixed: bytes('unix\nwindows\r\nunix again\n'),
  'CR only': bytes('old\rmac\r'),
  'CR CR LF': bytes('odd\r\r\nend\r\n'),
  'BOM + CRLF': bytes([0xef, 0xbb, 0xbf], 'a,b\r\n1,2\r\n'),
  'BOM only': bytes([0xef, 0xbb, 0xbf]),
  'two BOMs': bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], 'x'),
  unicode: bytes('Grüße 🌍 数据 e\u0301 👨‍👩‍👧\n\u2028\u0000\u0001\n')
};

describe('text files round-trip byte for byte', () => {
  it.each(Object.keys(SAMPLES))('%s', name => {
    const doc = room(SAMPLES[name]);
    expect(
      Buffer.from(adapter.serialize(doc)).equals(Buffer.from(SAMPLES[name]))
    ).toBe(true);
  });

  it('holds a CRLF file with LF in the shared text (the editor works in LF) and writes CRLF back', () => {
    const doc = room(SAMPLES['BOM + CRLF']);
    expect(doc.getText('source').toString()).toBe('a,b\n1,2\n');
    // A line typed in the editor is written with the file's CRLF.
    const client = cloneDoc(doc);
    client.getText('source').insert(8, '3,4\n');
    syncAll(client, doc);
    expect(Buffer.from(adapter.serialize(doc))).toEqual(
      Buffer.from(bytes([0xef, 0xbb, 0xbf], 'a,b\r\n1,2\r\n3,4\r\n'))
    );
  });

  it('keeps a mixed file exactly as it is', () => {
    const doc = room(SAMPLES.mixed);
    expect(doc.getText('source').toString()).toBe(
      'unix\nwindows\r\nunix again\n'
    );
  });

  it('seeds in one transaction under a fresh client id, with the server-edit origin', () => {
    const doc = new Y.Doc();
    const origins: unknown[] = [];
    doc.on('update', (_u: Uint8Array, o: unknown) => origins.push(o));
    adapter.seed(doc, SAMPLES.LF);
    expect(origins).toEqual([SERVER_EDIT_ORIGIN]);
    expect([...doc.store.clients.keys()]).not.toContain(doc.clientID);
  });

  it('opens a non-UTF-8 file read-only, with a message, leaving the document empty', () => {
    for (const content of [
      bytes([0x63, 0x61, 0x66, 0xe9, 0x0a]), // "café" in Latin-1
      bytes([0xff, 0xfe, 0x41, 0x00]), // UTF-16LE with BOM
      bytes('ok', [0xed, 0xa0, 0x80]) // an encoded surrogate
    ]) {
      const doc = new Y.Doc();
      let error: unknown;
      try {
        adapter.seed(doc, content);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DocumentError);
      expect((error as DocumentError).readOnly).toBe(true);
      expect((error as DocumentError).message).toMatch(/not UTF-8.*read-only/);
      expect(doc.getText('source').length).toBe(0);
    }
  });

  it('refuses to seed a document that is not empty', () => {
    const doc = room(SAMPLES.LF);
    expect(() => adapter.seed(doc, SAMPLES.LF)).toThrow(/empty document/);
  });

  it('is what YFile reads, and what YFile edits serialize to', async () => {
    const doc = room(SAMPLES.unicode);
    const [read, edited] = await ydoc([
      { op: 'read', kind: 'file', update: Y.encodeStateAsUpdate(doc) },
      {
        op: 'edit',
        kind: 'file',
        update: Y.encodeStateAsUpdate(room(SAMPLES.CRLF)),
        edits: [{ op: 'updateFileSource', start: 7, end: 13, value: 'two' }]
      }
    ]);
    expect(read.json).toBe(dec(SAMPLES.unicode));
    const after = new Y.Doc();
    Y.applyUpdate(after, edited.update);
    expect(dec(adapter.serialize(after))).toBe('line 1\r\ntwo\r\n');
  });
});

describe('merging a change on disk into a text room', () => {
  const BASE = bytes('alpha\nbeta\ngamma\ndelta\n');

  it('keeps a room edit and a disk edit on different lines', () => {
    const doc = room(BASE);
    const client = cloneDoc(doc);
    client.getText('source').insert(5, ' (room)');
    syncAll(client, doc);
    const disk = bytes('alpha\nbeta\ngamma (disk)\ndelta\n');
    expect(adapter.applyDiskChange(doc, BASE, disk)).toBe('merged');
    expect(dec(adapter.serialize(doc))).toBe(
      'alpha (room)\nbeta\ngamma (disk)\ndelta\n'
    );
  });

  it('keeps both insertions on the same line, at the same place', () => {
    const doc = room(BASE);
    const client = cloneDoc(doc);
    client.getText('source').insert('alpha\nbeta'.length, '-ROOM');
    syncAll(client, doc);
    adapter.applyDiskChange(
      doc,
      BASE,
      bytes('alpha\nbeta-DISK\ngamma\ndelta\n')
    );
    expect(dec(adapter.serialize(doc))).toBe(
      'alpha\nbeta-ROOM-DISK\ngamma\ndelta\n'
    );
  });

  it('merges with an edit in flight from a client that had not seen the disk change', () => {
    const doc = room(BASE);
    const client = cloneDoc(doc);
    adapter.applyDiskChange(
      doc,
      BASE,
      bytes('alpha\nbeta\ngamma\ndelta\nepsilon\n')
    );
    client.getText('source').insert(0, '# title\n');
    syncAll(client, doc);
    expect(dec(adapter.serialize(client))).toBe(
      '# title\nalpha\nbeta\ngamma\ndelta\nepsilon\n'
    );
    expect(dec(adapter.serialize(doc))).toBe(dec(adapter.serialize(client)));
  });

  it('keeps CRLF files CRLF through a merge, and follows the disk when it changes style', () => {
    const base = bytes('a\r\nb\r\nc\r\n');
    const doc = room(base);
    const client = cloneDoc(doc);
    client.getText('source').insert(1, '1');
    syncAll(client, doc);
    adapter.applyDiskChange(doc, base, bytes('a\r\nb\r\nc2\r\n'));
    expect(dec(adapter.serialize(doc))).toBe('a1\r\nb\r\nc2\r\n');
    // Someone converts the file to LF on disk: the room follows.
    const saved = adapter.serialize(doc);
    adapter.applyDiskChange(doc, saved, bytes('a1\nb\nc2\n'));
    expect(dec(adapter.serialize(doc))).toBe('a1\nb\nc2\n');
    // And to mixed.
    const saved2 = adapter.serialize(doc);
    adapter.applyDiskChange(doc, saved2, bytes('a1\r\nb\nc2\n'));
    expect(dec(adapter.serialize(doc))).toBe('a1\r\nb\nc2\n');
  });

  it('follows a BOM added or removed on disk', () => {
    const doc = room(BASE);
    adapter.applyDiskChange(
      doc,
      BASE,
      bytes([0xef, 0xbb, 0xbf], 'alpha\nbeta\ngamma\ndelta\n')
    );
    expect(Buffer.from(adapter.serialize(doc)).subarray(0, 3)).toEqual(
      Buffer.from([0xef, 0xbb, 0xbf])
    );
    expect(doc.getText('source').toString()).toBe(
      'alpha\nbeta\ngamma\ndelta\n'
    );
  });

  it('answers a conflict, touching nothing, when the disk is no longer UTF-8', () => {
    const doc = room(BASE);
    const disk = bytes('alpha\n', [0xe9], '\n');
    const before = Y.encodeStateAsUpdate(doc);
    expect(adapter.applyDiskChange(doc, BASE, disk)).toEqual({
      conflict: disk
    });
    expect(Buffer.from(Y.encodeStateAsUpdate(doc))).toEqual(
      Buffer.from(before)
    );
  });

  it('does nothing when the disk holds what the room holds', () => {
    const doc = room(BASE);
    const client = cloneDoc(doc);
    client.getText('source').insert(0, 'x');
    syncAll(client, doc);
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    expect(adapter.applyDiskChange(doc, BASE, adapter.serialize(doc))).toBe(
      'merged'
    );
    expect(updates).toHaveLength(0);
  });
});

describe('the three-way text merge', () => {
  /** A deterministic pseudo-random generator. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  it('loses no insertion of either side (randomised, with deletions around them)', () => {
    for (let round = 0; round < 200; round++) {
      const random = rng(round + 1);
      const words = Array.from(
        { length: 30 },
        (_, i) => `w${i}${'xyz'.slice(0, i % 3)}`
      );
      const base = words.join(' ') + '\n';
      const side = (tag: string): { text: string; markers: string[] } => {
        let text = base;
        const markers: string[] = [];
        // Delete a few base ranges first, then insert markers (which nothing else deletes).
        for (let k = 0; k < 3; k++) {
          const at = Math.floor(random() * text.length);
          text = text.slice(0, at) + text.slice(at + Math.floor(random() * 6));
        }
        for (let k = 0; k < 4; k++) {
          const marker = `<${tag}${'ABCD'[k]}>`; // no character of the base
          // Before a space or the final newline: never inside an earlier marker.
          const spots = [...text].flatMap((ch, i) =>
            ch === ' ' || ch === '\n' ? [i] : []
          );
          const at = spots.length
            ? spots[Math.floor(random() * spots.length)]
            : text.length;
          text = text.slice(0, at) + marker + text.slice(at);
          markers.push(marker);
        }
        return { text, markers };
      };
      const room = side('R');
      const disk = side('D');
      const merged = mergeText(base, room.text, disk.text);
      for (const marker of [...room.markers, ...disk.markers]) {
        expect({ round, merged, has: merged.split(marker).length - 1 }).toEqual(
          {
            round,
            merged,
            has: 1
          }
        );
      }
      expect(mergeText(base, base, disk.text)).toBe(disk.text);
      expect(mergeText(base, room.text, base)).toBe(room.text);
    }
  });

  it('never splits a surrogate pair', () => {
    const merged = mergeText('a😀b', 'a😀b!', 'a😁b');
    expect(merged).toBe('a😁b!');
    expect(() => encodeURIComponent(merged)).not.toThrow();
  });

  it('stays fast on a large text with changes all over it (line mode)', () => {
    const lines = Array.from(
      { length: 40000 },
      (_, i) => `row ${i},${(i * 7919) % 1000},value\n`
    );
    const base = lines.join('');
    const disk = lines
      .map((l, i) => (i % 97 === 0 ? l.replace('value', 'changed') : l))
      .join('');
    const room = 'header\n' + base;
    const started = Date.now();
    const diff = textDiff(base, disk);
    const merged = mergeText(base, room, disk);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(diff.length).toBeGreaterThan(400);
    expect(merged).toBe('header\n' + disk);
  });
});
