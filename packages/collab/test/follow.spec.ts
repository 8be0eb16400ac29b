import {
  IPeerState,
  aggregateCollaborators
} from '../src/models/collaborators';
import { FollowModel, followTarget } from '../src/models/follow';

const bob = {
  username: 'bob',
  name: 'Bob Ross',
  display_name: 'Bob Ross',
  initials: 'BR',
  color: 'var(--jp-collaborator-color2)'
};
const alice = {
  ...bob,
  username: 'alice',
  name: 'Alice',
  display_name: 'Alice',
  initials: 'A'
};

function peer(
  clientId: number,
  path: string,
  state: Record<string, unknown>,
  updatedAt: number,
  local = false
): IPeerState {
  return { clientId, path, state, updatedAt, local };
}

describe('followTarget', () => {
  it('takes the most recent state that names a current document, and its cell there', () => {
    const peers = [
      peer(
        1,
        'a.ipynb',
        { user: bob, current: 'a.ipynb', activeCellId: 'c1' },
        10
      ),
      peer(
        2,
        'b.ipynb',
        { user: bob, current: 'b.ipynb', activeCellId: 'x' },
        20
      ),
      peer(3, 'a.ipynb', { user: alice, current: 'a.ipynb' }, 30, true)
    ];
    expect(followTarget(peers, 'bob')).toEqual({
      path: 'b.ipynb',
      cellId: 'x',
      cursorHead: null
    });
  });

  it('reads the primary cursor of a text file', () => {
    const head = {
      type: { client: 1, clock: 2 },
      tname: null,
      item: null,
      assoc: 0
    };
    const peers = [
      peer(
        1,
        'f.txt',
        {
          user: bob,
          current: 'f.txt',
          cursors: [
            { anchor: {}, head: { other: true }, primary: false },
            { anchor: {}, head, primary: true }
          ]
        },
        5
      )
    ];
    expect(followTarget(peers, 'bob')?.cursorHead).toEqual(head);
  });

  it('is null for someone who looks at no shared document', () => {
    expect(
      followTarget([peer(1, 'a.ipynb', { user: bob, current: null }, 1)], 'bob')
    ).toBeNull();
  });
});

describe('FollowModel', () => {
  it('opens their document, then reveals their cell as it changes, and only then', () => {
    const model = new FollowModel();
    model.start('bob');
    const at = (cell: string, path = 'a.ipynb', t = 1) => [
      peer(7, path, { user: bob, current: path, activeCellId: cell }, t)
    ];
    expect(model.update(at('c1'))).toEqual({
      type: 'open',
      path: 'a.ipynb',
      cellId: 'c1'
    });
    expect(model.update(at('c1'))).toBeNull();
    expect(model.update(at('c2'))).toEqual({
      type: 'reveal',
      path: 'a.ipynb',
      cellId: 'c2',
      cursorHead: null
    });
    expect(model.update(at('c2', 'b.ipynb'))).toEqual({
      type: 'open',
      path: 'b.ipynb',
      cellId: 'c2'
    });
  });

  it('stops on the user’s own interaction', () => {
    const model = new FollowModel();
    model.start('bob');
    expect(model.interacted()).toBe(true);
    expect(model.following).toBeNull();
    expect(
      model.update([peer(7, 'a', { user: bob, current: 'a' }, 1)])
    ).toBeNull();
    expect(model.interacted()).toBe(false);
  });

  it('says when the followed user left', () => {
    const model = new FollowModel();
    model.start('bob');
    expect(
      model.update([peer(1, 'a', { user: alice, current: 'a' }, 1, true)])
    ).toEqual({ type: 'lost', username: 'bob' });
    expect(model.following).toBeNull();
  });

  it('never follows this page’s own clients', () => {
    const model = new FollowModel();
    model.start('alice');
    expect(
      model.update([peer(1, 'a', { user: alice, current: 'a' }, 1, true)])
    ).toEqual({ type: 'lost', username: 'alice' });
  });
});

describe('aggregateCollaborators', () => {
  it('merges a user’s clients, lists their documents and puts the current user first', () => {
    const list = aggregateCollaborators(
      [
        peer(
          1,
          'a.ipynb',
          { user: bob, documents: ['a.ipynb', 'c.txt'], current: 'a.ipynb' },
          10
        ),
        peer(
          2,
          'b.ipynb',
          { user: bob, documents: ['b.ipynb'], current: 'b.ipynb' },
          20
        ),
        peer(
          3,
          'a.ipynb',
          { user: alice, documents: ['a.ipynb'], current: null },
          5,
          true
        ),
        peer(4, 'a.ipynb', { cursors: [] }, 1) // no user: ignored
      ],
      'alice'
    );
    expect(list.map(c => c.username)).toEqual(['alice', 'bob']);
    expect(list[0].isSelf).toBe(true);
    expect(list[1]).toMatchObject({
      isSelf: false,
      documents: ['a.ipynb', 'b.ipynb', 'c.txt'],
      current: 'b.ipynb',
      initials: 'BR'
    });
  });

  it('keeps only safe colours from others', () => {
    const list = aggregateCollaborators(
      [peer(1, 'a', { user: { ...bob, color: 'red;background:url(x)' } }, 1)],
      null
    );
    expect(list[0].color).toMatch(/^var\(--jp-collaborator-color[1-7]\)$/);
  });
});
