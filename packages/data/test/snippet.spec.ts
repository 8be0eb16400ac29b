import { fileKind, makeSnippet } from '../src/snippet';

describe('fileKind', () => {
  it.each([
    ['runs/2024/events.csv', 'csv'],
    ['a.CSV', 'csv'],
    ['table.csv.gz', 'csv'],
    ['t.tsv', 'tsv'],
    ['part-0001.parquet', 'parquet'],
    ['meta.json', 'json'],
    ['rows.jsonl', 'jsonl'],
    ['ntuple.root', 'root'],
    ['notes.txt', 'text'],
    ['image.png', 'binary'],
    ['README', 'binary'],
    ['dir.csv/blob', 'binary'],
    ['archive.gz', 'binary'],
    ['/mnt/data/', 'folder']
  ])('%s is %s', (name, kind) => {
    expect(fileKind(name)).toBe(kind);
  });
});

describe('makeSnippet', () => {
  it('reads a staged CSV with pandas through the kernel API', () => {
    const code = makeSnippet({
      kind: 'staged',
      endpoint: 'rgw',
      bucket: 'physics',
      key: 'runs/events.csv'
    });
    expect(code).toContain('from mlinfn_lab.data import stage');
    expect(code).toContain('path = stage("rgw", "physics", "runs/events.csv")');
    expect(code).toContain('df = pd.read_csv(path)');
    expect(code.trim().split('\n').pop()).toBe('df');
  });

  it('opens a ROOT file under a mount with uproot', () => {
    const code = makeSnippet({
      kind: 'mount',
      path: '/cvmfs/cms.cern.ch/x/ntuple.root'
    });
    expect(code).toContain('path = "/cvmfs/cms.cern.ch/x/ntuple.root"');
    expect(code).toContain('import uproot');
    expect(code).toContain('uproot.open(path)');
    expect(code).not.toContain('stage(');
  });

  it('lists a mounted folder', () => {
    const code = makeSnippet({ kind: 'mount', path: '/mnt/nfs/' });
    expect(code).toBe(
      'path = "/mnt/nfs/"\n\nimport os\n\nsorted(os.listdir(path))[:100]'
    );
  });

  it('reads parquet, JSON lines and TSV from a pre-signed URL with pandas', () => {
    const url = 'https://s3.example/b/k.parquet?X-Amz-Signature=abc';
    expect(makeSnippet({ kind: 'url', url, key: 'k.parquet' })).toContain(
      'pd.read_parquet(url)'
    );
    expect(makeSnippet({ kind: 'url', url, key: 'k.jsonl' })).toContain(
      'pd.read_json(url, lines=True)'
    );
    expect(makeSnippet({ kind: 'url', url, key: 'k.tsv' })).toContain(
      'pd.read_csv(url, sep="\\t")'
    );
  });

  it('reads other remote files with fsspec and local ones with open', () => {
    const remote = makeSnippet({
      kind: 'url',
      url: 'https://s3.example/b/a.bin?sig',
      key: 'a.bin'
    });
    expect(remote).toContain('fsspec.open(url, "rb")');
    const local = makeSnippet({
      kind: 'staged',
      endpoint: 'e',
      bucket: 'b',
      key: 'notes.txt'
    });
    expect(local).toContain('with open(path, encoding="utf-8"');
    expect(local).toContain('print(text)');
    expect(local).not.toContain('fsspec');
  });

  it('quotes keys with quotes, backslashes, newlines and unicode as valid Python', () => {
    const key = 'odd "name"\\ with\nnewline é.txt';
    const code = makeSnippet({
      kind: 'staged',
      endpoint: 'e',
      bucket: 'b',
      key
    });
    const line = code.split('\n').find(l => l.startsWith('path = stage('))!;
    expect(line).toBe(
      'path = stage("e", "b", "odd \\"name\\"\\\\ with\\nnewline é.txt")'
    );
    // The literal decodes back to the key (JSON and Python agree on these escapes).
    const literal = line.slice('path = stage("e", "b", '.length, -1);
    expect(JSON.parse(literal)).toBe(key);
  });
});
