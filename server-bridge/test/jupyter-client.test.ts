import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bridgeAuthHeader, createJupyterClient } from '../src/jupyter/client';
import { SECRET } from './helpers';

const kernels = {
  kernels: [
    {
      id: 'k1',
      name: 'python3',
      pid: 1234,
      executionState: 'idle',
      lastActivity: '2025-01-01T00:00:00Z',
      connections: 1,
      sessions: [{ path: 'a.ipynb', type: 'notebook', name: 'a.ipynb' }]
    }
  ]
};

describe('Jupyter client', () => {
  let server: http.Server;
  let url: string;
  let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const seen: http.IncomingMessage[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req);
      answer(req, res);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  it('signs the call and returns the validated kernel list', async () => {
    answer = (_req, res) => res.end(JSON.stringify(kernels));
    const client = createJupyterClient(url, SECRET);
    await expect(client.listKernels()).resolves.toEqual(kernels);
    const req = seen[seen.length - 1];
    expect(req.url).toBe('/base/mlinfn/bridge/kernels');
    const [seconds, mac] = String(req.headers['x-mlinfn-bridge-auth']).split(
      '.'
    );
    expect(Math.abs(Number(seconds) - Date.now() / 1000)).toBeLessThan(5);
    expect(mac).toBe(
      createHmac('sha256', SECRET).update(`bridge:${seconds}`).digest('hex')
    );
  });

  it('formats the header as seconds.hexmac', () => {
    expect(bridgeAuthHeader(SECRET, 1764000000.7)).toMatch(
      /^1764000000\.[0-9a-f]{64}$/
    );
  });

  it('refuses an answer that fails the schema', async () => {
    answer = (_req, res) => res.end(JSON.stringify({ kernels: [{ id: 1 }] }));
    await expect(
      createJupyterClient(url, SECRET).listKernels()
    ).rejects.toThrow(/invalid/);
  });

  it('reports an error status', async () => {
    answer = (_req, res) => {
      res.statusCode = 403;
      res.end('{}');
    };
    await expect(
      createJupyterClient(url, SECRET).listKernels()
    ).rejects.toThrow(/403/);
  });

  it('gives up after the timeout', async () => {
    answer = () => undefined; // never answers
    await expect(
      createJupyterClient(url, SECRET, 200).listKernels()
    ).rejects.toThrow(/did not answer within 200 ms/);
  });
});
