// The suite's bridge behind a benchmark's Jupyter server: started on demand by
// jupyter-server-proxy (the first request to `{base}mlinfn-bridge/` launches it), found among the
// server's descendants. Moved here from bench/monitor/sample-cpu.mjs. Also a standalone bridge
// (`--listen` on a free port, a bearer token) for the benchmarks that talk to it directly.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cmdline,
  descendants,
  freePort,
  sleep,
  spawnManaged
} from './proc.mjs';

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

/**
 * A standalone bridge: `bundle` with `config` (plus a state dir and `logLevel: warn`) in a fresh
 * temporary `dir` holding its token and config, listening on a free port of 127.0.0.1, started
 * with exactly `env` (make it from `dir` with `envFor`), in `cwd`. Resolves once `/healthz`
 * answers, to `{ url, token, dir, proc }`.
 */
export async function startStandaloneBridge({
  bundle,
  config,
  prefix,
  envFor = () => ({ ...process.env }),
  cwd
}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  writeFileSync(path.join(dir, 'token'), token);
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      stateDir: path.join(dir, 'state'),
      logLevel: 'warn',
      ...config
    })
  );
  const port = await freePort();
  const proc = spawnManaged(
    process.execPath,
    [
      bundle,
      '--listen',
      `127.0.0.1:${port}`,
      '--token-file',
      path.join(dir, 'token'),
      '--config',
      path.join(dir, 'config.json')
    ],
    { cwd: cwd?.(dir), env: envFor(dir) }
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`, {
        headers: { Authorization: `Bearer ${token}` }
      });
      if (res.ok) {
        break;
      }
    } catch {
      // starting
    }
    if (Date.now() > deadline || proc.child.exitCode !== null) {
      throw new Error(`the bridge did not start:\n${proc.output()}`);
    }
    await sleep(25);
  }
  return { url, token, dir, proc };
}
