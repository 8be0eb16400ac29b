import { BridgeError } from '@mlinfn/common';
import { Widget } from '@lumino/widgets';
import { DataModel } from '../src/model';
import { DataPanel } from '../src/widgets/panel';
import { FakeBridge, flush } from './fixtures';

function panelWith(bridge: FakeBridge) {
  const model = new DataModel({
    client: {
      request: bridge.request as any,
      subscribe: () => ({ isDisposed: false, dispose: () => undefined })
    }
  });
  const execute = jest.fn();
  const panel = new DataPanel({ model, execute });
  Widget.attach(panel, document.body);
  return { model, panel, execute };
}

const endpoint = {
  id: 'rgw',
  title: 'Group storage',
  region: 'default',
  publicUrl: 'http://s3',
  credentials: { kind: 'static', state: 'ok' },
  linkMaxSeconds: 604800,
  browserUploads: true
};

describe('DataPanel', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('says what to do when no endpoint is configured', async () => {
    const bridge = new FakeBridge().on('GET', /endpoints$/, () => ({
      endpoints: []
    }));
    const { model, panel } = panelWith(bridge);
    const loading = model.load();
    panel.browser.render();
    expect(panel.node.textContent).toContain('Loading storage endpoints…');
    await loading;
    panel.browser.render();
    expect(
      panel.node.querySelector('.jp-DataPanel-empty')!.textContent
    ).toMatch(/^No storage endpoints are configured — .*README/);
  });

  it('opens the first of several endpoints, and switches to another from the list', async () => {
    const login = { ...endpoint, id: 'login', title: 'Group storage (login)' };
    const bridge = new FakeBridge()
      .on('GET', /endpoints$/, () => ({ endpoints: [endpoint, login] }))
      .on('GET', /endpoints\/rgw\/buckets$/, () => ({
        buckets: [{ name: 'shared' }],
        fromConfig: false
      }))
      .on('GET', /endpoints\/login\/buckets$/, () => ({
        buckets: [{ name: 'mine' }],
        fromConfig: true
      }));
    const { model, panel } = panelWith(bridge);
    await model.load();
    await flush();
    panel.browser.render();
    const buckets = () =>
      [
        ...panel.node.querySelectorAll<HTMLButtonElement>(
          '.jp-DataBrowser-bucketButton'
        )
      ].map(b => b.dataset.bucket);
    expect(buckets()).toEqual(['shared']);
    const select = panel.node.querySelector<HTMLSelectElement>(
      'select.jp-DataBrowser-endpoint'
    )!;
    expect([...select.options].map(o => o.textContent)).toEqual([
      'Group storage',
      'Group storage (login)'
    ]);
    select.value = 'login';
    select.dispatchEvent(new Event('change'));
    await flush();
    panel.browser.render();
    expect(buckets()).toEqual(['mine']);
  });

  it('offers "Log in again" when the login behind the keys expired', async () => {
    const bridge = new FakeBridge()
      .on('GET', /endpoints$/, () => ({
        endpoints: [
          {
            ...endpoint,
            credentials: {
              kind: 'sts',
              state: 'expired',
              message:
                'Your login has expired (the storage refused the access token): log in again to JupyterHub, then retry.'
            }
          }
        ]
      }))
      .on('GET', /buckets$/, () => {
        throw new BridgeError(
          403,
          'forbidden',
          'Your login has expired (the storage refused the access token): log in again to JupyterHub, then retry.'
        );
      });
    const { model, panel, execute } = panelWith(bridge);
    await model.load();
    await flush();
    panel.browser.render();
    const buttons = [
      ...panel.node.querySelectorAll<HTMLButtonElement>(
        '.jp-DataPanel-error button'
      )
    ];
    const login = buttons.find(b => b.textContent === 'Log in again')!;
    expect(login).toBeDefined();
    login.click();
    expect(execute).toHaveBeenCalledWith('mlinfn-data:log-in');
    // Details stay behind a disclosure.
    expect(
      panel.node.querySelector('.jp-DataPanel-error details pre')!.textContent
    ).toBe('HTTP 403 · forbidden');
  });

  it('renders only the rows in view of a 100k-key folder', async () => {
    const bridge = new FakeBridge()
      .on('GET', /endpoints$/, () => ({ endpoints: [endpoint] }))
      .on('GET', /buckets$/, () => ({
        buckets: [{ name: 'physics' }],
        fromConfig: false
      }))
      .on('GET', /objects$/, call => {
        const start = Number(call.query.continuationToken ?? 0);
        return {
          bucket: 'physics',
          prefix: '',
          delimiter: '/',
          prefixes: [],
          objects: Array.from({ length: 1000 }, (_, i) => ({
            key: `k${String(start + i).padStart(6, '0')}`,
            size: 1,
            lastModified: 0,
            etag: 'e'
          })),
          ...(start + 1000 < 100_000
            ? { nextContinuationToken: String(start + 1000) }
            : {})
        };
      });
    const { model, panel } = panelWith(bridge);
    await model.load();
    await flush();
    panel.browser.render();
    expect(panel.node.querySelector('[data-bucket="physics"]')).not.toBeNull();
    await model.openBucket('physics');
    while (model.listing!.hasMore) {
      await model.listing!.loadMore();
    }
    expect(model.listing!.count).toBe(100_000);
    const list = panel.browser.list;
    list.render();
    // 20 rows of viewport plus the overscan, never 100k.
    expect(list.renderedRows).toBeLessThanOrEqual(40);
    expect(
      (list.node.querySelector('.jp-DataObjectList-spacer') as HTMLElement)
        .style.height
    ).toBe(`${100_000 * 24}px`);
    // Scrolled to the middle: the rows there, and only those.
    list.node.scrollTop = 50_000 * 24;
    list.render();
    const keys = [...list.node.querySelectorAll<HTMLElement>('[data-key]')].map(
      n => n.dataset.key
    );
    expect(keys).toContain('k050000');
    expect(keys.length).toBeLessThanOrEqual(40);
  });
});

