/**
 * A real JupyterHub for the collaborative-editing UI tests (tests/collab-hub.spec.ts): the
 * Hub, configurable-http-proxy and the users' single-user servers run from the repository's
 * .venv and node_modules, on free ports of 127.0.0.1, with everything they write in a
 * temporary directory. The configuration is hub/jupyterhub_config.py (it reads the
 * `MLINFN_HUB_*` variables set here).
 *
 * `stop()` stops the Hub (which stops the servers and the proxy it started) and then kills
 * whatever it left behind: every process seen below the Hub while it ran (single-user servers
 * run in sessions of their own, so a process group is not enough), each only if it is still
 * the same process (its start time in /proc matches).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..');

/** Ports that Chromium and fetch refuse (the Fetch standard's bad ports). */
const UNSAFE_PORTS = new Set<number>(
  JSON.parse(
    fs.readFileSync(path.join(REPO, 'scripts', 'unsafe-ports.json'), 'utf8')
  ).ports
);
const VENV_BIN = path.join(REPO, '.venv', 'bin');
const CHP = path.join(REPO, 'node_modules', '.bin', 'configurable-http-proxy');
const CONFIG = path.join(__dirname, 'jupyterhub_config.py');

/**
 * The password of every Hub user (DummyAuthenticator).
 */
export const PASSWORD = 'correct horse battery staple';

/**
 * A free TCP port on 127.0.0.1.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    // Chromium and fetch refuse the Fetch standard's bad ports (scripts/unsafe-ports.json).
    if (!UNSAFE_PORTS.has(port)) {
      return port;
    }
  }
}

/**
 * A process's start time (field 22 of /proc/PID/stat), or null when it is gone.
 */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Every live descendant of `pid`, with its start time (from /proc).
 */
