/**
 * The bridge's logger: pino JSON lines on stdout, with every secret redacted.
 *
 * No pino transports: they run in worker threads, which an esbuild bundle cannot carry.
 */
import pino, { DestinationStream, Logger } from 'pino';
import type { BridgeConfig } from './schema-types';

/** Paths pino replaces with `[redacted]` in every log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-mlinfn-ticket"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-mlinfn-ticket"]',
  'headers.cookie',
  'ticket',
  'token',
  'secret',
  'password',
  '*.ticket',
  '*.token',
  '*.secret',
  '*.password',
  '*.secretAccessKey',
  '*.sessionToken'
];

/**
 * Make the bridge's logger.
 *
 * @param level - the minimum level written.
 * @param destination - where lines go; stdout, written synchronously so nothing is lost on exit.
 */
export function createLogger(
  level: NonNullable<BridgeConfig['logLevel']> = 'info',
  destination?: DestinationStream
): Logger {
  return pino(
    {
      level,
      base: { name: 'mlinfn-bridge', pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' }
    },
    destination ?? pino.destination({ dest: 1, sync: true })
  );
}

/**
 * A request URL fit for a log line: the value of any `token` or `ticket` query parameter is
 * replaced, since a WebSocket upgrade in standalone mode carries its token there.
 */
export function safeUrl(url: string | undefined): string {
  if (!url) {
    return '';
  }
  return url.replace(/([?&](?:token|ticket)=)[^&#]*/gi, '$1[redacted]');
}
