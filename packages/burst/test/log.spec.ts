import { BurstJobsModel } from '../src/models/jobs';
import { JobLogModel } from '../src/models/log';
import { FakeClient, flush } from './fixtures';

function setup() {
  const client = new FakeClient();
  // Nothing yet when the view opens.
  client.respond(() => ({
    id: 'job00001',
    offset: 0,
    nextOffset: 0,
    text: '',
    complete: false,
    liveLogs: 'stream'
  }));
  const jobs = new BurstJobsModel({ client: client.asClient() });
  const log = new JobLogModel({ jobId: 'job00001', jobs, maxBytes: 64 });
  const piece = (offset: number, text: string, complete?: boolean) =>
    client.push('burst/job00001', {
      type: 'log',
      id: 'job00001',
      offset,
      text,
      ...(complete ? { complete } : {})
    });
  return { client, log, piece };
}

describe('JobLogModel', () => {
  it('puts pieces together by byte offset, skipping what it already has', () => {
    const { log, piece } = setup();
    piece(0, 'é=1\n'); // 5 bytes
    piece(5, 'two\n');
    piece(5, 'two\n'); // again after a resubscription
    piece(7, 'o\nthree\n'); // overlapping
    expect(log.text).toBe('é=1\ntwo\nthree\n');
    expect(log.complete).toBe(false);
    piece(15, '', true);
    expect(log.complete).toBe(true);
  });

  it('reads the log so far over REST when it opens (a second view gets no pushed snapshot)', async () => {
    const client = new FakeClient();
    client.respond(() => ({
      id: 'job00001',
      offset: 0,
      nextOffset: 6,
      text: 'ready\n',
      complete: true,
      liveLogs: 'stream'
    }));
    const jobs = new BurstJobsModel({ client: client.asClient() });
    const log = new JobLogModel({ jobId: 'job00001', jobs });
    await flush();
    expect(client.request).toHaveBeenCalledWith(
      'api/burst/jobs/job00001/log?offset=0',
      { cache: 'no-cache' }
    );
    expect(log.text).toBe('ready\n');
    expect(log.complete).toBe(true);
  });

  it('fills a gap from the REST API', async () => {
    const { client, log, piece } = setup();
    await flush();
    client.respond(endPoint =>
      endPoint === 'api/burst/jobs/job00001/log?offset=4'
        ? {
            id: 'job00001',
            offset: 4,
            nextOffset: 12,
            text: 'missing\n',
            complete: false,
            liveLogs: 'stream'
          }
        : new Error('unexpected ' + endPoint)
    );
    piece(0, 'one\n');
    piece(12, 'later\n');
    await flush();
    expect(log.text).toBe('one\nmissing\n');
    piece(12, 'later\n');
    expect(log.text).toBe('one\nmissing\nlater\n');
  });

  it('keeps the tail of a long log and says earlier lines were left out', () => {
    const { log, piece } = setup();
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('');
    piece(0, lines);
    expect(log.truncated).toBe(true);
    expect(log.text.endsWith('line 19\n')).toBe(true);
    expect(log.text.startsWith('line ')).toBe(true);
    expect(log.text.length).toBeLessThanOrEqual(64);
  });

  it('starts late when the snapshot does', () => {
    const { log, piece } = setup();
    piece(1000, 'tail\n');
    expect(log.text).toBe('tail\n');
    expect(log.truncated).toBe(true);
  });
});
