import { BridgeError } from '@mlinfn/common';
import { DataApi } from '../src/api';

/**
 * A recorded call to the bridge.
 */
export interface ICall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/**
 * A stand-in for the bridge client's `request` (like jupyterlab-git mocks `requestAPI`):
 * each test answers the routes it needs; every call is recorded.
 */
export class FakeBridge {
  calls: ICall[] = [];
  routes: Array<{
    method: string;
    pattern: RegExp;
    answer: (call: ICall, match: RegExpMatchArray) => unknown;
  }> = [];

  on(
    method: string,
    pattern: RegExp,
    answer: (call: ICall, match: RegExpMatchArray) => unknown
  ): this {
    this.routes.push({ method, pattern, answer });
    return this;
  }

  request = jest.fn(async (endPoint: string, init: RequestInit = {}) => {
    const [path, search = ''] = endPoint.split('?');
    const call: ICall = {
      method: init.method ?? 'GET',
      path,
      query: Object.fromEntries(new URLSearchParams(search)),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body
    };
    this.calls.push(call);
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (match && route.method === call.method) {
        return route.answer(call, match);
      }
    }
    throw new BridgeError(
      404,
      'not-found',
      `no route for ${call.method} ${path}`
    );
  });

  api(): DataApi {
    return new DataApi({ request: this.request as any });
  }
}

/**
 * Let pending promise callbacks run.
 */
export async function flush(times = 10): Promise<void> {
  for (let i = 0; i < times; i++) {
    await Promise.resolve();
  }
}
