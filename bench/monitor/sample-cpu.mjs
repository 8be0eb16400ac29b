// monitor-sample-cpu: CPU time per sample of the bridge's sampler (pushed on the `metrics`
// channel, through jupyter-server-proxy) vs jupyter-resource-usage's `GET /api/metrics/v1`, in
// ONE Jupyter server with both installed, the same kernels running, the same rate (1 s).
//
// Phases, interleaved in every round (the order of the two active ones alternates):
//   idle    nobody watches; the server's and the bridge's CPU per second (the baselines)
//   bridge  one WebSocket client subscribed to `metrics`: the bridge's CPU (with its children,
//           live and reaped) and the server's CPU above its idle baseline (the proxy relaying the
//           frames, the bridge's kernel-list calls), per sample received
//   anchor  one client polling /api/metrics/v1 each second: the server's CPU above its idle
//           baseline, per request (the bridge sits idle meanwhile and is not counted)
import WebSocket from 'ws';
import { startBridge } from '../lib/bridge.mjs';
import { startJupyter, startKernels } from '../lib/jupyter.mjs';
import {
  cpuSeconds,
  fmt,
  median,
  sleep,
  treeCpuSeconds
} from '../lib/proc.mjs';
import { ensurePythonAnchors, BENCH_SITE } from './jupyter.mjs';

/**
 * Subscribe to `metrics` over the bridge WebSocket (through the proxy) until `samples` fresh
 * samples arrived; returns {samples, last, snapshot}. `before` runs just before the
 * socket opens (where the caller takes its CPU snapshot).
 */
async function watchMetrics(jupyter, samples, { before, timeoutMs }) {
  const { ticket } = await jupyter.api('GET', 'mlinfn/ticket');
  const wsUrl = `${jupyter.url.replace(/^http/, 'ws')}mlinfn-bridge/ws?token=${jupyter.token}`;
  before();
  const ws = new WebSocket(wsUrl);
  let got = 0;
  let last = null;
  let snapshot = null;
  const closed = new Promise(resolve => ws.on('close', resolve));
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `only ${got}/${samples} metrics samples in ${timeoutMs / 1000} s`
            )
          ),
        timeoutMs
      );
      ws.on('error', err => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', (code, reason) => {
        clearTimeout(timer);
        reject(new Error(`bridge socket closed early: ${code} ${reason}`));
      });
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'auth', ticket }));
      });
      ws.on('message', raw => {
        const msg = JSON.parse(raw.toString());
        if (msg.type === 'ready') {
          ws.send(JSON.stringify({ type: 'subscribe', channel: 'metrics' }));
        } else if (msg.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`bridge: ${msg.reason}`));
        } else if (msg.type === 'data' && msg.channel === 'metrics') {
          if (msg.payload && 'history' in msg.payload) {
            snapshot = msg.payload; // the catch-up snapshot on subscribe: not a new sample
            return;
          }
          got++;
          last = msg.payload;
          if (got >= samples) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
  } finally {
    ws.removeAllListeners('close');
    ws.on('close', () => {});
    ws.close();
    await Promise.race([closed, sleep(3000)]);
    if (ws.readyState !== WebSocket.CLOSED) {
      ws.terminate();
    }
  }
  return { samples: got, last, snapshot };
}

/** Poll /api/metrics/v1 every `intervalMs`, `count` times; returns the last answer. */
async function pollAnchor(jupyter, count, intervalMs) {
  const t0 = Date.now();
  let last = null;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * intervalMs;
    if (due > Date.now()) {
      await sleep(due - Date.now());
    }
    last = await jupyter.api('GET', 'api/metrics/v1');
  }
  return last;
}

/**
 * Run the benchmark; `log` prints `#` lines. Returns {ratio, ...figures}.
 */
