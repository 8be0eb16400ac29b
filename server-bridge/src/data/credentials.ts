/**
 * Where an endpoint's keys come from: environment variables or a key file (static), an OIDC
 * access token exchanged by STS (temporary, refreshed before they expire), or nothing.
 * Keys live only here: `state()` is what the REST API shows, never the keys.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DataCredentialsState } from '../schema-types';
import type { CredentialsConfig } from './config';
import { DataError, LOGIN_AGAIN } from './errors';
import { assumeRoleWithWebIdentity, ITemporaryKeys, jwtExpiry } from './sts';

/** Keys as the SDK takes them; undefined for anonymous access. */
export interface IKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** ms since the epoch; undefined for long-lived keys. */
  expiresAt?: number;
}

/** A source of keys for one endpoint. */
export interface ICredentialSource {
  readonly kind: DataCredentialsState['kind'];
  /** Current keys (refreshing them first when needed); throws DataError when there are none. */
  get(): Promise<IKeys | undefined>;
  /** Drop cached temporary keys (the storage said they expired). */
  invalidate(): void;
  /** What the panel shows. */
  state(): DataCredentialsState;
  /** Stop timers. */
  dispose(): void;
}

export interface ICredentialOptions {
  endpointUrl: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Who the bridge runs for, for the default RoleSessionName. */
  username?: string;
  /** Tests replace the STS call. */
  assumeRole?: typeof assumeRoleWithWebIdentity;
  now?: () => number;
}

/** Make the source a config section describes. */
export function createCredentialSource(
  config: CredentialsConfig,
  options: ICredentialOptions
): ICredentialSource {
  switch (config.kind) {
    case 'none':
      return {
        kind: 'none',
        get: async () => undefined,
        invalidate: () => undefined,
        state: () => ({ kind: 'none', state: 'ok' }),
        dispose: () => undefined
      };
    case 'static':
      return new StaticSource(config, options);
    case 'sts':
      return new StsSource(config, options);
  }
}

/** A file re-read only when its modification time or size changes. */
class WatchedFile {
  constructor(readonly path: string) {}

  /** The content, or undefined when the file is missing. */
  async read(): Promise<string | undefined> {
    let info;
    try {
      info = await stat(this.path);
    } catch {
      this._content = undefined;
      this._signature = '';
      return undefined;
    }
    const signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
    if (signature !== this._signature) {
      this._content = await readFile(this.path, 'utf8').catch(() => undefined);
      this._signature = signature;
    }
    return this._content;
  }

  private _signature = '';
  private _content: string | undefined;
}

class StaticSource implements ICredentialSource {
  readonly kind = 'static' as const;

  constructor(
    private readonly _config: Extract<CredentialsConfig, { kind: 'static' }>,
    options: ICredentialOptions
  ) {
    this._env = options.env ?? process.env;
    this._file = _config.keyFile ? new WatchedFile(_config.keyFile) : undefined;
  }

  async get(): Promise<IKeys> {
    try {
      const keys = this._file ? await this._fromFile() : this._fromEnv();
      this._problem = undefined;
      return keys;
    } catch (err) {
      this._problem = (err as Error).message;
      throw err;
    }
  }

  invalidate(): void {
    // Long-lived keys: nothing cached to drop.
  }

  state(): DataCredentialsState {
    if (this._problem) {
      return { kind: 'static', state: 'missing', message: this._problem };
    }
    if (!this._file) {
      try {
        this._fromEnv();
      } catch (err) {
        return {
          kind: 'static',
          state: 'missing',
          message: (err as Error).message
        };
      }
    }
    return { kind: 'static', state: 'ok' };
  }

  dispose(): void {
    // No timers.
  }

  private _fromEnv(): IKeys {
    const c = this._config;
    const accessKeyId = this._env[c.accessKeyIdEnv!];
    const secretAccessKey = this._env[c.secretAccessKeyEnv!];
    if (!accessKeyId || !secretAccessKey) {
      throw new DataError(
        503,
        `the storage keys are not set: the environment variable ${
          accessKeyId ? c.secretAccessKeyEnv : c.accessKeyIdEnv
        } is empty`
      );
    }
    const sessionToken = c.sessionTokenEnv
      ? this._env[c.sessionTokenEnv]
      : undefined;
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken: sessionToken || undefined
    };
  }

  private async _fromFile(): Promise<IKeys> {
    const text = await this._file!.read();
    if (text === undefined) {
      throw new DataError(
        503,
        `the storage key file ${this._file!.path} cannot be read`
      );
    }
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new DataError(
        503,
        `the storage key file ${this._file!.path} is not JSON`
      );
    }
    if (
      typeof parsed?.accessKeyId !== 'string' ||
      typeof parsed?.secretAccessKey !== 'string'
    ) {
      throw new DataError(
        503,
        `the storage key file ${this._file!.path} needs "accessKeyId" and "secretAccessKey"`
      );
    }
    return {
      accessKeyId: parsed.accessKeyId,
      secretAccessKey: parsed.secretAccessKey,
      sessionToken:
        typeof parsed.sessionToken === 'string'
          ? parsed.sessionToken
          : undefined
    };
  }

  private readonly _env: NodeJS.ProcessEnv;
  private readonly _file: WatchedFile | undefined;
  private _problem: string | undefined;
}

