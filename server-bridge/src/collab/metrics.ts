/**
 * The room server's Prometheus metrics, on the bridge's registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the rooms count. */
export interface ICollabMetrics {
  roomsOpen: Gauge;
  connections: Gauge;
  /** Updates by source: client, server (disk merges), dropped (read-only). */
  updates: Counter<'source'>;
  fsyncSeconds: Histogram;
  saves: Counter<'result'>;
  diskMerges: Counter<'result'>;
  compactions: Counter<'result'>;
  refused: Counter<'reason'>;
}

/** Register the metrics on `registry`. */
export function createCollabMetrics(registry: Registry): ICollabMetrics {
  const registers = [registry];
  return {
    roomsOpen: new Gauge({
      name: 'mlinfn_bridge_collab_rooms_open',
      help: 'Collaborative rooms loaded.',
      registers
    }),
    connections: new Gauge({
      name: 'mlinfn_bridge_collab_connections',
      help: 'Open collaborative-room connections.',
      registers
    }),
    updates: new Counter({
      name: 'mlinfn_bridge_collab_updates_total',
      help: 'Document updates by source: client, server (merged disk changes), dropped (sent by read-only users).',
      labelNames: ['source'],
      registers
    }),
    fsyncSeconds: new Histogram({
      name: 'mlinfn_bridge_collab_log_commit_seconds',
      help: 'Time to write and fsync one group commit of the update log.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers
    }),
    saves: new Counter({
      name: 'mlinfn_bridge_collab_saves_total',
      help: 'Saves of room documents to their files, by result (written, unchanged, failed).',
      labelNames: ['result'],
      registers
    }),
    diskMerges: new Counter({
      name: 'mlinfn_bridge_collab_disk_changes_total',
      help: 'Changes found on disk, by result (merged, conflict).',
      labelNames: ['result'],
      registers
    }),
    compactions: new Counter({
      name: 'mlinfn_bridge_collab_compactions_total',
      help: 'Update-log compactions, by result (done, failed).',
      labelNames: ['result'],
      registers
    }),
    refused: new Counter({
      name: 'mlinfn_bridge_collab_refused_total',
      help: 'Room connections refused or closed by a limit or check, by reason.',
      labelNames: ['reason'],
      registers
    })
  };
}