export async function sampleCpu({ smoke, log }) {
  const kernelsWanted = 3;
  const rounds = smoke ? 1 : 5;
  const samples = smoke ? 4 : 20; // per active phase, at 1 s
  const idleMs = smoke ? 3000 : 15000;
  const intervalMs = 1000;

  ensurePythonAnchors(log);
  const jupyter = await startJupyter({
    app: 'jupyter-server',
    name: 'sample-cpu',
    env: { PYTHONPATH: BENCH_SITE },
    config: {
      // the anchor, enabled for this server only (mlinfn_lab and jupyter-server-proxy are
      // enabled by .venv's own config)
      'ServerApp.jpserver_extensions': { jupyter_resource_usage: true },
      // as close as it goes to what the bridge samples: CPU and disk too, not only memory
      'ResourceUseDisplay.track_cpu_percent': true,
      'ResourceUseDisplay.track_disk_usage': true,
      // its 1 Hz Prometheus callback runs whether anyone polls or not: off, for a quieter
      // baseline (it is not part of answering /api/metrics/v1)
      'ResourceUseDisplay.enable_prometheus_metrics': false
    }
  });
  try {
    await jupyter.api('GET', 'api/metrics/v1'); // handler loaded?
    const kernels = await startKernels(jupyter, kernelsWanted);
    const bridgePid = await startBridge(jupyter);
    const serverPid = jupyter.pid;
    const serverCpu = () => cpuSeconds(serverPid);
    const bridgeCpu = () => treeCpuSeconds(bridgePid);

    // Warm-up, not counted: JIT, the first kernel-list call, psutil's process cache.
    const warm = await watchMetrics(jupyter, smoke ? 2 : 5, {
      before() {},
      timeoutMs: 60000
    });
    const anchorAnswer = await pollAnchor(jupyter, smoke ? 2 : 5, intervalMs);
    const gpu = warm.last?.gpu;
    log(
      `# monitor-sample-cpu: one jupyter-server (pid ${serverPid}) with mlinfn_lab + jupyter-server-proxy + ` +
        `jupyter_resource_usage ${await anchorVersion()}; ${kernels.length} python3 kernels running; bridge pid ${bridgePid}`
    );
    log(
      `#   bridge sample: ${warm.last?.kernels?.length ?? 0} kernels, host CPU ${warm.last?.host?.cpuPercent ?? 'n/a'} %, ` +
        `GPU status ${gpu?.status ?? 'n/a'} (no nvidia-smi here: GPU cost is monitor-gpu-sample-cpu); ` +
        `anchor answer keys: ${Object.keys(anchorAnswer ?? {}).join(',')} (track_cpu_percent, track_disk_usage on; prometheus callback off)`
    );

    const idle = [];
    const rows = [];
    for (let r = 0; r < rounds; r++) {
      // idle window: nobody watches
      {
        const s0 = serverCpu();
        const b0 = bridgeCpu();
        const t0 = Date.now();
        await sleep(idleMs);
        const dt = (Date.now() - t0) / 1000;
        idle.push({
          server: (serverCpu() - s0) / dt,
          bridge: (bridgeCpu() - b0) / dt
        });
      }
      const row = { round: r };
      const order = r % 2 === 0 ? ['bridge', 'anchor'] : ['anchor', 'bridge'];
      for (const side of order) {
        if (side === 'bridge') {
          let s0;
          let b0;
          let t0;
          const res = await watchMetrics(jupyter, samples, {
            before() {
              s0 = serverCpu();
              b0 = bridgeCpu();
              t0 = Date.now();
            },
            timeoutMs: samples * intervalMs * 3 + 30000
          });
          await sleep(200);
          row.bridge = {
            seconds: (Date.now() - t0) / 1000,
            n: res.samples,
            bridgeCpu: bridgeCpu() - b0,
            serverCpu: serverCpu() - s0,
            kernels: res.last?.kernels?.length ?? 0
          };
        } else {
          const s0 = serverCpu();
          const t0 = Date.now();
          await pollAnchor(jupyter, samples, intervalMs);
          await sleep(200);
          row.anchor = {
            seconds: (Date.now() - t0) / 1000,
            n: samples,
            serverCpu: serverCpu() - s0
          };
        }
      }
      rows.push(row);
    }

    // Baselines: the median idle rates over all idle windows.
    const idleServer = median(idle.map(i => i.server));
    const idleBridge = median(idle.map(i => i.bridge));
    const per = rows.map(({ bridge, anchor }) => {
      const anchorPer =
        (anchor.serverCpu - idleServer * anchor.seconds) / anchor.n;
      const bridgeOnly = bridge.bridgeCpu / bridge.n;
      const proxyPer =
        (bridge.serverCpu - idleServer * bridge.seconds) / bridge.n;
      const bridgeAboveIdle =
        (bridge.bridgeCpu - idleBridge * bridge.seconds) / bridge.n;
      return {
        anchorPer,
        bridgeOnly,
        proxyPer,
        ours: bridgeOnly + proxyPer,
        bridgeAboveIdle,
        ratio: (bridgeOnly + proxyPer) / anchorPer,
        ratioBridgeOnly: bridgeOnly / anchorPer,
        ratioAboveIdle: bridgeAboveIdle / anchorPer,
        ratioSymmetric: (bridgeAboveIdle + proxyPer) / anchorPer,
        kernels: bridge.kernels
      };
    });
    const ms = x => `${fmt(x * 1000)} ms`;
    log(
      `#   ${rounds} round(s), each: idle ${idleMs / 1000} s, then bridge and anchor phases of ${samples} samples at 1 s (order alternating); CPU from /proc/<pid>/stat (10 ms ticks)`
    );
    log(
      `#   idle baselines (median of ${idle.length}): server ${ms(idleServer)}/s, bridge ${ms(idleBridge)}/s (the bridge samples every 10 s while nobody watches)`
    );
    for (const [i, p] of per.entries()) {
      log(
        `#   round ${i + 1}: ours ${ms(p.ours)}/sample = bridge ${ms(p.bridgeOnly)} + proxy in the server ${ms(p.proxyPer)}; ` +
          `anchor ${ms(p.anchorPer)}/request above idle; ratio ${fmt(p.ratio)} (${p.kernels} kernels in the samples)`
      );
    }
    const ratio = median(per.map(p => p.ratio));
    log(
      `#   medians: ours ${ms(median(per.map(p => p.ours)))}/sample (bridge ${ms(median(per.map(p => p.bridgeOnly)))}, proxy ${ms(median(per.map(p => p.proxyPer)))}), anchor ${ms(median(per.map(p => p.anchorPer)))}/request`
    );
    log(
      "#   the ratio charges us the bridge's whole CPU (no idle subtracted, its df children included once reaped, live children read directly) plus the server's CPU above idle while relaying; " +
        'the anchor is charged the server CPU above idle only (its work is in-process Python: there is nothing else to count)'
    );
    log(
      `#   other definitions (not the headline): bridge CPU alone ${fmt(median(per.map(p => p.ratioBridgeOnly)))}; ` +
        `bridge above its own idle ${fmt(median(per.map(p => p.ratioAboveIdle)))}; ` +
        `both sides above their idle (bridge above its idle + relay) ${fmt(median(per.map(p => p.ratioSymmetric)))}`
    );
    return { ratio };
  } finally {
    try {
      for (const k of (await jupyter.api('GET', 'api/kernels', null, 5000)) ??
        []) {
        await jupyter
          .api('DELETE', `api/kernels/${k.id}`, null, 10000)
          .catch(() => {});
      }
    } catch {
      // the server is going anyway
    }
    await jupyter.stop();
  }
}

async function anchorVersion() {
  const { execFileSync } = await import('node:child_process');
  const { PYTHON } = await import('../lib/jupyter.mjs');
  try {
    return execFileSync(
      PYTHON,
      ['-c', 'import jupyter_resource_usage as m; print(m.__version__)'],
      { env: { ...process.env, PYTHONPATH: BENCH_SITE } }
    )
      .toString()
      .trim();
  } catch {
    return '?';
  }
}
