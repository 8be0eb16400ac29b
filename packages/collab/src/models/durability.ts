/**
 * Which of this client's edits the room holds durably, from the room's `durable` acks.
 *
 * The room counts, per connection, the update messages it received (sync step 2 and update)
 * and acknowledges with `seq` once they are fsynced in its log. The tracker counts local edits
 * and, for each counted frame sent on the current connection, how many local edits had been
 * made when it left: an ack of `seq` makes every edit up to that frame's count durable. Frames
 * of a closed connection are forgotten: their edits travel again in the sync step 2 that
 * answers the room's sync step 1 after the reconnection, and that frame is acked in turn.
 *
 * Counting frames rather than comparing Yjs clocks also covers edits that only delete: a
 * deletion adds to a Y.Doc's delete set without advancing its client's clock.
 *
 * The tracker must see a local edit before the frame that carries it is sent: register the
 * Y.Doc `update` listener that calls `localEdit()` before y-websocket's provider registers its
 * own (Yjs calls listeners in registration order).
 */
export class DurabilityTracker {
  /**
   * Whether some local edit is not yet durable in the room.
   */
  get pending(): boolean {
    return this._edits > this._durable;
  }

  /**
   * How many local edits are not yet durable.
   */
  get pendingCount(): number {
    return this._edits - this._durable;
  }

  /**
   * How many local edits were made so far.
   */
  get editCount(): number {
    return this._edits;
  }

  /**
   * A local edit was applied to the document.
   */
  localEdit(): void {
    this._edits++;
  }

  /**
   * A connection opened: frames and acks are counted on it from now on.
   *
   * @param id - Any value that identifies the connection (its WebSocket).
   */
  connectionOpened(id: unknown): void {
    this._conn = { id, sent: 0, marks: [] };
  }

  /**
   * A frame that the room counts (sync step 2 or update) was sent on a connection.
   */
  frameSent(id: unknown): void {
    const conn = this._conn;
    if (!conn || conn.id !== id) {
      return;
    }
    conn.sent++;
    conn.marks.push({ seq: conn.sent, edits: this._edits });
  }

  /**
   * The room acknowledged `seq` frames of a connection as durable.
   *
   * @returns Whether the pending state changed.
   */
  durable(id: unknown, seq: number): boolean {
    const conn = this._conn;
    if (!conn || conn.id !== id || seq <= 0) {
      return false;
    }
    const before = this.pending;
    let edits = -1;
    while (conn.marks.length > 0 && conn.marks[0].seq <= seq) {
      edits = conn.marks.shift()!.edits;
    }
    if (edits > this._durable) {
      this._durable = edits;
    }
    return before !== this.pending;
  }

  /**
   * A connection closed: what it sent and was not acknowledged goes again on the next one.
   */
  connectionClosed(id: unknown): void {
    if (this._conn && this._conn.id === id) {
      this._conn = null;
    }
  }

  private _edits = 0;
  private _durable = 0;
  private _conn: {
    id: unknown;
    sent: number;
    marks: { seq: number; edits: number }[];
  } | null = null;
}