describe('DetailsSection', () => {
  it('shows size, modified, ETag and content type, and refuses links for "." keys', async () => {
    const bridge = new FakeBridge()
      .on('GET', /endpoints$/, () => ({ endpoints: [endpoint] }))
      .on('GET', /buckets$/, () => ({ buckets: [{ name: 'physics' }] }))
      .on('GET', /objects$/, () => ({
        bucket: 'physics',
        prefix: '',
        delimiter: '/',
        prefixes: [],
        objects: [{ key: 'a/./b.csv', size: 1500, lastModified: 0, etag: 'e' }]
      }))
      .on('GET', /object$/, call => ({
        bucket: 'physics',
        key: call.query.key,
        size: 1500,
        lastModified: Date.UTC(2026, 0, 1),
        etag: '9e107d9d372bb6826bd81d3542a419d6',
        contentType: 'text/csv',
        metadata: {},
        presignable: false
      }));
    const { model, panel, execute } = panelWith(bridge);
    await model.load();
    await flush();
    await model.openBucket('physics');
    await model.selectObject('a/./b.csv');
    const details = panel.node.querySelector('.jp-DataDetails') as HTMLElement;
    // Rendered on the next update: render now.
    (panel.widgets[2] as any).render();
    expect(details.classList.contains('jp-mod-empty')).toBe(false);
    expect(details.querySelector('.jp-DataDetails-size')!.textContent).toBe(
      '1.5 kB'
    );
    expect(details.querySelector('.jp-DataDetails-etag')!.textContent).toBe(
      '9e107d9d372bb6826bd81d3542a419d6'
    );
    expect(
      details.querySelector('.jp-DataDetails-contentType')!.textContent
    ).toBe('text/csv');
    const share = details.querySelector<HTMLButtonElement>(
      '.jp-DataDetails-link'
    )!;
    expect(share.disabled).toBe(true);
    expect(share.title).toMatch(/cannot be pre-signed/);
    details.querySelector<HTMLButtonElement>('.jp-DataDetails-stage')!.click();
    expect(execute).toHaveBeenCalledWith('mlinfn-data:stage');
  });
});