type StsConfig = Extract<CredentialsConfig, { kind: 'sts' }>;

class StsSource implements ICredentialSource {
  readonly kind = 'sts' as const;

  constructor(
    private readonly _config: StsConfig,
    private readonly _options: ICredentialOptions
  ) {
    this._file = _config.tokenFile
      ? new WatchedFile(_config.tokenFile)
      : undefined;
    this._now = _options.now ?? Date.now;
  }

  async get(): Promise<IKeys> {
    const token = await this._token();
    const refreshMs = (this._config.refreshBeforeSeconds ?? 300) * 1000;
    if (
      this._keys &&
      token === this._keysToken &&
      this._keys.expiresAt - refreshMs > this._now()
    ) {
      return this._keys;
    }
    // One exchange at a time, shared by everyone asking meanwhile.
    if (!this._pending) {
      this._pending = this._exchange(token).finally(() => {
        this._pending = undefined;
      });
    }
    return this._pending;
  }

  invalidate(): void {
    this._keys = undefined;
  }

  state(): DataCredentialsState {
    if (this._problem) {
      return {
        kind: 'sts',
        state: this._problem.state,
        message: this._problem.message
      };
    }
    if (this._keys) {
      return { kind: 'sts', state: 'ok', expiresAt: this._keys.expiresAt };
    }
    return { kind: 'sts', state: 'ok' };
  }

  dispose(): void {
    clearTimeout(this._timer);
  }

  private async _token(): Promise<string> {
    const raw = this._file
      ? await this._file.read()
      : (this._options.env ?? process.env)[this._config.tokenEnv!];
    const token = raw?.trim();
    if (!token) {
      const message = `No access token was found (${
        this._file
          ? `the file ${this._file.path} is missing or empty`
          : `$${this._config.tokenEnv} is empty`
      }): log in again to JupyterHub.`;
      this._problem = { state: 'missing', message };
      throw new DataError(403, message);
    }
    const exp = jwtExpiry(token);
    if (exp !== undefined && exp * 1000 <= this._now()) {
      this._problem = { state: 'expired', message: LOGIN_AGAIN };
      throw new DataError(403, LOGIN_AGAIN);
    }
    return token;
  }

  private async _exchange(token: string): Promise<ITemporaryKeys> {
    const c = this._config;
    const assume = this._options.assumeRole ?? assumeRoleWithWebIdentity;
    try {
      const keys = await assume({
        stsUrl: c.stsUrl ?? this._options.endpointUrl,
        token,
        roleArn: c.roleArn,
        roleSessionName:
          c.roleSessionName ?? sessionName(this._options.username ?? 'user'),
        durationSeconds: c.durationSeconds ?? 3600
      });
      this._keys = keys;
      this._keysToken = token;
      this._problem = undefined;
      this._schedule(keys);
      this._options.logger.info(
        { expiresAt: new Date(keys.expiresAt).toISOString() },
        'data: temporary storage keys obtained by STS'
      );
      return keys;
    } catch (err) {
      const e =
        err instanceof DataError
          ? err
          : new DataError(502, 'the storage login failed');
      this._keys = undefined;
      this._problem = {
        state: e.reason === LOGIN_AGAIN ? 'expired' : 'error',
        message: e.reason
      };
      this._options.logger.warn(
        { reason: e.reason },
        'data: STS exchange failed'
      );
      throw e;
    }
  }

  /** Refresh ahead of expiry, so a request rarely waits for STS. */
  private _schedule(keys: ITemporaryKeys): void {
    clearTimeout(this._timer);
    const refreshMs = (this._config.refreshBeforeSeconds ?? 300) * 1000;
    const delay = Math.max(1000, keys.expiresAt - refreshMs - this._now());
    this._timer = setTimeout(
      () => {
        this.get().catch(() => undefined);
      },
      Math.min(delay, 2 ** 31 - 1)
    );
    this._timer.unref();
  }

  private readonly _file: WatchedFile | undefined;
  private readonly _now: () => number;
  private _keys: ITemporaryKeys | undefined;
  private _keysToken: string | undefined;
  private _pending: Promise<ITemporaryKeys> | undefined;
  private _problem:
    { state: 'expired' | 'missing' | 'error'; message: string } | undefined;
  private _timer: NodeJS.Timeout | undefined;
}

/** A RoleSessionName STS accepts (2-64 of [\w+=,.@-]). */
export function sessionName(username: string): string {
  const clean = username.replace(/[^\w+=,.@-]/g, '-');
  return `mlinfn-${clean}`.slice(0, 64);
}
