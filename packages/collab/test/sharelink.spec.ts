import {
  buildShareLink,
  parseShareLink,
  withoutShareParam
} from '../src/models/sharelink';

describe('share links', () => {
  const lab = 'https://hub.example.org/user/alice/lab';

  it('builds a link that opens the document shared', () => {
    expect(buildShareLink(lab, 'work/analysis.ipynb')).toBe(
      'https://hub.example.org/user/alice/lab/tree/work/analysis.ipynb?collab=1'
    );
  });

  it('encodes each segment and parses back to the same path', () => {
    for (const path of [
      'a.ipynb',
      'dir with spaces/Nöte #1?.ipynb',
      'deep/er/path/x%20y.txt',
      '中文/ノート.ipynb'
    ]) {
      const link = buildShareLink(lab, path);
      expect(link).not.toContain(' ');
      expect(parseShareLink(link)).toEqual({ path });
    }
  });

  it('accepts workspaces and the single-document mode', () => {
    expect(
      parseShareLink('http://h/lab/workspaces/auto-x/tree/a/b.ipynb?collab=1')
    ).toEqual({ path: 'a/b.ipynb' });
    expect(parseShareLink('http://h/base/doc/tree/b.txt?collab=true')).toEqual({
      path: 'b.txt'
    });
  });

  it('refuses URLs that are not share links', () => {
    expect(parseShareLink('http://h/lab/tree/a.ipynb')).toBeNull();
    expect(parseShareLink('http://h/lab/tree/a.ipynb?collab=0')).toBeNull();
    expect(parseShareLink('http://h/lab?collab=1')).toBeNull();
    expect(
      parseShareLink('http://h/lab/tree/%E0%A4%A.ipynb?collab=1')
    ).toBeNull();
  });

  it('drops the parameter from the page URL', () => {
    expect(withoutShareParam('http://h/lab/tree/a.ipynb?collab=1&reset')).toBe(
      'http://h/lab/tree/a.ipynb?reset='
    );
    expect(withoutShareParam('http://h/lab/tree/a.ipynb?collab=1')).toBe(
      'http://h/lab/tree/a.ipynb'
    );
  });
});
