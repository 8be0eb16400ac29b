/**
 * Prometheus metrics. Each bridge has its own registry (not prom-client's global one), so that
 * several bridges in one process (the tests) do not clash.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry
} from 'prom-client';

/** The bridge's metrics and the registry that `/metrics` serves. */
export interface IBridgeMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  wsConnections: Gauge;
  wsMessages: Counter<'direction'>;
}

/** Make a registry with the process metrics and the bridge's own. */
export function createMetrics(): IBridgeMetrics {
  const registry = new Registry();
  // Event-loop lag sampled once a second, not every 10 ms: the default timer wakes an idle
  // bridge 100 times a second, which costs more CPU than the monitor's own sampler.
  collectDefaultMetrics({
    register: registry,
    prefix: 'mlinfn_bridge_',
    eventLoopMonitoringPrecision: 1000
  });
  return {
    registry,
    httpRequests: new Counter({
      name: 'mlinfn_bridge_http_requests_total',
      help: 'HTTP requests answered, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry]
    }),
    httpDuration: new Histogram({
      name: 'mlinfn_bridge_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry]
    }),
    wsConnections: new Gauge({
      name: 'mlinfn_bridge_ws_connections',
      help: 'Open pushed-channel WebSockets.',
      registers: [registry]
    }),
    wsMessages: new Counter({
      name: 'mlinfn_bridge_ws_messages_total',
      help: 'WebSocket messages, by direction (in, out).',
      labelNames: ['direction'],
      registers: [registry]
    })
  };
}
