/**
 * burst: the pushed channels (docs/burst.md): `burst` carries every job's state and outputs,
 * `burst/<job id>` one job's log while someone watches it.
 */
import { hasPermission } from '../auth/identity';
import type { Hub } from '../ws/hub';
import { BURST_CHANNEL, BurstJobs } from './jobs';

/** Register `burst` and `burst/<job id>` on the hub. */
export function registerBurstChannel(hub: Hub, jobs: BurstJobs): void {
  hub.registerChannel(BURST_CHANNEL, {
    sub: true,
    authorize: (user, channel) =>
      hasPermission(user, 'kernels', 'read') &&
      (channel === BURST_CHANNEL || /^burst\/[a-z0-9]{8,40}$/.test(channel)),
    snapshot: channel =>
      channel === BURST_CHANNEL
        ? { type: 'jobs', jobs: jobs.store.all().map(r => r.job) }
        : jobs.tails.snapshot(channel.slice(BURST_CHANNEL.length + 1)),
    onFirstSubscriber: channel => {
      if (channel !== BURST_CHANNEL) {
        jobs.tails.watch(channel.slice(BURST_CHANNEL.length + 1));
      }
    },
    onLastUnsubscribe: channel => {
      if (channel !== BURST_CHANNEL) {
        jobs.tails.unwatch(channel.slice(BURST_CHANNEL.length + 1));
      }
    }
  });
}
