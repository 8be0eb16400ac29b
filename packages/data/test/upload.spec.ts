import { IUploadSource, UploadModel } from '../src/models/upload';
import { PutToUrl } from '../src/models/xhr';
import { FakeBridge } from './fixtures';

const MiB = 1024 * 1024;

/**
 * A file that is never in memory: it records the slices taken and how many are held (a
 * slice is held from when it is taken until its PUT settles).
 */
class TrackedFile implements IUploadSource {
  constructor(readonly size: number) {}
  slices: Array<[number, number]> = [];
  held = 0;
  peakHeld = 0;
  slice(start: number, end: number): Blob {
    this.slices.push([start, end]);
    this.held++;
    this.peakHeld = Math.max(this.peakHeld, this.held);
    const blob = new Blob([]);
    Object.defineProperty(blob, 'range', { value: [start, end] });
    return blob;
  }
}

/**
 * A bridge that starts uploads of `partSize` parts in browser mode and records them.
 */
function storage(partSize: number, mode: 'browser' | 'bridge' = 'browser') {
  const stored = new Map<number, string>();
  const bridge = new FakeBridge()
    .on('POST', /\/uploads$/, call => {
      const body = call.body as { bucket: string; key: string; size: number };
      return {
        uploadId: 'up-1',
        bucket: body.bucket,
        key: body.key,
        mode,
        ...(mode === 'bridge'
          ? { modeReason: "the bucket's CORS does not expose ETag" }
          : {}),
        partSize,
        partCount: Math.max(1, Math.ceil(body.size / partSize))
      };
    })
    .on('POST', /\/uploads\/up-1\/parts$/, call => ({
      parts: (call.body as { partNumbers: number[] }).partNumbers.map(n => ({
        partNumber: n,
        url: `https://s3.example/b/k?partNumber=${n}&uploadId=up-1`
      })),
      expiresAt: 0
    }))
    .on('GET', /\/uploads\/up-1$/, () => ({
      uploadId: 'up-1',
      bucket: 'b',
      key: 'k',
      parts: [...stored].map(([partNumber, etag]) => ({
        partNumber,
        etag,
        size: partSize
      }))
    }))
    .on('POST', /\/uploads\/up-1\/complete$/, call => ({
      bucket: 'b',
      key: 'k',
      etag: 'final-3',
      size: 0,
      parts: (call.body as any).parts
    }))
    .on('DELETE', /\/uploads\/up-1$/, () => undefined);
  return { bridge, stored };
}

/**
 * A PUT that stores the part and answers its ETag, failing the tries `failures` lists.
 */
function putter(
  file: TrackedFile,
  stored: Map<number, string>,
  failures: Record<number, number> = {}
): PutToUrl & jest.Mock {
  return jest.fn(async (url: string, body: Blob, options) => {
    const n = Number(/partNumber=(\d+)/.exec(url)![1]);
    try {
      await new Promise(resolve => setTimeout(resolve, 1));
      const [start, end] = (body as any).range;
      options.onProgress?.((end - start) / 2);
      if ((failures[n] ?? 0) > 0) {
        failures[n]--;
        throw new Error(`network down on part ${n}`);
      }
      stored.set(n, `etag-${n}`);
      return `"etag-${n}"`;
    } finally {
      file.held--;
    }
  }) as any;
}

function upload(
  bridge: FakeBridge,
  file: TrackedFile,
  put: PutToUrl,
  options: Partial<UploadModel.IOptions> = {}
) {
  return new UploadModel({
    api: bridge.api(),
    endpoint: 'rgw',
    bucket: 'b',
    key: 'k',
    source: file,
    concurrency: 3,
    retries: 2,
    retryDelay: () => 0,
    putToUrl: put,
    ...options
  });
}

