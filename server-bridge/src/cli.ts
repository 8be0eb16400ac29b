/**
 * The command line:
 *
 *     node bridge.cjs --unix-socket PATH [--config F]                     (proxy mode)
 *     mlinfn-bridge --listen 127.0.0.1:PORT --token-file F [--config F]   (standalone mode)
 *
 * Proxy mode takes its secret and server id from the environment (docs/protocol.md). Usage
 * and config errors exit with status 2 and one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AuthMode } from './auth/authenticate';
import { ConfigError, loadConfig } from './config';
import { createBridge, IBridge, ListenTarget } from './server';

/** The usage text printed with every usage error. */
export const USAGE = `usage:
  mlinfn-bridge --unix-socket PATH [--config FILE]
      proxy mode; needs MLINFN_BRIDGE_SECRET (hex) and MLINFN_SERVER_ID in the environment
  mlinfn-bridge --listen 127.0.0.1:PORT --token-file FILE [--config FILE]
      standalone mode; every request needs "Authorization: Bearer <token>"`;

/** A problem with the command line or the environment: exit 2. */
export class UsageError extends Error {}

/** What the command line and environment ask for. */
export interface ICliPlan {
  listen: ListenTarget;
  configFile?: string;
  /** Proxy: the secret and server id; standalone: the token. */
  auth:
    | { kind: 'proxy'; secret: Buffer; serverId: string; serverUrl?: string }
    | { kind: 'standalone'; token: string };
}

/**
 * Turn arguments and environment into a plan.
 *
 * @throws UsageError for anything missing, unknown or malformed.
 */
export function parseCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv
): ICliPlan {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'unix-socket': { type: 'string' },
        listen: { type: 'string' },
        'token-file': { type: 'string' },
        config: { type: 'string' }
      }
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const configFile = values.config ?? (env.MLINFN_BRIDGE_CONFIG || undefined);
  const socket = values['unix-socket'];
  if (socket !== undefined) {
    if (values.listen !== undefined || values['token-file'] !== undefined) {
      throw new UsageError(
        '--unix-socket cannot be combined with --listen or --token-file'
      );
    }
    const secretHex = env.MLINFN_BRIDGE_SECRET ?? '';
    if (!/^(?:[0-9a-fA-F]{2}){16,}$/.test(secretHex)) {
      throw new UsageError(
        'proxy mode needs MLINFN_BRIDGE_SECRET: at least 16 bytes, hex-encoded'
      );
    }
    const serverId = env.MLINFN_SERVER_ID ?? '';
    if (!serverId) {
      throw new UsageError('proxy mode needs MLINFN_SERVER_ID');
    }
    return {
      listen: { path: socket },
      configFile,
      auth: {
        kind: 'proxy',
        secret: Buffer.from(secretHex, 'hex'),
        serverId,
        serverUrl: env.MLINFN_SERVER_URL || undefined
      }
    };
  }
  if (values.listen === undefined || values['token-file'] === undefined) {
    throw new UsageError('give --unix-socket, or --listen with --token-file');
  }
  return {
    listen: parseListen(values.listen),
    configFile,
    auth: { kind: 'standalone', token: readToken(values['token-file']) }
  };
}

/** `host:port` with a port from 0 (any free port) to 65535. */
function parseListen(text: string): ListenTarget {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new UsageError(`--listen wants HOST:PORT, not "${text}"`);
  }
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function readToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new UsageError(
      `cannot read the token file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`
    );
  }
  if (!token) {
    throw new UsageError(`the token file ${file} is empty`);
  }
  return token;
}

/**
 * Start the bridge from a command line; installs the signal handlers.
 *
 * @returns the exit status when the bridge could not start (it keeps running otherwise).
 */
export async function run(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env
): Promise<number | undefined> {
  let bridge: IBridge;
  let proxyMode = false;
  try {
    const plan = parseCommandLine(argv, env);
    proxyMode = plan.auth.kind === 'proxy';
    const config = loadConfig(plan.configFile, env);
    const mode: AuthMode =
      plan.auth.kind === 'proxy'
        ? {
            kind: 'proxy',
            policy: {
              secret: plan.auth.secret,
              serverId: plan.auth.serverId,
              maxAgeSeconds: config.ticketMaxAgeSeconds
            }
          }
        : plan.auth;
    bridge = createBridge({
      mode,
      config,
      listen: plan.listen,
      serverUrl: plan.auth.kind === 'proxy' ? plan.auth.serverUrl : undefined
    });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`mlinfn-bridge: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`mlinfn-bridge: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  installProcessHandlers(bridge, proxyMode);
  try {
    await bridge.start();
  } catch (err) {
    bridge.logger.fatal({ err }, 'cannot listen');
    return 1;
  }
  return undefined;
}

/** SIGTERM/SIGINT: clean shutdown, exit 0 within 5 s. Stray errors are logged, not fatal. */
function installProcessHandlers(bridge: IBridge, watchParent: boolean): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    bridge.logger.info({ signal }, 'shutting down');
    // Whatever hangs (a peer that never closes), the process still exits in time.
    setTimeout(() => {
      bridge.logger.warn('shutdown took too long; exiting');
      process.exit(0);
    }, 4500).unref();
    bridge.close().then(
      () => process.exit(0),
      err => {
        bridge.logger.error({ err }, 'shutdown failed');
        process.exit(0);
      }
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if (watchParent) {
    // A Jupyter server that dies without signalling us (kill -9, a crash) leaves the bridge
    // re-parented: its state would outlive the server that owns it, so shut down then.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) {
        shutdown('parent exited');
      }
    }, 1000).unref();
  }
  // One user's request must not take the bridge down for everyone: log and carry on.
  process.on('uncaughtException', err =>
    bridge.logger.error({ err }, 'uncaught exception')
  );
  process.on('unhandledRejection', err =>
    bridge.logger.error({ err }, 'unhandled rejection')
  );
}

if (require.main === module) {
  run().then(
    code => {
      if (code !== undefined) {
        process.exitCode = code;
      }
    },
    err => {
      process.stderr.write(`mlinfn-bridge: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    }
  );
}
