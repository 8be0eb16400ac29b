/**
 * The real bundle as a child process (standalone mode), for tests that kill the bridge.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from '../helpers';

const REPO = path.resolve(__dirname, '..', '..', '..');

export const CHILD_TOKEN = 'data-child-token-0123456789';

/** Build the bundle once into a temporary directory. */
export async function buildBundle(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-data-bundle-'));
  const bundle = path.join(dir, 'bridge.cjs');
  await promisify(execFile)(process.execPath, [
    path.join(__dirname, '..', '..', 'scripts', 'bundle.mjs'),
    '--outfile',
    bundle
  ]);
  writeFileSync(path.join(dir, 'token'), CHILD_TOKEN);
  return bundle;
}

export interface IChildBridge {
  proc: ChildProcess;
  base: string;
  exited: Promise<number | null>;
  out(): string;
  json(
    method: string,
    p: string,
    body?: unknown
  ): Promise<{ status: number; body: any }>;
}

/** Start the bundle with a config; resolves once it listens. */
export async function launchBridge(
  bundle: string,
  config: unknown,
  env: NodeJS.ProcessEnv
): Promise<IChildBridge> {
  const dir = path.dirname(bundle);
  const configFile = path.join(dir, `config-${Date.now()}.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const proc = spawn(
    process.execPath,
    [
      bundle,
      '--listen',
      '127.0.0.1:0',
      '--token-file',
      path.join(dir, 'token'),
      '--config',
      configFile
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        // The bundle runs from a temporary folder: say where burst's Python files are.
        MLINFN_BURST_PYTHON_DIR: path.join(REPO, 'mlinfn_lab', 'burst'),
        ...env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let out = '';
  proc.stdout!.on('data', d => (out += d));
  proc.stderr!.on('data', d => (out += d));
  const exited = new Promise<number | null>(resolve =>
    proc.on('exit', code => resolve(code))
  );
  let address = '';
  for (let i = 0; i < 400 && !address; i++) {
    for (const line of out.split('\n')) {
      if (line.startsWith('{') && JSON.parse(line).msg === 'listening') {
        address = JSON.parse(line).address;
      }
    }
    if (proc.exitCode !== null) {
      break;
    }
    await new Promise(r => setTimeout(r, 25));
  }
  if (!address) {
    throw new Error(`the bridge did not start:\n${out}`);
  }
  const base = `http://${address}`;
  return {
    proc,
    base,
    exited,
    out: () => out,
    async json(method, p, body) {
      // Node's http, not fetch: fetch refuses a few ports the kernel may hand out
      // (the Fetch standard's bad ports, such as 6000 or 10080).
      const res = await request(
        base,
        method,
        p,
        {
          Authorization: `Bearer ${CHILD_TOKEN}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
        },
        body === undefined ? undefined : JSON.stringify(body)
      );
      return {
        status: res.status,
        body: res.text ? JSON.parse(res.text) : undefined
      };
    }
  };
}
