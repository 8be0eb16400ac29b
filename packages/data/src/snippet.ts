/**
 * The code cells "Insert snippet" pastes: read a staged object, a pre-signed URL or a file
 * under a mount, with the reader its file type calls for (pandas for tables, uproot for ROOT
 * files, fsspec or a plain `open` for everything else).
 */

/**
 * What a snippet reads.
 *
 * - `staged`: an object in the bridge's cache, staged again from the kernel through
 *   `mlinfn_lab.data.stage` (quick when it is cached; the kernel gets the verified local path);
 * - `url`: a pre-signed GET URL;
 * - `mount`: a path under a POSIX or CVMFS mount.
 */
export type SnippetSource =
  | {
      kind: 'staged';
      /** The id of the storage endpoint in the bridge config. */
      endpoint: string;
      /** The bucket. */
      bucket: string;
      /** The object key. */
      key: string;
    }
  | {
      kind: 'url';
      /** The pre-signed URL. */
      url: string;
      /** The object key (the URL's path may be encoded and carries a query). */
      key: string;
    }
  | {
      kind: 'mount';
      /** The absolute path of the file. */
      path: string;
    };

/**
 * The file types a snippet knows how to read.
 */
export type FileKind =
  | 'csv'
  | 'tsv'
  | 'parquet'
  | 'json'
  | 'jsonl'
  | 'root'
  | 'text'
  | 'folder'
  | 'binary';

/**
 * The file type of a key or path, from its extension (a trailing `.gz`, `.bz2`, `.zst` or
 * `.xz` is looked through: pandas decompresses by extension).
 */
export function fileKind(name: string): FileKind {
  if (name.endsWith('/')) {
    return 'folder';
  }
  const base = (name.split('/').pop() ?? '').toLowerCase();
  const parts = base.split('.');
  if (parts.length > 2 && Private.COMPRESSED.has(parts[parts.length - 1])) {
    parts.pop();
  }
  const ext = parts.length > 1 ? parts[parts.length - 1] : '';
  return Private.KINDS[ext] ?? 'binary';
}

/**
 * The code of a cell that reads `source`.
 *
 * @param source - What to read.
 * @returns Python source; it ends with an expression, so the cell shows the data.
 */
export function makeSnippet(source: SnippetSource): string {
  const name = source.kind === 'mount' ? source.path : source.key;
  const kind = fileKind(name);
  const lines: string[] = [];
  let target: string;
  if (source.kind === 'staged') {
    lines.push(
      'from mlinfn_lab.data import stage',
      '',
      '# Staged into the local cache (verified; instant when already there).',
      `path = stage(${Private.py(source.endpoint)}, ${Private.py(source.bucket)}, ${Private.py(source.key)})`
    );
    target = 'path';
  } else if (source.kind === 'url') {
    lines.push(
      '# A pre-signed URL: it stops working when it expires.',
      `url = ${Private.py(source.url)}`
    );
    target = 'url';
  } else {
    lines.push(`path = ${Private.py(source.path)}`);
    target = 'path';
  }
  lines.push('');
  lines.push(...Private.reader(kind, target, source.kind === 'url'));
  return lines.join('\n');
}

/**
 * Module-private helpers.
 */
namespace Private {
  export const COMPRESSED = new Set(['gz', 'bz2', 'zst', 'xz']);

  export const KINDS: Record<string, FileKind> = {
    csv: 'csv',
    tsv: 'tsv',
    tab: 'tsv',
    parquet: 'parquet',
    pq: 'parquet',
    json: 'json',
    jsonl: 'jsonl',
    ndjson: 'jsonl',
    root: 'root',
    txt: 'text',
    text: 'text',
    log: 'text',
    md: 'text',
    yaml: 'text',
    yml: 'text',
    xml: 'text',
    ini: 'text',
    cfg: 'text',
    toml: 'text',
    py: 'text',
    sh: 'text'
  };

  /**
   * A Python string literal. JSON's string escapes (`\"`, `\\`, `\n`, `\uXXXX`) are all valid
   * in Python, and JSON never emits an escape Python would read differently.
   */
  export function py(value: string): string {
    return JSON.stringify(value);
  }

  /**
   * The lines that read the file named by the variable `target`.
   */
  export function reader(
    kind: FileKind,
    target: string,
    remote: boolean
  ): string[] {
    switch (kind) {
      case 'csv':
        return ['import pandas as pd', '', `df = pd.read_csv(${target})`, 'df'];
      case 'tsv':
        return [
          'import pandas as pd',
          '',
          `df = pd.read_csv(${target}, sep="\\t")`,
          'df'
        ];
      case 'parquet':
        return [
          'import pandas as pd',
          '',
          `df = pd.read_parquet(${target})`,
          'df'
        ];
      case 'json':
        return [
          'import pandas as pd',
          '',
          `df = pd.read_json(${target})`,
          'df'
        ];
      case 'jsonl':
        return [
          'import pandas as pd',
          '',
          `df = pd.read_json(${target}, lines=True)`,
          'df'
        ];
      case 'root':
        return [
          'import uproot',
          '',
          `file = uproot.open(${target})`,
          'file.classnames()'
        ];
      case 'folder':
        return remote
          ? [
              'import fsspec',
              '',
              `fsspec.open(${target}).fs.ls(${target})[:100]`
            ]
          : ['import os', '', `sorted(os.listdir(${target}))[:100]`];
      case 'text':
        return remote
          ? [
              'import fsspec',
              '',
              `with fsspec.open(${target}, "rt", encoding="utf-8", errors="replace") as f:`,
              '    text = f.read(100_000)',
              'print(text)'
            ]
          : [
              `with open(${target}, encoding="utf-8", errors="replace") as f:`,
              '    text = f.read(100_000)',
              'print(text)'
            ];
      default:
        return remote
          ? [
              'import fsspec',
              '',
              `with fsspec.open(${target}, "rb") as f:`,
              '    head = f.read(1024)',
              'head'
            ]
          : [
              `with open(${target}, "rb") as f:`,
              '    head = f.read(1024)',
              'head'
            ];
    }
  }
}
