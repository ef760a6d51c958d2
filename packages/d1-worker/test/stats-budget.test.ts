import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPageviews } from '../scripts/seed-events.mjs';
import { batchInit, event, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

// Issue 27: with the public write key, 80,000 events made one stats request take 8-10 s on D1, three health checks
// answered 503 and workerd grew to ~1 GB (every event of the range read at once). The read is now paged within a
// budget, and the isolate answers other requests between pages. That raw read is now the live panel's; the other
// panels read per-visit rollups, whose visits in range are counted against the same budget first.
let worker: TestWorker;
let small: TestWorker;
beforeAll(async () => {
  [worker, small] = await Promise.all([startTestWorker(), startTestWorker({ STATS_MAX_EVENTS: '6000' })]);
  await Promise.all([seed(worker, 40_000), seed(small, 7000)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([worker?.mf.dispose(), small?.mf.dispose()]);
});

/** `visits` one-pageview visits of the test site in the last four minutes (the live window), written in one statement. */
async function seed(started: TestWorker, visits: number) {
  await seedPageviews(started.db, {
    writeKey: SITE.writeKey,
    site: SITE.site,
    count: visits,
    from: Date.now() - 240_000,
    spanMs: 240_000,
    padding: 400,
  });
}

const stats = (path: string, on = worker) => on.call(path, { headers: secret() });

describe('a stats request on D1', () => {
  it('reads the 40,000 events of the live window in pages and counts every visitor', async () => {
    const answer = await stats('/v1/stats/live');
    expect([answer.status, answer.body.data.visitors]).toEqual([200, 40_000]);
  });

  it('leaves health and ingest answering while it reads 40,000 events', async () => {
    let statsDone = false;
    const running = stats('/v1/stats/live').then((answer) => {
      statsDone = true;
      return [answer.status, answer.body?.data?.visitors > 0];
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
    const answer = await stats('/v1/stats/live', small);
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answer.body).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(/more than 6000 events/) });
  });

  it('answers a rollup panel 503 with Retry-After when its range holds more visits than the budget', async () => {
    // The seeded events' visit rows, as the Worker's rebuild after a batch writes them (one pageview each).
    await small.db
      .prepare(
        `INSERT INTO visits (site_id, session_id, visitor_id, start_ts, end_ts, pageviews, bounce, duration_s, entry_page, exit_page, source)
         SELECT site_id, session_id, visitor_id, ts, ts, 1, 1, 0, json_extract(payload, '$.path'), json_extract(payload, '$.path'), 'direct'
           FROM events WHERE site_id = ?1`,
      )
      .bind(SITE.site)
      .run();
    for (const panel of ['summary', 'breakdown?dimension=page', 'revenue']) {
      const answer = await stats(`/v1/stats/${panel}`, small);
      expect(answer.status, panel).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answer.body).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(/more than 6000 visits/) });
    }
    // A range within the budget answers (the visits of the last two minutes: 3,500).
    const answer = await stats(`/v1/stats/summary?from=${Date.now() - 120_000}`, small);
    expect(answer.status).toBe(200);
    expect(answer.body.data.visits).toBeGreaterThan(3000);
  });
});
