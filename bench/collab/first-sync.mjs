// collab-first-sync: time to first full sync of a big notebook, from opening the connection to
// the client's YNotebook holding every cell.
//
// The clock starts before what a front end does first (ours: GET mlinfn/ticket; theirs: PUT
// api/collaboration/session/<path>, which indexes the file and returns its id) and stops at the
// end of the transaction after which the client has all the cells.
//   cold  the first client of a room that nobody opened before (a fresh copy of the notebook):
//         the server loads the file, builds the document, then serves it
//   warm  a second client while the first is still connected (the room is loaded)
// Each measurement also notes when the message that completed the document had arrived whole
// (before the client decoded and applied it): "received" is the server's and the transport's
// part, the rest is the client's (the same client code on both sides).
import { Client, destroyAll } from './client.mjs';
import { writeToRoot } from './servers.mjs';

/**
 * Open `rel` (just written to `server`'s root) cold, then warm, through `target`; checks the
 * content; returns {cold, coldReceived, warm, warmReceived, messages, bytes} (ms, bytes).
 */
export async function firstSyncRun({
  target,
  server,
  rel,
  notebook,
  timeoutMs = 120000
}) {
  writeToRoot(server, rel, notebook.text);
  const clients = [];
  try {
    const t0 = performance.now();
    const first = new Client(await target.open(rel));
    clients.push(first);
    const cold = await first.whenCells(notebook.cells, timeoutMs, 'cold sync');

    const t1 = performance.now();
    const second = new Client(await target.open(rel));
    clients.push(second);
    const warm = await second.whenCells(notebook.cells, timeoutMs, 'warm sync');

    // The whole notebook is there: the last cell's source and every output.
    for (const c of clients) {
      const cells = c.nb.cells;
      const outputs = cells.reduce(
        (n, cell) => n + (cell.outputs?.length ?? 0),
        0
      );
      if (
        cells[cells.length - 1].source !== notebook.lastSource ||
        outputs !== notebook.outputs
      ) {
        throw new Error(
          `incomplete document: ${cells.length} cells, ${outputs}/${notebook.outputs} outputs`
        );
      }
    }
    return {
      cold: cold.at - t0,
      coldReceived: cold.received - t0,
      warm: warm.at - t1,
      warmReceived: warm.received - t1,
      messages: second.incoming.messages,
      bytes: second.incoming.bytes
    };
  } finally {
    destroyAll(clients);
  }
}
