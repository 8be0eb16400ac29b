/**
 * A bridge in-process with a `data` section, and a small authenticated JSON client.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BridgeConfig, DataConfig } from '../../src/schema-types';
import { IRunning, proxyMode, request, startBridge, ticket } from '../helpers';

export interface IDataBridge extends IRunning {
  stateDir: string;
  get(p: string): Promise<{ status: number; body: any }>;
  send(
    method: string,
    p: string,
    body?: unknown
  ): Promise<{ status: number; body: any }>;
  raw(
    method: string,
    p: string,
    headers: Record<string, string | number>,
    body?: string | Buffer
  ): Promise<{ status: number; body: any }>;
}

/** Start a bridge whose config has this data section. */
export async function startDataBridge(
  data: DataConfig,
  extra: Partial<BridgeConfig> = {},
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'mlinfn-data-test-'))
): Promise<IDataBridge> {
  const running = await startBridge(proxyMode(), { stateDir, data, ...extra });
  const raw = async (
    method: string,
    p: string,
    headers: Record<string, string | number>,
    body?: string | Buffer
  ) => {
    const res = await request(
      running.base,
      method,
      p,
      { 'X-Mlinfn-Ticket': ticket(), ...headers },
      body
    );
    let parsed: any = res.text;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
  return {
    ...running,
    stateDir,
    raw,
    get: p => raw('GET', p, {}),
    send: (method, p, body) =>
      body === undefined
        ? raw(method, p, {})
        : raw(
            method,
            p,
            { 'Content-Type': 'application/json' },
            JSON.stringify(body)
          )
  };
}

/** Query string from an object. */
export function qs(
  values: Record<string, string | number | undefined>
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined) {
      params.set(k, String(v));
    }
  }
  return params.toString();
}