describe('UploadModel', () => {
  it('sends a large file in parts, at most `concurrency` slices held at once, then completes', async () => {
    const { bridge, stored } = storage(8 * MiB);
    const file = new TrackedFile(200 * MiB + 123);
    const put = putter(file, stored);
    const model = upload(bridge, file, put);
    await model.start();

    expect(model.state).toBe('done');
    expect(model.mode).toBe('browser');
    expect(model.parts).toHaveLength(26);
    // Bounded memory: each slice is one part, never the whole file, and no more than three
    // parts were held at any time.
    expect(file.slices).toHaveLength(26);
    expect(Math.max(...file.slices.map(([a, b]) => b - a))).toBe(8 * MiB);
    expect(file.slices.at(-1)).toEqual([200 * MiB, 200 * MiB + 123]);
    expect(file.peakHeld).toBeLessThanOrEqual(3);
    expect(model.peakInFlight).toBe(3);
    // URLs were asked for in batches, not one request per part.
    const signs = bridge.calls.filter(c => c.path.endsWith('/parts'));
    expect(signs.length).toBeLessThanOrEqual(4);
    const complete = bridge.calls.find(c => c.path.endsWith('/complete'))!;
    expect(complete.body).toMatchObject({ bucket: 'b', key: 'k' });
    expect((complete.body as any).parts).toHaveLength(26);
    expect((complete.body as any).parts[0]).toEqual({
      partNumber: 1,
      etag: '"etag-1"'
    });
    expect(model.progress.done).toBe(200 * MiB + 123);
    expect(model.progress.complete).toBe(true);
  });

  it('retries a failed part and goes on', async () => {
    const { bridge, stored } = storage(5 * MiB);
    const file = new TrackedFile(20 * MiB);
    const put = putter(file, stored, { 2: 2 });
    const model = upload(bridge, file, put);
    await model.start();
    expect(model.state).toBe('done');
    // Part 2 was sent three times (two failures, one success), each time sliced afresh.
    expect(file.slices.filter(([a]) => a === 5 * MiB)).toHaveLength(3);
    expect(put).toHaveBeenCalledTimes(4 + 2);
  });

  it('stops after the retries, then resumes with only the parts S3 does not hold', async () => {
    const { bridge, stored } = storage(5 * MiB);
    const file = new TrackedFile(30 * MiB);
    const put = putter(file, stored, { 4: 10 });
    const model = upload(bridge, file, put, { concurrency: 1 });
    await model.start();

    expect(model.state).toBe('failed');
    expect((model.error as Error).message).toBe('network down on part 4');
    expect(model.parts.map(p => p.state)).toEqual([
      'done',
      'done',
      'done',
      'failed',
      'pending',
      'pending'
    ]);
    expect(bridge.calls.some(c => c.path.endsWith('/complete'))).toBe(false);
    const sentBefore = file.slices.length;

    // The network is back: resume lists the stored parts and sends 4, 5 and 6 only.
    (put as jest.Mock).mockImplementation(putter(file, stored));
    await model.resume();
    expect(model.state).toBe('done');
    expect(
      bridge.calls.some(
        c => c.method === 'GET' && c.path.endsWith('/uploads/up-1')
      )
    ).toBe(true);
    expect(
      file.slices.slice(sentBefore).map(([a]) => a / (5 * MiB) + 1)
    ).toEqual([4, 5, 6]);
    expect(model.doneParts).toBe(6);
  });

  it('sends parts through the bridge when the bridge chooses bridge mode', async () => {
    const { bridge } = storage(5 * MiB, 'bridge');
    bridge.on('PUT', /\/uploads\/up-1\/parts\/(\d+)$/, (call, match) => ({
      uploadId: 'up-1',
      bucket: call.query.bucket,
      key: call.query.key,
      parts: [{ partNumber: Number(match[1]), etag: `b-${match[1]}` }]
    }));
    const file = new TrackedFile(12 * MiB);
    const put = jest.fn();
    const model = upload(bridge, file, put as any);
    await model.start();
    expect(model.state).toBe('done');
    expect(model.mode).toBe('bridge');
    expect(model.modeReason).toMatch(/CORS/);
    expect(put).not.toHaveBeenCalled();
    const puts = bridge.calls.filter(c => c.method === 'PUT');
    expect(puts.map(c => c.path)).toEqual([
      'api/data/endpoints/rgw/uploads/up-1/parts/1',
      'api/data/endpoints/rgw/uploads/up-1/parts/2',
      'api/data/endpoints/rgw/uploads/up-1/parts/3'
    ]);
    expect(puts[0].query).toEqual({ bucket: 'b', key: 'k' });
    // The body is the part's slice, not the file.
    expect((puts[2].body as any).range).toEqual([10 * MiB, 12 * MiB]);
  });

  it('cancels: aborts the upload on the bridge', async () => {
    const { bridge, stored } = storage(5 * MiB);
    const file = new TrackedFile(50 * MiB);
    const put = putter(file, stored);
    const model = upload(bridge, file, put);
    const running = model.start();
    await new Promise(resolve => setTimeout(resolve, 0));
    await model.cancel();
    await running;
    expect(model.state).toBe('cancelled');
    expect(bridge.calls.some(c => c.method === 'DELETE')).toBe(true);
    expect(bridge.calls.some(c => c.path.endsWith('/complete'))).toBe(false);
  });
});
