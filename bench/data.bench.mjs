// The data feature's benchmarks (`npm run bench -- data [--smoke]`), measured side by side with
// their anchors in one run, on one machine, against one Ceph RGW (scripts/rigs/ceph-rgw.sh).
//   data-stage-vs-curl          staging a 1 GB object (parallel ranged GETs, verified) vs curl
//                               of the same object in one stream, unthrottled       (>=0.9)
//   data-stage-vs-curl-limited  the same through nginx limiting each connection       (>=2)
//   data-list-first-screen      bridge's first page of a 100k-key bucket vs the SDK's (<=2)
//   data-list-full              bridge's whole listing of it vs the SDK's             (<=1.5)
// A ratio above 1 means faster than curl for the staging lines; below 1 means faster than the
// SDK walk for the listing lines. Context lines start with `#`.
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { startBridge } from './data/bridge.mjs';
import {
  adminClient,
  directListing,
  ensureBucket,
  ensureManyKeys,
  ensureObject,
  removeObjects,
  startRig
} from './data/rig.mjs';
import { runFigures } from './lib/figures.mjs';
import { fmt, median, sleep } from './lib/proc.mjs';

const MiB = 1024 * 1024;
const RATE = '10m';

/** Time one staging from the POST to a verified copy (then drop it from the cache). */
async function timeStage(bridge, endpoint, bucket, key) {
  const t0 = performance.now();
  const started = await bridge.json('POST', '/api/data/stage', {
    endpoint,
    bucket,
    key
  });
  if (started.status !== 202 && started.status !== 200) {
    throw new Error(
      `stage answered ${started.status}: ${JSON.stringify(started.body)}`
    );
  }
  let entry;
  for (;;) {
    const cache = await bridge.json('GET', '/api/data/cache');
    entry = cache.body.entries.find(e => e.id === started.body.id);
    if (entry?.state === 'ready' || entry?.state === 'failed') {
      break;
    }
    await sleep(20);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (entry.state !== 'ready') {
    throw new Error(`staging failed: ${entry.error}`);
  }
  await bridge.json('DELETE', `/api/data/cache/${entry.id}`);
  return { seconds, verified: entry.verified };
}

/** Time curl of a pre-signed URL into a file in the same directory, one stream. */
async function timeCurl(bridge, endpoint, bucket, key, dir) {
  const link = await bridge.json(
    'POST',
    `/api/data/endpoints/${endpoint}/presign`,
    {
      bucket,
      key,
      method: 'GET',
      expiresSeconds: 3600
    }
  );
  const out = path.join(dir, 'curl.out');
  const t0 = performance.now();
  execFileSync('curl', ['-sSf', '-o', out, link.body.url]);
  const seconds = (performance.now() - t0) / 1000;
  const size = statSync(out).size;
  rmSync(out);
  return { seconds, size };
}

async function stageVsCurl({
  bridge,
  endpoint,
  bucket,
  key,
  size,
  rounds,
  log,
  label
}) {
  const stage = [];
  const curl = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so neither always runs on a warmer RGW.
    const order = r % 2 === 0 ? ['curl', 'stage'] : ['stage', 'curl'];
    for (const what of order) {
      if (what === 'curl') {
        const c = await timeCurl(bridge, endpoint, bucket, key, bridge.dir);
        if (c.size !== size) {
          throw new Error(`curl got ${c.size} bytes, not ${size}`);
        }
        curl.push(c.seconds);
      } else {
        const s = await timeStage(bridge, endpoint, bucket, key);
        stage.push(s.seconds);
        if (r === 0) {
          log(`#   ${label}: staged copy verified by ${s.verified}`);
        }
      }
    }
  }
  const mbps = s => (size / 1e6 / s).toFixed(0);
  log(
    `#   ${label}: ${(size / MiB).toFixed(0)} MiB; curl ${curl.map(s => s.toFixed(2)).join(' ')} s ` +
      `(median ${mbps(median(curl))} MB/s), staging ${stage.map(s => s.toFixed(2)).join(' ')} s ` +
      `(median ${mbps(median(stage))} MB/s)`
  );
  return median(curl) / median(stage);
}

async function listing({ bridge, s3, bucket, rounds, log }) {
  const viaBridge = async () => {
    const t0 = performance.now();
    let first;
    let token;
    let keys = 0;
    do {
      const q = new URLSearchParams({ bucket, prefix: 'k/', maxKeys: '1000' });
      if (token) {
        q.set('continuationToken', token);
      }
      const page = await bridge.json(
        'GET',
        `/api/data/endpoints/rgw/objects?${q}`
      );
      if (page.status !== 200) {
        throw new Error(`listing answered ${page.status}`);
      }
      first ??= performance.now() - t0;
      keys += page.body.objects.length;
      token = page.body.nextContinuationToken;
    } while (token);
    return { firstMs: first, fullMs: performance.now() - t0, keys };
  };
  const ours = [];
  const direct = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(await viaBridge());
    direct.push(await directListing(s3, bucket, 'k/'));
  }
  const m = (xs, f) => median(xs.map(f));
  log(
    `#   listing ${ours[0].keys} keys: first screen (1000 keys) ${fmt(m(ours, x => x.firstMs))} ms through the bridge, ` +
      `${fmt(m(direct, x => x.firstMs))} ms direct; full listing ${fmt(m(ours, x => x.fullMs) / 1000)} s through the bridge, ` +
      `${fmt(m(direct, x => x.fullMs) / 1000)} s direct`
  );
  return {
    first: m(ours, x => x.firstMs) / m(direct, x => x.firstMs),
    full: m(ours, x => x.fullMs) / m(direct, x => x.fullMs)
  };
}

