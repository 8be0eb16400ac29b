import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { ResourceModel } from '../src/model';
import { ResourcePanel } from '../src/widgets/panel';
import { KernelTable } from '../src/widgets/table';
import {
  device,
  FakeClient,
  flush,
  GB,
  gpu,
  kernel,
  noDriver,
  payload,
  snapshot
} from './fixtures';

const T0 = 1_764_000_000_000;

function setup(shutdown = jest.fn(async () => true)) {
  const client = new FakeClient();
  const model = new ResourceModel({
    client: client.asClient(),
    throttle: false
  });
  const openCharts = jest.fn();
  const panel = new ResourcePanel({
    model,
    shutdownKernel: shutdown,
    openCharts
  });
  Widget.attach(panel, document.body);
  MessageLoop.flush();
  const show = (p = payload(T0)) => {
    client.push(p);
    MessageLoop.flush();
  };
  const q = (selector: string) => panel.node.querySelector(selector);
  const qa = (selector: string) =>
    Array.from(panel.node.querySelectorAll(selector));
  const cleanup = () => {
    panel.dispose();
    model.dispose();
  };
  return { client, model, panel, show, q, qa, shutdown, openCharts, cleanup };
}

describe('ResourcePanel', () => {
  it('shows a loading skeleton at once, and subscribes only while visible', () => {
    const { client, panel, q, cleanup } = setup();
    expect(q('.jp-ResourcePanel-skeleton')).not.toBeNull();
    expect(panel.hasClass('jp-mod-loading')).toBe(true);
    expect(client.subscribed).toBe(true);
    panel.hide();
    expect(client.subscribed).toBe(false);
    panel.show();
    expect(client.subscribed).toBe(true);
    cleanup();
  });

  it('shows the host figures, the limit source and the sample time', () => {
    const { show, q, panel, cleanup } = setup();
    show(snapshot(T0, [T0 - 10_000]));
    expect(q('.jp-ResourcePanel-skeleton')).toBeNull();
    expect(
      q('.jp-ResourcePanel-memory .jp-ResourcePanel-value')!.textContent
    ).toBe('4 / 16 GB (25 %)');
    expect(
      q('.jp-ResourcePanel-memory .jp-ResourcePanel-note')!.textContent
    ).toBe('limit from cgroup v2');
    expect(
      q('.jp-ResourcePanel-memory [role="meter"]')!.getAttribute(
        'aria-valuenow'
      )
    ).toBe('25');
    expect(
      (q('.jp-ResourcePanel-sampleTime') as HTMLElement).dataset.time
    ).toBe(String(T0));
    expect(panel.node.dataset.sampleTime).toBe(String(T0));
    cleanup();
  });

  it('says "No GPU" in words, shows no GPU chart and no GPU figure as zero', () => {
    const { show, q, qa, cleanup } = setup();
    show(
      snapshot(T0, [], {
        gpu: noDriver(),
        kernels: [kernel({ gpuMemoryBytes: null, gpuDevices: [] })]
      })
    );
    const state = q('.jp-ResourcePanel-gpuState')!;
    expect(state.querySelector('.jp-ResourcePanel-sentence')!.textContent).toBe(
      'No GPU: the NVIDIA driver is not loaded on this machine.'
    );
    // The bridge's own message is behind the disclosure.
    expect(state.querySelector('details pre')!.textContent).toBe(
      'nvidia-smi was not found.'
    );
    expect(qa('.jp-ResourcePanel-gpu')).toHaveLength(0);
    expect(
      (q('.jp-ResourceCharts-gpuUtilization') as HTMLElement).classList
    ).toContain('lm-mod-hidden');
    const gpuCell = q('.jp-ResourcePanel-kernel .jp-ResourcePanel-colGpu')!;
    expect(gpuCell.textContent).toBe('—');
    expect(gpuCell.textContent).not.toMatch(/0/);
    cleanup();
  });

  it('states that GPU processes are not visible instead of showing zeros', () => {
    const { show, q, cleanup } = setup();
    show(
      snapshot(T0, [], {
        gpu: gpu({ pidsVisible: false }),
        kernels: [kernel({ gpuMemoryBytes: null, gpuDevices: [] })]
      })
    );
    expect(q('.jp-ResourcePanel-degraded')!.textContent).toMatch(
      /^GPU processes are not visible from this container/
    );
    const row = q('.jp-ResourcePanel-kernel') as HTMLElement;
    expect(row.querySelector('.jp-ResourcePanel-colGpu')!.textContent).toBe(
      'not visible'
    );
    expect(row.dataset.gpuMemoryBytes).toBe('');
    // The device figures are still shown.
    expect(
      q('.jp-ResourcePanel-gpu .jp-ResourcePanel-gpuTitle')!.textContent
    ).toBe('GPU 0 · Tesla T4');
    cleanup();
  });

  it('flags idle GPU holders and shuts one down in one click', async () => {
    const shutdown = jest.fn(async () => true);
    const { show, q, qa, cleanup } = setup(shutdown);
    const holder = kernel({
      id: 'k-holder',
      notebooks: ['train.ipynb'],
      idleGpuHolder: true,
      idleSeconds: 1900,
      gpuMemoryBytes: 3210 * 1048576
    });
    const busy = kernel({
      id: 'k-busy',
      notebooks: ['busy.ipynb'],
      executionState: 'busy',
      idleSeconds: null,
      pssBytes: null,
      rssBytes: 2 * GB,
      cpuPercent: null
    });
    show(snapshot(T0, [], { kernels: [busy, holder] }));

    const notice = q('.jp-ResourcePanel-holders') as HTMLElement;
    expect(notice.hidden).toBe(false);
    expect(
      notice.querySelector('.jp-ResourcePanel-holderText')!.textContent
    ).toBe(
      'train.ipynb holds 3.4 GB of GPU memory and has been idle for 31 min 40 s.'
    );
    const rows = qa('.jp-ResourcePanel-kernel') as HTMLElement[];
    // The idle holder comes first, flagged.
    expect(rows.map(r => r.dataset.kernelId)).toEqual(['k-holder', 'k-busy']);
    expect(rows[0].classList).toContain('jp-mod-idleGpuHolder');
    expect(rows[0].querySelector('.jp-ResourcePanel-flag')!.textContent).toBe(
      'idle GPU holder'
    );
    expect(rows[1].querySelector('.jp-ResourcePanel-flag')).toBeNull();
    // Unknown CPU and PSS: a dash and the RSS, never a zero.
    const cells = Array.from(rows[1].querySelectorAll('td')).map(
      td => td.textContent
    );
    expect(cells.slice(0, 5)).toEqual([
      'busy.ipynb',
      '—',
      '2 GB',
      '3 GB',
      'busy'
    ]);

    (
      notice.querySelector('.jp-ResourcePanel-shutdown') as HTMLButtonElement
    ).click();
    expect(shutdown).toHaveBeenCalledWith(holder);
    await flush();
    MessageLoop.flush();
    const rowButton = rows[0].querySelector(
      '.jp-ResourcePanel-shutdown'
    ) as HTMLButtonElement;
    expect(rowButton.disabled).toBe(true);
    expect(rowButton.textContent).toBe('Shutting down…');

    // The kernel leaves the figures: its row and notice go.
    show(payload(T0 + 1000, { kernels: [busy] }));
    expect(qa('.jp-ResourcePanel-kernel')).toHaveLength(1);
    expect(notice.hidden).toBe(true);
    cleanup();
  });

  it('puts a cancelled shutdown back', async () => {
    const shutdown = jest.fn(async () => false);
    const { show, q, cleanup } = setup(shutdown);
    show(snapshot(T0, []));
    const button = q(
      '.jp-ResourcePanel-kernel .jp-ResourcePanel-shutdown'
    ) as HTMLButtonElement;
    button.click();
    await flush();
    MessageLoop.flush();
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe('Shut down');
    cleanup();
  });

  it('keeps a row and its focused button across updates', () => {
    const { show, q, cleanup } = setup();
    show(snapshot(T0, []));
    const button = q(
      '.jp-ResourcePanel-kernel .jp-ResourcePanel-shutdown'
    ) as HTMLButtonElement;
    button.focus();
    show(payload(T0 + 1000, { kernels: [kernel({ cpuPercent: 80 })] }));
    expect(q('.jp-ResourcePanel-kernel .jp-ResourcePanel-shutdown')).toBe(
      button
    );
    expect(document.activeElement).toBe(button);
    expect(
      q('.jp-ResourcePanel-kernel .jp-ResourcePanel-colCpu')!.textContent
    ).toBe('80 %');
    cleanup();
  });

  it('says what would appear when no kernel runs', () => {
    const { show, q, cleanup } = setup();
    show(snapshot(T0, [], { kernels: [] }));
    const empty = q(
      '.jp-ResourcePanel-kernels .jp-ResourcePanel-empty'
    ) as HTMLElement;
    expect(empty.hidden).toBe(false);
    expect(empty.textContent).toMatch(/^No kernel is running\./);
    cleanup();
  });

  it('lists MIG instances under their GPU and the group view when present', () => {
    const { show, q, qa, cleanup } = setup();
    show(
      snapshot(T0, [], {
        gpu: gpu({
          devices: [
            device({
              name: 'NVIDIA A100-SXM4-40GB',
              migMode: true,
              utilizationPercent: null,
              migInstances: [
                {
                  gpuInstanceId: 1,
                  computeInstanceId: 0,
                  profile: '3g.20gb',
                  memoryUsedBytes: 2 * GB,
                  memoryTotalBytes: 20 * GB,
                  utilizationPercent: null
                }
              ]
            })
          ],
          users: [
            {
              user: 'alice',
              uid: 1000,
              memoryBytes: 3 * GB,
              memoryShare: 0.6,
              devices: [0],
              utilizationPercent: null
            }
          ]
        })
      })
    );
    const gpuBox = q('.jp-ResourcePanel-gpu')!;
    expect(
      gpuBox.querySelector('.jp-ResourcePanel-gpuUtil .jp-ResourcePanel-value')!
        .textContent
    ).toBe('per MIG instance only (needs DCGM)');
    const instances = qa('.jp-ResourcePanel-migInstance');
    expect(instances).toHaveLength(1);
    expect(instances[0].textContent).toBe(
      '3g.20gb (GI 1, CI 0)2 / 20 GB (10 %) · utilisation needs DCGM'
    );
    const users = q('.jp-ResourcePanel-users') as HTMLElement;
    expect(users.hidden).toBe(false);
    expect(
      Array.from(users.querySelectorAll('tbody td')).map(td => td.textContent)
    ).toEqual(['alice', '3 GB (60 %)', 'GPU 0', 'shared GPU']);
    cleanup();
  });

  it('shows an error in one sentence with the details behind a disclosure', async () => {
    const { client, show, q, panel, cleanup } = setup();
    show(snapshot(T0, []));
    expect((q('.jp-ResourcePanel-banner') as HTMLElement).hidden).toBe(true);
    client.setState('disconnected');
    await flush();
    MessageLoop.flush();
    const banner = q('.jp-ResourcePanel-banner') as HTMLElement;
    expect(banner.hidden).toBe(false);
    expect(banner.getAttribute('role')).toBe('alert');
    expect(
      banner.querySelector('.jp-ResourcePanel-sentence')!.textContent
    ).toMatch(/^The connection to the bridge is lost/);
    expect(banner.querySelector('details pre')!.textContent).toMatch(
      /health check/
    );
    expect(panel.hasClass('jp-mod-stale')).toBe(true);
    cleanup();
  });

  it('opens the charts in a tab from its header', () => {
    const { q, openCharts, cleanup } = setup();
    (q('.jp-ResourcePanel-openCharts') as HTMLButtonElement).click();
    expect(openCharts).toHaveBeenCalledTimes(1);
    cleanup();
  });
});

describe('KernelTable.sorted', () => {
  it('puts idle GPU holders first, then the largest memory', () => {
    const sorted = KernelTable.sorted([
      kernel({ id: 'small', pssBytes: 1 }),
      kernel({ id: 'big', pssBytes: 5 }),
      kernel({ id: 'holder', pssBytes: 2, idleGpuHolder: true }),
      kernel({ id: 'unknown', pssBytes: null, rssBytes: null })
    ]);
    expect(sorted.map(k => k.id)).toEqual([
      'holder',
      'big',
      'small',
      'unknown'
    ]);
  });
});
