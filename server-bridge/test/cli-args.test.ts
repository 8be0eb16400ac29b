import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine, UsageError } from '../src/cli';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-args-'));
const tokenFile = path.join(dir, 'token');
writeFileSync(tokenFile, 'tok\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secret = 'ab'.repeat(32);

describe('parseCommandLine', () => {
  it('proxy mode takes the secret, server id, URL and config from the environment', () => {
    const plan = parseCommandLine(['--unix-socket', '/run/b.sock'], {
      MLINFN_BRIDGE_SECRET: secret,
      MLINFN_SERVER_ID: 'sid',
      MLINFN_SERVER_URL: 'http://127.0.0.1:8888/base/',
      MLINFN_BRIDGE_CONFIG: '/etc/bridge.json'
    });
    expect(plan.listen).toEqual({ path: '/run/b.sock' });
    expect(plan.configFile).toBe('/etc/bridge.json');
    expect(plan.auth).toEqual({
      kind: 'proxy',
      secret: Buffer.from(secret, 'hex'),
      serverId: 'sid',
      serverUrl: 'http://127.0.0.1:8888/base/'
    });
  });

  it('--config wins over MLINFN_BRIDGE_CONFIG', () => {
    const plan = parseCommandLine(
      [
        '--listen',
        '127.0.0.1:0',
        '--token-file',
        tokenFile,
        '--config',
        'a.json'
      ],
      { MLINFN_BRIDGE_CONFIG: 'b.json' }
    );
    expect(plan.configFile).toBe('a.json');
    expect(plan.auth).toEqual({ kind: 'standalone', token: 'tok' });
  });

  it('parses IPv6 listen addresses', () => {
    const plan = parseCommandLine(
      ['--listen', '[::1]:8080', '--token-file', tokenFile],
      {}
    );
    expect(plan.listen).toEqual({ host: '::1', port: 8080 });
  });

  it.each([
    [
      ['--unix-socket', 's'],
      { MLINFN_BRIDGE_SECRET: 'xyz', MLINFN_SERVER_ID: 'a' }
    ],
    [
      ['--unix-socket', 's'],
      { MLINFN_BRIDGE_SECRET: 'abcd', MLINFN_SERVER_ID: 'a' }
    ],
    [
      ['--unix-socket', 's', '--listen', '127.0.0.1:1'],
      { MLINFN_BRIDGE_SECRET: secret }
    ],
    [['--listen', '127.0.0.1:70000', '--token-file', tokenFile], {}],
    [['--listen', '127.0.0.1:1', '--token-file', tokenFile, 'extra'], {}],
    [[], {}]
  ])('refuses %j', (argv, env) => {
    expect(() => parseCommandLine(argv, env)).toThrow(UsageError);
  });
});
