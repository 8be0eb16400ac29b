// Room names must be what the room server parses: every name built here goes through the
// server's own parser (server-bridge/src/collab/room-name.ts) the way it travels (URL-encoded
// in the WebSocket path), and every path refused here is refused there too.
import {
  parseRoomName as serverParse,
  roomFromUrlPath
} from '../../../server-bridge/src/collab/room-name';
import {
  documentKind,
  encodeRoomName,
  normalizeRoomPath,
  parseRoomName,
  roomNameFor
} from '../src/models/roomname';

const GOOD = [
  'a.ipynb',
  'dir/b.ipynb',
  './dir//c.ipynb',
  'dir/./d.txt',
  'trailing/slash/',
  'with space/é è ü.ipynb',
  '中文/ノート.ipynb',
  '100%.txt',
  'plus+and&amp;=.txt',
  'quotes\'"`.txt',
  'semi;colon:colon.txt',
  'back\\slash.txt',
  '.hidden/.file',
  'a..b/c...d.txt',
  '~/tilde.txt',
  'x'.repeat(300)
];

const BAD = [
  '',
  '.',
  '/',
  '/abs.ipynb',
  '\\abs.txt',
  'C:\\win.txt',
  'c:/win.txt',
  '../up.ipynb',
  'a/../../up.txt',
  'a/..',
  'a\\..\\b',
  'nul\0.txt',
  'ctrl\u0001.txt',
  'tab\t.txt',
  'del\u007f.txt',
  'é'.repeat(2049)
];

// The server's checks use Node's Buffer, which the jsdom environment does not expose.
(globalThis as any).Buffer ??= require('buffer').Buffer;

describe('room names', () => {
  it('match the server: same canonical name for every accepted path', () => {
    for (const kind of ['notebook', 'file'] as const) {
      for (const path of GOOD) {
        const built = roomNameFor(kind, path, { behindProxy: false });
        expect(built.ok).toBe(true);
        if (!built.ok) {
          continue;
        }
        const server = roomFromUrlPath(encodeRoomName(built.name));
        expect(server.name).toBe(built.name);
        expect(server.path).toBe(built.path);
        expect(server.kind).toBe(kind);
        // and the server's canonical form of the raw name is the same
        const { format, type } =
          kind === 'notebook'
            ? { format: 'json', type: 'notebook' }
            : { format: 'text', type: 'file' };
        expect(serverParse(`${format}:${type}:${path}`).name).toBe(built.name);
      }
    }
  });

  it('refuse what the server refuses', () => {
    for (const path of BAD) {
      expect(roomNameFor('notebook', path, { behindProxy: false }).ok).toBe(
        false
      );
      expect(() => serverParse(`json:notebook:${path}`)).toThrow();
    }
  });

  it('encode the whole name as one URL segment', () => {
    const built = roomNameFor('notebook', 'dir/sub dir/n?#.ipynb', {
      behindProxy: false
    });
    expect(built.ok && encodeRoomName(built.name)).toBe(
      'json%3Anotebook%3Adir%2Fsub%20dir%2Fn%3F%23.ipynb'
    );
  });

  it('refuse ? and # behind jupyter-server-proxy, which would pass them unencoded', () => {
    expect(normalizeRoomPath('a?b.ipynb')).toEqual({
      ok: false,
      problem: 'proxy-unsafe'
    });
    expect(normalizeRoomPath('a#b.ipynb').ok).toBe(false);
    expect(normalizeRoomPath('a?b.ipynb', { behindProxy: false }).ok).toBe(
      true
    );
  });

  it('name the kinds JupyterLab factories make', () => {
    expect(documentKind('json', 'notebook')).toBe('notebook');
    expect(documentKind('text', 'file')).toBe('file');
    expect(documentKind('base64', 'file')).toBeNull();
    expect(documentKind('json', 'file')).toBeNull();
    expect(documentKind(null, 'notebook')).toBeNull();
  });

  it('parse the new room of a rename notice', () => {
    expect(parseRoomName('json:notebook:a/b.ipynb')).toEqual({
      kind: 'notebook',
      path: 'a/b.ipynb'
    });
    expect(parseRoomName('text:file:c.txt')).toEqual({
      kind: 'file',
      path: 'c.txt'
    });
    expect(parseRoomName('json:file:c.txt')).toBeNull();
  });
});
