import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInit, event, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

// Issue 27: with the public write key, 80,000 events made one stats request take 8-10 s on D1, three health checks
// answered 503 and workerd grew to ~1 GB (every event of the range read at once). The read is now paged within a
// budget, and the isolate answers other requests between pages.
let worker: TestWorker;
let small: TestWorker;
beforeAll(async () => {
  [worker, small] = await Promise.all([startTestWorker(), startTestWorker({ STATS_MAX_EVENTS: '6000' })]);
  await Promise.all([seed(worker, 40_000), seed(small, 7000)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([worker?.mf.dispose(), small?.mf.dispose()]);
});

/** `visits` one-pageview visits of the test site in the last hour, written in one statement. */
async function seed(started: TestWorker, visits: number) {
  const now = Date.now();
  await started.db
    .prepare(
      `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, payload)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?3 - 1)
       SELECT printf('00000000-0000-4000-8000-%012d', i), 'seed', ?1, ?2, 'v' || i, 's' || i, 'pageview', ?4 + i, ?4,
              json_object('event_id', printf('00000000-0000-4000-8000-%012d', i), 'type', 'pageview', 'ts', ?4 + i,
                          'site_id', ?2, 'visitor_id', 'v' || i, 'session_id', 's' || i, 'seq', 1,
                          'url', 'https://acme.example/p' || (i % 100), 'path', '/p' || (i % 100),
                          'props', json_object('padding', hex(zeroblob(200))))
         FROM n`,
    )
    .bind(SITE.writeKey, SITE.site, visits, now - 3_000_000)
    .run();
}

const stats = (path: string, on = worker) => on.call(path, { headers: secret() });

describe('a stats request on D1', () => {
  it('reads a range of 40,000 events in pages and counts every visit', async () => {
    const answer = await stats(`/v1/stats/summary?from=${Date.now() - 86_400_000}`);
    expect([answer.status, answer.body.data.visits, answer.body.data.pageviews]).toEqual([200, 40_000, 40_000]);
  });

  it('leaves health and ingest answering while it reads 40,000 events', async () => {
    let statsDone = false;
    const running = stats(`/v1/stats/timeseries?from=${Date.now() - 86_400_000}`).then((answer) => {
      statsDone = true;
      return [answer.status, answer.body?.data?.points?.length > 0];
    });
    const healthWhileReading: number[] = [];
    let ingested: number | undefined;
    const ingest = worker.call('/track/batch', batchInit([event()])).then((answer) => {
      if (!statsDone) ingested = answer.status;
    });
    while (!statsDone) {
      const answer = await worker.call('/health');
      if (!statsDone) healthWhileReading.push(answer.status);
    }
    await ingest;
    expect(await running).toEqual([200, true]);
    expect(healthWhileReading.length, 'health checks answered while the stats request ran').toBeGreaterThanOrEqual(3);
    expect(new Set(healthWhileReading)).toEqual(new Set([200]));
    expect(ingested, 'a batch answered while the stats request ran').toBe(200);
  }, 60_000);

  it('answers 503 with Retry-After past its event budget (STATS_MAX_EVENTS)', async () => {
    const answer = await stats('/v1/stats/summary', small);
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answer.body).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(/more than 6000 events/) });
  });
});