export async function run({ smoke = false } = {}) {
  const log = line => console.log(line);
  const started = Date.now();
  log(
    `# data benchmarks${smoke ? ' (smoke: tiny sizes, rough figures)' : ''}: ${cpus().length} CPU(s), ` +
      `load average ${loadavg()
        .map(x => x.toFixed(2))
        .join(' ')} at start; node ${process.version}`
  );
  const env = startRig(RATE);
  const s3 = adminClient(env);
  const bucket = 'mlinfn-bench-data';
  const manyBucket = `mlinfn-bench-keys-${smoke ? 2000 : 100000}`;
  const bigSize = smoke ? 32 * MiB : 1024 * MiB;
  const limitedSize = smoke ? 24 * MiB : 256 * MiB;
  const rounds = smoke ? 1 : 3;
  await ensureBucket(s3, bucket);
  await ensureObject(s3, bucket, `big-${bigSize}.bin`, bigSize);
  await ensureObject(s3, bucket, `limited-${limitedSize}.bin`, limitedSize);
  const creds = {
    kind: 'static',
    accessKeyIdEnv: 'BENCH_S3_KEY',
    secretAccessKeyEnv: 'BENCH_S3_SECRET'
  };
  const childEnv = {
    BENCH_S3_KEY: env.S3_ACCESS_KEY_ID,
    BENCH_S3_SECRET: env.S3_SECRET_ACCESS_KEY
  };
  // The defaults a deployment gets: 4 connections, 16 MiB ranges.
  const bridge = await startBridge(
    {
      endpoints: [
        {
          id: 'rgw',
          url: env.S3_ENDPOINT,
          region: env.S3_REGION,
          credentials: creds
        }
      ],
      cache: { quotaBytes: 4 * 1024 * MiB }
    },
    childEnv
  );
  // Through nginx: every connection limited to 10 MB/s. Ranges of a quarter of the object (64 MiB
  // in the full run), so nginx's first-second burst (its clock counts whole seconds) inflates
  // each range little.
  const limited = await startBridge(
    {
      endpoints: [
        {
          id: 'slow',
          url: env.S3_ENDPOINT_RATE_LIMITED,
          region: env.S3_REGION,
          credentials: creds
        }
      ],
      cache: {
        quotaBytes: 4 * 1024 * MiB,
        chunkBytes: Math.max(MiB, limitedSize / 4),
        connections: 4
      }
    },
    childEnv
  );
  let list;
  const benches = [
    {
      name: 'data-stage-vs-curl',
      target: '>=0.9',
      anchor: 'curl-one-stream',
      fn: async () => ({
        ratio: await stageVsCurl({
          bridge,
          endpoint: 'rgw',
          bucket,
          key: `big-${bigSize}.bin`,
          size: bigSize,
          rounds,
          log,
          label: 'unthrottled'
        })
      })
    },
    {
      name: 'data-stage-vs-curl-limited',
      target: '>=2',
      anchor: `curl-one-stream-limited-${RATE}`,
      fn: async () => ({
        ratio: await stageVsCurl({
          bridge: limited,
          endpoint: 'slow',
          bucket,
          key: `limited-${limitedSize}.bin`,
          size: limitedSize,
          rounds: smoke ? 1 : 2,
          log,
          label: `each connection limited to ${RATE}B/s`
        })
      })
    },
    {
      name: 'data-list-first-screen',
      target: '<=2',
      anchor: 'sdk-list-objects-v2',
      fn: async () => {
        await ensureManyKeys(s3, manyBucket, smoke ? 2000 : 100000, log);
        list = await listing({ bridge, s3, bucket: manyBucket, rounds, log });
        return { ratio: list.first };
      }
    },
    {
      name: 'data-list-full',
      target: '<=1.5',
      anchor: 'sdk-list-objects-v2',
      fn: async () => {
        if (!list) {
          throw new Error('the listing phase failed');
        }
        return { ratio: list.full };
      }
    }
  ];
  try {
    await runFigures('data', benches, { smoke, log, started });
  } finally {
    await bridge.stop();
    await limited.stop();
    // The big objects go (the rig's OSD keeps objects in 4 GiB of memory, shared with the
    // tests); the many-keys bucket, small and slow to make, stays for the next run.
    await removeObjects(s3, bucket, [
      `big-${bigSize}.bin`,
      `limited-${limitedSize}.bin`
    ]);
    s3.destroy();
  }
}