function descendants(pid: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found = new Map<number, string>();
  const todo = [pid];
  while (todo.length > 0) {
    for (const child of children.get(todo.pop()!) ?? []) {
      const started = startTime(child);
      if (!found.has(child) && started !== null) {
        found.set(child, started);
        todo.push(child);
      }
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * An error that ends `waitFor` at once (the Hub exited: nothing will get better).
 */
export class FatalError extends Error {}

/**
 * Poll `predicate` until it returns something truthy, or fail after `timeoutMs`.
 */
export async function waitFor<T>(
  predicate: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 500
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const result = await predicate();
      if (result) {
        return result;
      }
    } catch (error) {
      if (error instanceof FatalError) {
        throw error;
      }
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}` +
      (lastError ? ` (last error: ${lastError})` : '')
  );
}

/**
 * A running JupyterHub.
 */
export class Hub {
  constructor(
    readonly url: string,
    readonly tmp: string,
    private _process: ChildProcess
  ) {
    this._exited = new Promise(resolve => {
      _process.once('exit', () => resolve());
    });
    // Children are recorded while they live: one that outlives its parent is re-parented
    // and could not be found from the Hub at the end.
    this._watch = setInterval(() => this._record(), 1000);
    this._watch.unref();
    // Should the test process end without `stop()` (interrupted), kill everything at once.
    process.once('exit', this._killNow);
  }

  /**
   * The Hub's log (with the proxy's and the single-user servers' output).
   */
  get log(): string {
    return path.join(this.tmp, 'hub.log');
  }

  /**
   * The directory the single-user servers serve.
   */
  get notebookDir(): string {
    return path.join(this.tmp, 'notebooks');
  }

  /**
   * Whether the Hub process is still running.
   */
  get running(): boolean {
    return this._process.exitCode === null && this._process.signalCode === null;
  }

  /**
   * The last lines of the log.
   */
  logTail(lines = 80): string {
    try {
      return fs
        .readFileSync(this.log, 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * A request to the Hub (`/hub/api/...`) or a server behind it (`/user/...`), with a token.
   * Answers the parsed JSON body (or null when there is none); fails on an error status.
   */
  async request(
    method: string,
    urlPath: string,
    token: string | null,
    body?: unknown
  ): Promise<any> {
    const headers: Record<string, string> = {};
    if (token) {
      headers.Authorization = `token ${token}`;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(`${this.url}${urlPath}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual'
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `${method} ${urlPath}: ${response.status} ${text.slice(0, 500)}`
      );
    }
    return text ? JSON.parse(text) : null;
  }

  /**
   * An API token for a user, obtained with their password (`POST /hub/api/users/NAME/tokens`
   * authenticated by the request body, as `jupyterhub token` does).
   */
  async token(user: string): Promise<string> {
    const model = await this.request(
      'POST',
      `/hub/api/users/${user}/tokens`,
      null,
      {
        auth: { username: user, password: PASSWORD },
        note: 'mlinfn-lab UI tests',
        expires_in: 3600
      }
    );
    return model.token as string;
  }

  /**
   * Start a user's server and wait until it answers through the proxy.
   */
  async startServer(user: string, token: string): Promise<void> {
    await this.request('POST', `/hub/api/users/${user}/server`, token, {});
    await waitFor(
      async () => {
        if (!this.running) {
          throw new FatalError(`jupyterhub exited:\n${this.logTail()}`);
        }
        const model = await this.request(
          'GET',
          `/hub/api/users/${user}`,
          token
        );
        if (!model.servers?.['']?.ready) {
          return false;
        }
        const api = await fetch(`${this.url}/user/${user}/api/status`, {
          headers: { Authorization: `token ${token}` }
        });
        return api.ok;
      },
      240000,
      `${user}'s single-user server`,
      1000
    );
  }

  /**
   * Stop the Hub and everything it started, however the tests ended.
   */
  async stop(): Promise<void> {
    clearInterval(this._watch);
    process.off('exit', this._killNow);
    this._record();
    if (this.running) {
      this._process.kill('SIGTERM'); // the Hub stops the servers and the proxy
      const stopped = await Promise.race([
        this._exited.then(() => true),
        sleep(30000).then(() => false)
      ]);
      if (!stopped) {
        this._process.kill('SIGKILL');
        await Promise.race([this._exited, sleep(10000)]);
      }
    }
    const alive = () =>
      [...this._seen].filter(([pid, started]) => startTime(pid) === started);
    const deadline = Date.now() + 10000;
    while (alive().length > 0 && Date.now() < deadline) {
      await sleep(200);
    }
    for (const [pid] of alive()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }

  /**
   * Remove the temporary directory (after `stop()`).
   */
  removeFiles(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  private _killNow = (): void => {
    this._record();
    for (const pid of [this._process.pid, ...this._seen.keys()]) {
      if (pid === undefined) {
        continue;
      }
      const started = this._seen.get(pid);
      if (started !== undefined && startTime(pid) !== started) {
        continue; // gone, and the number reused
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };

  private _record(): void {
    if (this._process.pid === undefined) {
      return;
    }
    try {
      for (const [pid, started] of descendants(this._process.pid)) {
        this._seen.set(pid, started);
      }
    } catch {
      // /proc changed under us: the next round catches up
    }
  }

  private _exited: Promise<void>;
  private _seen = new Map<number, string>();
  private _watch: ReturnType<typeof setInterval>;
}

/**
 * Start JupyterHub and wait until its API answers.
 */
export async function startHub(): Promise<Hub> {
  for (const needed of [
    path.join(VENV_BIN, 'jupyterhub'),
    path.join(VENV_BIN, 'jupyterhub-singleuser'),
    CHP
  ]) {
    if (!fs.existsSync(needed)) {
      throw new Error(
        `${needed} is missing: run scripts/setup.sh at the repository root first`
      );
    }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlinfn-hub-ui-'));
  for (const dir of ['notebooks', 'home']) {
    fs.mkdirSync(path.join(tmp, dir));
  }
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [VENV_BIN, process.env.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
    MLINFN_HUB_TMP: tmp,
    MLINFN_HUB_VENV_BIN: VENV_BIN,
    MLINFN_HUB_CHP: CHP,
    MLINFN_HUB_PASSWORD: PASSWORD,
    MLINFN_HUB_PORT: String(port),
    MLINFN_HUB_HUB_PORT: String(await freePort()),
    MLINFN_HUB_PROXY_API_PORT: String(await freePort())
  };
  delete env.PYTHONPATH;
  const log = fs.openSync(path.join(tmp, 'hub.log'), 'a');
  const child = spawn(path.join(VENV_BIN, 'jupyterhub'), ['-f', CONFIG], {
    cwd: tmp,
    env,
    stdio: ['ignore', log, log],
    detached: true
  });
  fs.closeSync(log);
  const hub = new Hub(`http://127.0.0.1:${port}`, tmp, child);
  try {
    await waitFor(
      async () => {
        if (!hub.running) {
          throw new FatalError(`jupyterhub exited:\n${hub.logTail()}`);
        }
        const response = await fetch(`${hub.url}/hub/api`);
        return response.ok;
      },
      120000,
      'JupyterHub to answer on /hub/api'
    );
  } catch (error) {
    await hub.stop();
    throw new Error(`${error}\n${hub.logTail()}`);
  }
  return hub;
}
