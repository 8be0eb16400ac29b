/**
 * The mounts view: mountinfo read on each request (cheap, procfs), health from the last probe
 * of each mount, probes started in the background when a result is older than `cacheSeconds`
 * and no probe of that mount is still running (one per mount at a time, even when a hung one
 * refuses to die). A request never waits for a probe.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  DataCvmfsRepo,
  DataMount,
  DataMountsResponse
} from '../../schema-types';
import type { IDataConfig } from '../config';
import { readRevision } from './cvmfs';
import { classifyMount, parseMountInfo } from './mountinfo';
import { IProbeResult, probeMount } from './probe';

export interface IMountMonitorOptions {
  config: IDataConfig['mounts'];
  mountInfoPath?: string;
  probe?: typeof probeMount;
  readRevision?: typeof readRevision;
  now?: () => number;
}

interface IHealth {
  result?: IProbeResult;
  checkedAt: number | null;
  running: boolean;
}

export class MountMonitor {
  constructor(private readonly _options: IMountMonitorOptions) {
    this._include = new Set(_options.config.includeFsTypes);
    this._now = _options.now ?? Date.now;
  }

  /** The mounts and CVMFS repositories, as last measured. */
  async snapshot(): Promise<DataMountsResponse> {
    let text = '';
    try {
      text = await readFile(
        this._options.mountInfoPath ?? '/proc/self/mountinfo',
        'utf8'
      );
    } catch {
      // Not Linux: no mounts to show.
    }
    const all = parseMountInfo(text);
    const mounts: DataMount[] = [];
    const seen = new Set<string>();
    for (const m of all) {
      const kind = classifyMount(m, this._include);
      if (!kind || seen.has(m.mountPoint)) {
        continue;
      }
      seen.add(m.mountPoint);
      const health = this._health(m.mountPoint);
      mounts.push({
        mountPoint: m.mountPoint,
        fsType: m.fsType,
        kind,
        source: m.source,
        health: health.result?.health ?? 'unknown',
        checkedAt: health.checkedAt,
        ...(health.result?.detail ? { detail: health.result.detail } : {}),
        readOnly: m.options.includes('ro')
      });
    }
    const cvmfs = this._options.config.cvmfsRepos.map(repo =>
      this._cvmfs(
        repo,
        all.some(m => m.mountPoint === this._repoPath(repo))
      )
    );
    // Forget mounts that went away.
    for (const key of this._healths.keys()) {
      if (!seen.has(key) && !this._healths.get(key)!.running) {
        this._healths.delete(key);
      }
    }
    return { mounts, cvmfs };
  }

  private _repoPath(repo: string): string {
    return path.join(this._options.config.cvmfsRoot, repo);
  }

  private _cvmfs(repo: string, mounted: boolean): DataCvmfsRepo {
    const mountPoint = this._repoPath(repo);
    const state = this._revisions.get(repo) ?? { checkedAt: 0, running: false };
    this._revisions.set(repo, state);
    const stale =
      this._now() - state.checkedAt > this._options.config.cacheSeconds * 1000;
    if (stale && !state.running) {
      state.running = true;
      // Mounted: read the revision. Not mounted: touching the path lets autofs mount it.
      const work = mounted
        ? (this._options.readRevision ?? readRevision)(
            mountPoint,
            this._options.config.probeTimeoutMs
          ).then(r => {
            state.revision = r.revision;
            state.detail = r.detail;
          })
        : (this._options.probe ?? probeMount)(
            mountPoint,
            this._options.config.probeTimeoutMs
          ).then(r => {
            state.revision = undefined;
            state.detail = r.health === 'ok' ? undefined : r.detail;
          });
      void work.finally(() => {
        state.running = false;
        state.checkedAt = this._now();
      });
    }
    return {
      repo,
      mountPoint,
      mounted,
      ...(mounted && state.revision !== undefined
        ? { revision: state.revision }
        : {}),
      ...(state.detail ? { detail: state.detail } : {})
    };
  }

  private _health(mountPoint: string): IHealth {
    let health = this._healths.get(mountPoint);
    if (!health) {
      health = { checkedAt: null, running: false };
      this._healths.set(mountPoint, health);
    }
    const fresh =
      health.checkedAt !== null &&
      this._now() - health.checkedAt < this._options.config.cacheSeconds * 1000;
    if (!fresh && !health.running) {
      const h = health;
      h.running = true;
      const probe = this._options.probe ?? probeMount;
      void probe(mountPoint, this._options.config.probeTimeoutMs, () => {
        // Only when the child has really gone may another probe of this mount start.
        h.running = false;
      }).then(result => {
        h.result = result;
        h.checkedAt = this._now();
      });
    }
    return health;
  }

  private readonly _include: ReadonlySet<string>;
  private readonly _now: () => number;
  private readonly _healths = new Map<string, IHealth>();
  private readonly _revisions = new Map<
    string,
    { revision?: number; detail?: string; checkedAt: number; running: boolean }
  >();
}
