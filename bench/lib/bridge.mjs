// The suite's bridge behind a benchmark's Jupyter server: started on demand by
// jupyter-server-proxy (the first request to `{base}mlinfn-bridge/` launches it), found among the
// server's descendants. Moved here from bench/monitor/sample-cpu.mjs.
import { cmdline, descendants, sleep } from './proc.mjs';

/** The bridge process started by jupyter-server-proxy for this server. */
export function findBridge(serverPid) {
  return (
    descendants(serverPid).find(p => /bridge\.cjs/.test(cmdline(p))) ?? null
  );
}

/** The unix socket the bridge listens on (its `--unix-socket` argument), or null. */
export function bridgeSocket(bridgePid) {
  const args = cmdline(bridgePid).trim().split(' ');
  const i = args.indexOf('--unix-socket');
  return i >= 0 ? (args[i + 1] ?? null) : null;
}

/**
 * Start the bridge through the proxy (`GET mlinfn-bridge/healthz`, retried until it answers);
 * resolves to the bridge's pid.
 */
export async function startBridge(jupyter, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${jupyter.url}mlinfn-bridge/healthz`, {
        headers: jupyter.headers,
        signal: AbortSignal.timeout(timeoutMs)
      });
      if (r.ok) {
        break;
      }
    } catch {
      // starting
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the bridge did not start:\n${jupyter.server.output().slice(-3000)}`
      );
    }
    await sleep(500);
  }
  const pid = findBridge(jupyter.pid);
  if (!pid) {
    throw new Error('bridge process not found under the Jupyter server');
  }
  jupyter.server.remember();
  return pid;
}
