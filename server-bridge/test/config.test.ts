import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, resolveConfig } from '../src/config';

describe('config', () => {
  it('fills in every default from the schema', () => {
    expect(resolveConfig(undefined, { MLINFN_STATE_DIR: '/state' })).toEqual({
      logLevel: 'info',
      stateDir: '/state',
      limits: {
        maxBodyBytes: 1048576,
        maxFrameBytes: 65536,
        maxSocketsPerUser: 32
      },
      ticketMaxAgeSeconds: 600,
      systemIntervalSeconds: 5,
      metrics: {}
    });
  });

  it('validates the monitor section against its own schema, naming the key', () => {
    expect(() =>
      resolveConfig({ metrics: { gpu: { source: 'nvml' } } }, {})
    ).toThrow(
      /\/metrics\/gpu\/source must be equal to one of the allowed values/
    );
    expect(() => resolveConfig({ metrics: { intervalSecs: 1 } }, {})).toThrow(
      'unknown key "metrics.intervalSecs"'
    );
    expect(
      resolveConfig({ metrics: { intervalSeconds: 2 } }, {}).metrics
    ).toMatchObject({ intervalSeconds: 2, historyIntervalSeconds: 10 });
  });

  it('keeps given values and defaults the rest of limits', () => {
    const config = resolveConfig(
      { limits: { maxFrameBytes: 2048 }, logLevel: 'warn' },
      {}
    );
    expect(config.limits).toEqual({
      maxBodyBytes: 1048576,
      maxFrameBytes: 2048,
      maxSocketsPerUser: 32
    });
    expect(config.logLevel).toBe('warn');
  });

  it('derives stateDir from XDG_STATE_HOME', () => {
    expect(resolveConfig({}, { XDG_STATE_HOME: '/xdg' }).stateDir).toBe(
      path.join('/xdg', 'mlinfn-bridge')
    );
  });

  it('names a key whose value is out of range', () => {
    expect(() => resolveConfig({ limits: { maxFrameBytes: 10 } }, {})).toThrow(
      'config error: /limits/maxFrameBytes must be >= 1024'
    );
  });

  it('names an unknown key with its full path', () => {
    expect(() =>
      resolveConfig({ limits: { maxFrameBytez: 4096 } }, {})
    ).toThrow('config error: unknown key "limits.maxFrameBytez"');
    expect(() => resolveConfig({ colour: 'red' }, {})).toThrow(
      'unknown key "colour"'
    );
  });

  it('names a key with the wrong type', () => {
    expect(() => resolveConfig({ logLevel: 'loud' }, {})).toThrow(
      /\/logLevel must be/
    );
  });

  it('refuses a config that is not an object', () => {
    expect(() => resolveConfig([1, 2], {})).toThrow(ConfigError);
  });

  it('reports a file that is not JSON, or missing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-config-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{ not json');
    expect(() => loadConfig(file, {})).toThrow(/is not valid JSON/);
    expect(() => loadConfig(path.join(dir, 'missing.json'), {})).toThrow(
      /ENOENT/
    );
    writeFileSync(file, JSON.stringify({ systemIntervalSeconds: 2 }));
    expect(loadConfig(file, {}).systemIntervalSeconds).toBe(2);
  });
});
