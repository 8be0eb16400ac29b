// The collab benchmark's client: what JupyterLab's front end runs for a shared notebook, in
// Node. A YNotebook from @jupyter/ydoc (its Y.Doc and awareness) synced by y-websocket's
// WebsocketProvider over `ws`, the same client against both servers.
import { YNotebook } from '@jupyter/ydoc';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';

// @jupyter/ydoc's cell constructors read their shared types before they are inserted, which
// yjs 13.6 reports on console.warn: harmless, and noise on a benchmark's output.
const warn = console.warn.bind(console);
console.warn = (...args) => {
  if (String(args[0]).startsWith('Invalid access: Add Yjs type')) {
    return;
  }
  warn(...args);
};

// Every client adds a process 'exit' listener (y-websocket).
process.setMaxListeners(1000);

const noop = () => {};

/** One collaborator: a YNotebook synced with a room. */
export class Client {
  /** `conn`: {serverUrl, roomname, params} from a target's open(). */
  constructor(conn) {
    this.nb = new YNotebook();
    this.closes = [];
    /**
     * What arrived: `lastAt` is performance.now() when the last whole message arrived, before
     * y-websocket read it.
     */
    const incoming = { lastAt: NaN, messages: 0, bytes: 0 };
    this.incoming = incoming;
    /**
     * `ws` for y-websocket, without permessage-deflate offered (neither server would take it:
     * the bridge has it off, Tornado's handlers do not enable it), noting each message's
     * arrival in a listener that runs before y-websocket's own (registered first).
     */
    class BenchWebSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, { perMessageDeflate: false });
        this.on('message', data => {
          incoming.lastAt = performance.now();
          incoming.messages++;
          incoming.bytes += data.byteLength ?? data.length ?? 0;
        });
      }
    }
    this.provider = new WebsocketProvider(
      conn.serverUrl,
      conn.roomname,
      this.nb.ydoc,
      {
        params: conn.params,
        WebSocketPolyfill: BenchWebSocket,
        awareness: this.nb.awareness,
        disableBc: true,
        // a refused or dropped connection is retried quickly; the caller's timeout bounds it
        maxBackoffTime: 500
      }
    );
    // The bridge's own messages (4 durable, 5 room status, 6 epoch: docs/protocol.md) and any
    // other type a server might add: read and ignored, as a front end that does not need them.
    for (let t = 4; t < 16; t++) {
      this.provider.messageHandlers[t] = noop;
    }
    this.provider.on('connection-close', event => {
      if (event) {
        this.closes.push(`${event.code} ${event.reason ?? ''}`.trim());
      }
    });
  }

  get cellCount() {
    return this.nb.cells.length;
  }

  /**
   * Resolves with {at, received}: performance.now() at the end of the first transaction after
   * which the notebook has at least `cells` cells (checked after every transaction: the cells'
   * models are built by YNotebook's own observer before 'afterTransaction'), and when the
   * message that completed them had arrived whole (before the client decoded it).
   */
  whenCells(cells, timeoutMs, what = 'sync') {
    return new Promise((resolve, reject) => {
      const doc = this.nb.ydoc;
      const check = () => {
        if (this.nb.cells.length >= cells) {
          const now = performance.now();
          doc.off('afterTransaction', check);
          clearTimeout(timer);
          resolve({ at: now, received: this.incoming.lastAt });
        }
      };
      const timer = setTimeout(() => {
        doc.off('afterTransaction', check);
        reject(
          new Error(
            `${what}: ${this.nb.cells.length}/${cells} cells after ${timeoutMs / 1000} s` +
              (this.closes.length
                ? ` (connection closed: ${[...new Set(this.closes)].join('; ')})`
                : '')
          )
        );
      }, timeoutMs);
      doc.on('afterTransaction', check);
      check();
    });
  }

  /** Resolves once y-websocket says the provider has synced. */
  whenSynced(timeoutMs, what = 'sync') {
    if (this.provider.synced) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.provider.off('sync', onSync);
        reject(
          new Error(
            `${what}: not synced after ${timeoutMs / 1000} s` +
              (this.closes.length
                ? ` (connection closed: ${[...new Set(this.closes)].join('; ')})`
                : '')
          )
        );
      }, timeoutMs);
      const onSync = synced => {
        if (synced) {
          clearTimeout(timer);
          this.provider.off('sync', onSync);
          resolve();
        }
      };
      this.provider.on('sync', onSync);
    });
  }

  destroy() {
    this.provider.destroy();
    this.nb.dispose();
  }
}

/** Destroy clients, ignoring errors (cleanup after failures too). */
export function destroyAll(clients) {
  for (const c of clients) {
    try {
      c.destroy();
    } catch {
      // already gone
    }
  }
  clients.length = 0;
}
