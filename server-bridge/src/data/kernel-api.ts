/**
 * The kernel API: a second, local-only unix socket through which kernels (same user, but no
 * Jupyter token or ticket) stage objects. The bridge writes `<stateDir>/data-api.json` (0600)
 * with the socket path and a random token; `mlinfn_lab.data.stage()` reads it. docs/data.md.
 * When the bridge's state dir is not the one the server extension handed it (`stateDir` set in
 * the bridge config only), a copy goes there too, where kernels look by default.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  unlink,
  writeFile
} from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type {
  DataStageEntry,
  DataStageProgress,
  DataStageRequest
} from '../schema-types';
import { errorBody } from '../http/errors';
import { describeAjvError } from '../schemas';
import type { Stager } from './cache/stager';
import { DataError } from './errors';
import { dataValidators } from './validators';

/** The file kernels read. */
export const KERNEL_API_FILE = 'data-api.json';

/** The longest unix socket path Linux takes (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

export interface IKernelApi {
  /** The socket path. */
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * Where else kernels look for the file: the state dir the server extension passes in
 * `$MLINFN_STATE_DIR` (kernels get the server's environment, so its default is theirs), when
 * the bridge uses another one.
 */
export function kernelLookupDirs(
  stateDir: string,
  env: NodeJS.ProcessEnv
): string[] {
  const given = env.MLINFN_STATE_DIR;
  if (!given || !path.isAbsolute(given)) {
    return [];
  }
  return path.resolve(given) === path.resolve(stateDir)
    ? []
    : [path.resolve(given)];
}

/** Start the kernel API; the returned object closes it and removes its files. */
export async function startKernelApi(options: {
  stateDir: string;
  stager: Stager;
  logger: Logger;
  /** Other folders that get a copy of the file (`kernelLookupDirs`). */
  alsoIn?: string[];
}): Promise<IKernelApi> {
  const { stateDir, stager, logger } = options;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  let socketPath = path.join(stateDir, 'data-api.sock');
  let privateDir: string | undefined;
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    privateDir = await mkdtemp(path.join(os.tmpdir(), 'mlinfn-data-'));
    await chmod(privateDir, 0o700);
    socketPath = path.join(privateDir, 'api.sock');
  }
  const stat = await lstat(socketPath).catch(() => undefined);
  if (stat?.isSocket()) {
    await unlink(socketPath);
  }
  const server = http.createServer((req, res) => {
    handle(req, res, token, stager).catch(err => {
      logger.warn(
        { err: (err as Error).message },
        'data: kernel API request failed'
      );
      if (!res.headersSent) {
        send(res, 500, 'the bridge failed to answer');
      } else {
        res.end();
      }
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  const body = JSON.stringify({ socket: socketPath, token, pid: process.pid });
  const file = path.join(stateDir, KERNEL_API_FILE);
  await writeApiFile(file, body);
  const copies: string[] = [];
  for (const dir of options.alsoIn ?? []) {
    const copy = path.join(dir, KERNEL_API_FILE);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeApiFile(copy, body);
      copies.push(copy);
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        'data: could not leave the kernel API file where kernels look by default'
      );
    }
  }
  logger.info({ socket: socketPath }, 'data: kernel API listening');
  return {
    socketPath,
    async close() {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      // Another bridge may have taken the file over since: remove only our own.
      for (const f of [file, ...copies]) {
        const current = await readFile(f, 'utf8').catch(() => '');
        if (current.includes(token)) {
          await unlink(f).catch(() => undefined);
        }
      }
      await unlink(socketPath).catch(() => undefined);
      if (privateDir) {
        await rm(privateDir, { recursive: true, force: true });
      }
    }
  };
}

/** Written to a temporary file and renamed: a reader never sees half of it. */
async function writeApiFile(file: string, body: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, body, { mode: 0o600 });
  await rename(tmp, file);
}

function send(res: http.ServerResponse, status: number, reason: string): void {
  const body = JSON.stringify(errorBody(status, reason));
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

function authorised(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(
  req: http.IncomingMessage,
  limit: number
): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new DataError(413, 'the body is too large');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  token: string,
  stager: Stager
): Promise<void> {
  if (!authorised(req.headers.authorization, token)) {
    return send(
      res,
      401,
      'a valid token is needed (read it from data-api.json)'
    );
  }
  const url = (req.url ?? '').split('?')[0];
  if (url === '/healthz' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  if (url !== '/stage') {
    return send(res, 404, 'no such path on the kernel API');
  }
  if (req.method !== 'POST') {
    return send(res, 405, '/stage answers POST');
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req, 16384));
  } catch (err) {
    if (err instanceof DataError) {
      return send(res, err.status, err.reason);
    }
    return send(res, 400, 'the body is not valid JSON');
  }
  if (!dataValidators.stageRequest(body)) {
    return send(
      res,
      400,
      describeAjvError(dataValidators.stageRequest.errors, 'the body')
    );
  }
  const request = body as DataStageRequest;
  let entry: DataStageEntry;
  try {
    entry = await stager.stage(request.endpoint, request.bucket, request.key);
  } catch (err) {
    const e =
      err instanceof DataError ? err : new DataError(500, 'staging failed');
    return send(res, e.status, e.reason);
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  if (entry.state === 'ready' || entry.state === 'failed') {
    res.end(JSON.stringify(entry) + '\n');
    return;
  }
  // Progress lines until the staging ends, then the final entry.
  const stop = stager.listen(entry.id, (progress: DataStageProgress) => {
    if (progress.state === 'downloading' || progress.state === 'verifying') {
      res.write(JSON.stringify(progress) + '\n');
    }
  });
  res.on('close', stop);
  let final: DataStageEntry;
  try {
    final = await stager.wait(entry.id);
  } catch (err) {
    final = {
      ...entry,
      state: 'failed',
      error: err instanceof DataError ? err.reason : 'staging failed'
    };
  }
  stop();
  res.end(JSON.stringify(final) + '\n');
}
