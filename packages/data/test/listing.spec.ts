import { ListingModel } from '../src/models/listing';
import { FakeBridge, flush } from './fixtures';

/**
 * A bucket of `n` keys under `big/` plus two folders, listed `maxKeys` at a time with
 * numeric continuation tokens, as the bridge answers GET .../objects.
 */
function bucket(n: number): FakeBridge {
  const keys = Array.from(
    { length: n },
    (_, i) => `big/file-${String(i).padStart(6, '0')}.csv`
  );
  return new FakeBridge().on(
    'GET',
    /^api\/data\/endpoints\/rgw\/objects$/,
    call => {
      const { prefix = '', continuationToken, maxKeys } = call.query;
      const matching = keys.filter(k => k.startsWith(prefix));
      const start = continuationToken ? Number(continuationToken) : 0;
      const end = start + Number(maxKeys);
      return {
        bucket: call.query.bucket,
        prefix,
        delimiter: '/',
        prefixes: start === 0 && prefix === 'big/' ? ['big/a/', 'big/b/'] : [],
        objects: matching
          .slice(start, end)
          .map(key => ({ key, size: 10, lastModified: 0, etag: 'e' })),
        ...(end < matching.length ? { nextContinuationToken: String(end) } : {})
      };
    }
  );
}

describe('ListingModel', () => {
  it('fetches one page at a time with continuation tokens, and stops at the last', async () => {
    const bridge = bucket(2500);
    const model = new ListingModel({
      api: bridge.api(),
      endpoint: 'rgw',
      bucket: 'physics',
      pageSize: 1000
    });
    await model.open('big/');
    expect(model.count).toBe(2 + 1000);
    expect(model.rowAt(0)).toEqual({
      kind: 'folder',
      prefix: 'big/a/',
      name: 'a/'
    });
    expect(model.rowAt(2)).toMatchObject({
      kind: 'object',
      name: 'file-000000.csv'
    });
    expect(model.hasMore).toBe(true);

    await model.loadMore();
    await model.loadMore();
    expect(model.count).toBe(2 + 2500);
    expect(model.pages).toBe(3);
    expect(model.hasMore).toBe(false);
    await model.loadMore(); // nothing left: no request
    const queries = bridge.calls.map(c => c.query);
    expect(queries).toHaveLength(3);
    expect(queries.map(q => q.continuationToken)).toEqual([
      undefined,
      '1000',
      '2000'
    ]);
    // GETs ask with cache 'no-cache': fresh answers, without ServerConnection's cache-buster
    // parameter (the bridge's query schemas refuse unknown parameters).
    expect(bridge.request.mock.calls[0][1]).toEqual({ cache: 'no-cache' });
    expect(queries[0]).toMatchObject({
      bucket: 'physics',
      prefix: 'big/',
      delimiter: '/',
      maxKeys: '1000'
    });
    expect(model.rowAt(2 + 2499)).toMatchObject({
      name: 'file-002499.csv'
    });
    expect(model.rowAt(2 + 2500)).toBeUndefined();
  });

  it('shares one request among calls made while a page is on its way', async () => {
    const bridge = bucket(3000);
    const model = new ListingModel({
      api: bridge.api(),
      endpoint: 'rgw',
      bucket: 'physics',
      pageSize: 1000
    });
    await model.open('big/');
    const a = model.loadMore();
    const b = model.loadMore();
    expect(model.loading).toBe(true);
    await Promise.all([a, b]);
    expect(bridge.calls).toHaveLength(2);
    expect(model.count).toBe(2 + 2000);
  });

  it('filters by prefix on the server and drops pages of an older filter', async () => {
    const bridge = bucket(3000);
    const model = new ListingModel({
      api: bridge.api(),
      endpoint: 'rgw',
      bucket: 'physics',
      pageSize: 500
    });
    await model.open('big/');
    const stale = model.loadMore(); // a page of the unfiltered listing, still on its way
    const filtered = model.setFilter('file-0029');
    await Promise.all([stale, filtered]);
    expect(bridge.calls.at(-1)!.query.prefix).toBe('big/file-0029');
    expect(bridge.calls.at(-1)!.query.continuationToken).toBeUndefined();
    // Only the filtered page's 100 keys: the stale page was dropped.
    expect(model.count).toBe(100);
    expect(model.rowAt(0)).toMatchObject({ name: 'file-002900.csv' });
    expect(model.hasMore).toBe(false);
  });

  it('keeps an error for the view and fetches again on the next call', async () => {
    const bridge = bucket(10);
    let fail = true;
    bridge.routes.unshift({
      method: 'GET',
      pattern: /objects$/,
      answer: () => {
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
        return {
          bucket: 'physics',
          prefix: '',
          delimiter: '/',
          prefixes: ['big/'],
          objects: []
        };
      }
    });
    const model = new ListingModel({
      api: bridge.api(),
      endpoint: 'rgw',
      bucket: 'physics'
    });
    const changes = jest.fn();
    model.changed.connect(changes);
    await model.open('');
    expect((model.error as Error).message).toBe('boom');
    expect(model.count).toBe(0);
    expect(model.hasMore).toBe(true);
    await model.loadMore();
    await flush();
    expect(model.error).toBeNull();
    expect(model.rowAt(0)).toMatchObject({ kind: 'folder', name: 'big/' });
    expect(changes).toHaveBeenCalled();
  });

  it('lists 100k keys in pages without building rows for them', async () => {
    const bridge = bucket(100_000);
    const model = new ListingModel({
      api: bridge.api(),
      endpoint: 'rgw',
      bucket: 'physics'
    });
    await model.open('big/');
    while (model.hasMore) {
      await model.loadMore();
    }
    expect(model.pages).toBe(100);
    expect(model.count).toBe(100_002);
    expect(model.rowAt(100_001)).toMatchObject({ name: 'file-099999.csv' });
  });
});
