/**
 * The `system` channel: the bridge's heartbeat, `{time, uptimeSeconds, connections}`.
 */
import type { SystemChannelPayload } from '../schema-types';
import type { Hub } from '../ws/hub';

/**
 * Register the `system` channel on the hub. Its timer runs only while someone subscribes.
 *
 * @param intervalSeconds - how often it pushes.
 * @param startedAt - when the bridge started (ms since the epoch).
 * @returns a function that stops the timer (for shutdown).
 */
export function registerSystemChannel(
  hub: Hub,
  intervalSeconds: number,
  startedAt: number
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const payload = (): SystemChannelPayload => {
    const now = Date.now();
    return {
      time: now,
      uptimeSeconds: (now - startedAt) / 1000,
      connections: hub.connections
    };
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  hub.registerChannel('system', {
    onFirstSubscriber() {
      timer = setInterval(
        () => hub.publish('system', payload()),
        intervalSeconds * 1000
      );
    },
    onLastUnsubscribe: stop,
    snapshot: payload
  });
  return stop;
}
