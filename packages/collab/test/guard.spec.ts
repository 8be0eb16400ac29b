import { YNotebook } from '@jupyter/ydoc';
import * as Y from 'yjs';
import { ReadOnlyGuard } from '../src/models/guard';

const tick = () => new Promise(resolve => setTimeout(resolve, 0));

/** A room's copy and a reader's copy of one notebook, in sync. */
function pair() {
  const room = YNotebook.create();
  room.insertCell(0, { cell_type: 'code', source: 'print(1)' });
  const reader = YNotebook.create();
  const remote = {};
  Y.applyUpdate(reader.ydoc, Y.encodeStateAsUpdate(room.ydoc), remote);
  return { room, reader, remote };
}

describe('ReadOnlyGuard', () => {
  it('undoes structural and text changes made locally while enabled, and says so', async () => {
    const { reader } = pair();
    const guard = new ReadOnlyGuard(reader.ydoc);
    guard.enabled = true;
    let refused = 0;
    guard.refused.connect(() => refused++);
    reader.insertCell(1, { cell_type: 'markdown', source: 'mine' });
    reader.getCell(0).setSource('changed');
    reader.moveCell(0, 1);
    reader.setMetadata({ kernelspec: { name: 'x', display_name: 'x' } });
    await tick();
    expect(reader.cells.map(c => c.getSource())).toEqual(['print(1)']);
    expect(reader.getMetadata().kernelspec).toBeUndefined();
    expect(refused).toBe(1);
    guard.dispose();
  });

  it('keeps every remote update', async () => {
    const { room, reader, remote } = pair();
    const guard = new ReadOnlyGuard(reader.ydoc);
    guard.enabled = true;
    const before = Y.encodeStateVector(reader.ydoc);
    room.insertCell(1, { cell_type: 'markdown', source: 'from the room' });
    room.getCell(0).setSource('print(2)');
    Y.applyUpdate(
      reader.ydoc,
      Y.encodeStateAsUpdate(room.ydoc, before),
      remote
    );
    await tick();
    expect(reader.cells.map(c => c.getSource())).toEqual([
      'print(2)',
      'from the room'
    ]);
    guard.dispose();
  });

  it('lets local changes stand while disabled', async () => {
    const { reader } = pair();
    const guard = new ReadOnlyGuard(reader.ydoc);
    reader.insertCell(1, { cell_type: 'markdown', source: 'mine' });
    await tick();
    expect(reader.cells.length).toBe(2);
    guard.dispose();
  });
});
