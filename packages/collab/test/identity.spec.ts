import {
  awarenessUser,
  colorFor,
  initialsOf,
  readAwarenessUser
} from '../src/models/identity';

describe('identity', () => {
  it('uses the verified name, initials and colour', () => {
    expect(
      awarenessUser({
        username: 'alice',
        name: 'Alice Liddell',
        initials: 'AL',
        color: 'var(--jp-collaborator-color3)'
      })
    ).toEqual({
      username: 'alice',
      name: 'Alice Liddell',
      display_name: 'Alice Liddell',
      initials: 'AL',
      color: 'var(--jp-collaborator-color3)',
      avatar_url: null
    });
  });

  it('gives a user without a colour the same colour everywhere', () => {
    const a = awarenessUser({ username: 'bob', name: null, color: null });
    expect(a.color).toBe(colorFor('bob'));
    expect(a.name).toBe('bob');
    expect(a.initials).toBe('B');
  });

  it('makes initials', () => {
    expect(initialsOf('Alice Liddell')).toBe('AL');
    expect(initialsOf('jean-luc picard')).toBe('JP');
    expect(initialsOf('  ')).toBe('?');
  });

  it('reads what others publish defensively', () => {
    expect(readAwarenessUser(null)).toBeNull();
    expect(readAwarenessUser({ color: 'red' })).toBeNull();
    expect(readAwarenessUser({ name: 'Anonymous Io' })?.username).toBe(
      'Anonymous Io'
    );
  });
});
