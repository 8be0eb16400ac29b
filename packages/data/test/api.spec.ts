import { FakeBridge } from './fixtures';

describe('DataApi', () => {
  it('encodes path segments and queries, and never asks with the cache buster', async () => {
    const bridge = new FakeBridge()
      .on('GET', /object$/, () => ({}))
      .on('DELETE', /cache\/.+$/, () => undefined);
    const api = bridge.api();
    await api.object('my rgw', 'b', 'dir/a b&c.csv');
    expect(bridge.request.mock.calls[0][0]).toBe(
      'api/data/endpoints/my%20rgw/object?bucket=b&key=dir%2Fa+b%26c.csv'
    );
    expect(bridge.request.mock.calls[0][1]).toEqual({ cache: 'no-cache' });
  });

  it('sends DELETE without a body, labelled as bytes (an empty JSON body gets a 400)', async () => {
    const bridge = new FakeBridge().on('DELETE', /cache\/.+$/, () => undefined);
    await bridge.api().removeCached('0123abcd');
    const [path, init] = bridge.request.mock.calls[0];
    expect(path).toBe('api/data/cache/0123abcd');
    expect(init).toEqual({
      method: 'DELETE',
      cache: 'no-cache',
      headers: { 'Content-Type': 'application/octet-stream' }
    });
  });
});
