/**
 * The real esbuild bundle, run as a child process the way jupyter-server-proxy and the
 * standalone command run it.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request, SECRET, SERVER_ID, ticket, TOKEN } from './helpers';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-cli-'));
const bundle = path.join(dir, 'bridge.cjs');
const tokenFile = path.join(dir, 'token');

interface IChild {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function launch(args: string[], env: NodeJS.ProcessEnv = {}): IChild {
  const proc = spawn(process.execPath, [bundle, ...args], {
    env: { PATH: process.env.PATH, HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  proc.stdout!.on('data', d => (out += d));
  proc.stderr!.on('data', d => (out += d));
  const exited = new Promise<number | null>(resolve =>
    proc.on('exit', code => resolve(code))
  );
  return { proc, out: () => out, exited };
}

/** Wait for the JSON log line `{"msg":"listening","address":...}`. */
async function listening(child: IChild): Promise<string> {
  for (let i = 0; i < 200; i++) {
    for (const line of child.out().split('\n')) {
      if (line.startsWith('{') && JSON.parse(line).msg === 'listening') {
        return JSON.parse(line).address;
      }
    }
    if (child.proc.exitCode !== null) {
      break;
    }
    await new Promise(r => setTimeout(r, 25));
  }
  throw new Error(`the bridge did not start:\n${child.out()}`);
}

async function stops(child: IChild): Promise<void> {
  const started = Date.now();
  child.proc.kill('SIGTERM');
  expect(await child.exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(5000);
}

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [
    path.join(__dirname, '..', 'scripts', 'bundle.mjs'),
    '--outfile',
    bundle
  ]);
  writeFileSync(tokenFile, `  ${TOKEN}\n`);
}, 60000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundle, standalone mode', () => {
  it('needs the token for everything, and exits 0 promptly on SIGTERM', async () => {
    const child = launch([
      '--listen',
      '127.0.0.1:0',
      '--token-file',
      tokenFile
    ]);
    const base = `http://${await listening(child)}`;
    expect((await request(base, 'GET', '/healthz')).status).toBe(401);
    const ok = await request(base, 'GET', '/healthz', {
      authorization: `Bearer ${TOKEN}`
    });
    expect(ok.status).toBe(200);
    expect(ok.json().status).toBe('ok');
    await stops(child);
    expect(child.out()).not.toContain(TOKEN);
  });

  it.each([
    [
      { limits: { maxFrameBytes: 10 } },
      'config error: /limits/maxFrameBytes must be >= 1024'
    ],
    [
      { limits: { maxFrameBytez: 4096 } },
      'config error: unknown key "limits.maxFrameBytez"'
    ]
  ])('refuses to start with a bad config %j', async (config, message) => {
    const file = path.join(dir, 'bad-config.json');
    writeFileSync(file, JSON.stringify(config));
    const child = launch([
      '--listen',
      '127.0.0.1:0',
      '--token-file',
      tokenFile,
      '--config',
      file
    ]);
    expect(await child.exited).toBe(2);
    expect(child.out()).toContain(message);
  });

  it.each([
    [
      ['--listen', '127.0.0.1:0', '--token-file', tokenFile, '--verbose'],
      /Unknown option '--verbose'[\s\S]*usage:/
    ],
    [['--listen', '127.0.0.1:0'], /--listen with --token-file/],
    [['--listen', 'nowhere', '--token-file', tokenFile], /HOST:PORT/],
    [
      ['--listen', '127.0.0.1:0', '--token-file', path.join(dir, 'missing')],
      /cannot read the token file/
    ],
    [['--unix-socket', path.join(dir, 's.sock')], /MLINFN_BRIDGE_SECRET/]
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const child = launch(args);
    expect(await child.exited).toBe(2);
    expect(child.out()).toMatch(message);
  });

  it('refuses an empty token file', async () => {
    const empty = path.join(dir, 'empty-token');
    writeFileSync(empty, ' \n');
    const child = launch(['--listen', '127.0.0.1:0', '--token-file', empty]);
    expect(await child.exited).toBe(2);
    expect(child.out()).toContain('is empty');
  });
});

describe('the bundle, proxy mode', () => {
  const env = {
    MLINFN_BRIDGE_SECRET: SECRET.toString('hex'),
    MLINFN_SERVER_ID: SERVER_ID
  };

  it('exits 2 without a server id', async () => {
    const child = launch(['--unix-socket', path.join(dir, 'x.sock')], {
      MLINFN_BRIDGE_SECRET: env.MLINFN_BRIDGE_SECRET
    });
    expect(await child.exited).toBe(2);
    expect(child.out()).toContain('MLINFN_SERVER_ID');
  });

  it('serves a private unix socket, replacing a stale one, and removes it on SIGTERM', async () => {
    const socketPath = path.join(dir, 'bridge.sock');
    // A socket file in the way, as a crashed run leaves it (a closed server would unlink it).
    const stale = http.createServer();
    await new Promise<void>(r => stale.listen(socketPath, r));
    const child = launch(['--unix-socket', socketPath], env);
    expect(await listening(child)).toBe(socketPath);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(
          { socketPath, path: '/api/whoami', headers },
          res => {
            let body = '';
            res.on('data', d => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          }
        );
        req.on('error', reject);
      });
    expect((await get({})).status).toBe(401);
    const who = await get({ 'x-mlinfn-ticket': ticket() });
    expect(who.status).toBe(200);
    expect(JSON.parse(who.body).user.username).toBe('alice');
    await stops(child);
    expect(existsSync(socketPath)).toBe(false);
    stale.close();
  });
  it('shuts down when the Jupyter server that launched it dies without a signal', async () => {
    const socketPath = path.join(dir, 'orphan.sock');
    // A stand-in for the Jupyter server: it launches the bridge, reports its pid, then is killed
    // with SIGKILL, as a crashed server would be.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').spawn(process.execPath, ${JSON.stringify(
          [bundle, '--unix-socket', socketPath]
        )}, { stdio: 'ignore', env: ${JSON.stringify({ ...env, PATH: process.env.PATH, HOME: dir })} });
         console.log(c.pid); setInterval(() => {}, 1000);`
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    const bridgePid = await new Promise<number>(resolve =>
      parent.stdout!.once('data', d => resolve(Number(String(d).trim())))
    );
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && !existsSync(socketPath); i++) {
      await new Promise(r => setTimeout(r, 25));
    }
    expect(existsSync(socketPath)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(bridgePid); i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    expect(alive(bridgePid)).toBe(false);
    expect(existsSync(socketPath)).toBe(false);
  });
});
