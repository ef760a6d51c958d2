import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInit, event, eventId, eventually, OTHER, SITE, startTestWorker, type TestWorker } from './helpers.js';

const DAY = 86_400_000;
let worker: TestWorker;
/** What the Worker prints: each retention run logs what it deleted (checked here, not printed by the test run). */
const logged: string[] = [];
const log = (text: string) => logged.push(text);

beforeAll(async () => {
  worker = await startTestWorker({ EVENT_RETENTION_DAYS: '10' }, undefined, log);
});
afterAll(async () => {
  await worker?.mf.dispose();
});

/** Writes an event row directly, `ageDays` old (the API refuses events older than 7 days). */
async function oldRow(site: string, ageDays: number): Promise<string> {
  const id = eventId();
  const ts = Date.now() - ageDays * DAY;
  await worker.db
    .prepare(
      `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, engaged_ms, payload)
       VALUES (?, 'seed', 'pk', ?, 'v-old', 's-old', 'pageview', ?, ?, 0, '{}')`,
    )
    .bind(id, site, ts, ts)
    .run();
  return id;
}

const stored = async (ids: string[]) => {
  const rows = await worker.db
    .prepare(`SELECT event_id FROM events WHERE event_id IN (${ids.map(() => '?').join(', ')})`)
    .bind(...ids)
    .all<{ event_id: string }>();
  return rows.results.map((row) => row.event_id).sort();
};

describe('retention (cron trigger)', () => {
  it('deletes raw events past EVENT_RETENTION_DAYS on every site, keeping newer events and the visitor rows', async () => {
    const old = [await oldRow(SITE.site, 11), await oldRow(SITE.site, 40), await oldRow(OTHER.site, 12)];
    const kept = [await oldRow(SITE.site, 9), await oldRow(OTHER.site, 2)];
    const fresh = event({ visitor_id: 'v-retained' });
    expect((await worker.call('/track/batch', batchInit([fresh]))).status).toBe(200);
    const visitorsBefore = await worker.db.prepare('SELECT COUNT(*) AS n FROM visitors').first<{ n: number }>();

    const fetcher = await worker.mf.getWorker();
    await fetcher.scheduled({ cron: '17 3 * * *' });

    await eventually(async () => (await stored(old)).length === 0);
    expect(await stored([...kept, fresh.event_id as string])).toEqual([...kept, fresh.event_id as string].sort());
    expect(await worker.db.prepare('SELECT COUNT(*) AS n FROM visitors').first<{ n: number }>()).toEqual(visitorsBefore);
    await eventually(async () => logged.join('').includes('retention (10 days) deleted 3 events'));
  });

  it('never keeps less than 8 days, so a late retry is still recognised as a duplicate', async () => {
    const short = await startTestWorker({ EVENT_RETENTION_DAYS: '1' }, undefined, log);
    try {
      const id = eventId();
      const ts = Date.now() - 7 * DAY + 60_000;
      await short.db
        .prepare(
          `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, engaged_ms, payload)
           VALUES (?, 'seed', 'pk', ?, 'v', 's', 'pageview', ?, ?, 0, '{}')`,
        )
        .bind(id, SITE.site, ts, ts)
        .run();
      await (await short.mf.getWorker()).scheduled({ cron: '17 3 * * *' });
      // Give a wrongly eager cleanup the time to run before checking that it did not.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await short.db.prepare('SELECT COUNT(*) AS n FROM events WHERE event_id = ?').bind(id).first<{ n: number }>()).toEqual({
        n: 1,
      });
      expect(logged.join('')).toContain('retention (8 days) deleted 0 events');
    } finally {
      await short.mf.dispose();
    }
  });
});
