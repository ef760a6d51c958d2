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

  it('keeps an identity no longer than the events it came from, from the earliest identification still stored', async () => {
    // Stored as ingest stores them: the events, and each visitor's earliest identification in visitor_users.
    const identify = async (visitor: string, ageDays: number, user: string, first: boolean) => {
      const e = event({ visitor_id: visitor, session_id: `${visitor}-${ageDays}`, ts: Date.now() - ageDays * DAY, user_id: user });
      await worker.db
        .prepare(
          `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, engaged_ms, payload)
           VALUES (?1, 'seed', 'pk', ?2, ?3, ?4, 'pageview', ?5, ?5, 0, ?6)`,
        )
        .bind(e.event_id, SITE.site, visitor, e.session_id, e.ts, JSON.stringify(e))
        .run();
      if (first)
        await worker.db
          .prepare('INSERT INTO visitor_users (site_id, visitor_id, user_id, ts, seq, event_id) VALUES (?1, ?2, ?3, ?4, 1, ?5)')
          .bind(SITE.site, visitor, user, e.ts, e.event_id)
          .run();
      return e;
    };
    // The laptop, identified 12 days ago, again 2 days ago; the phone only 12 days ago; the tablet 5 days ago.
    await identify('laptop', 12, 'u-1', true);
    const again = await identify('laptop', 2, 'u-1', false);
    await identify('phone', 12, 'u-2', true);
    const tablet = await identify('tablet', 5, 'u-3', true);
    await (await worker.mf.getWorker()).scheduled({ cron: '17 3 * * *' });
    const identities = async () =>
      (
        await worker.db
          .prepare(
            "SELECT visitor_id, user_id, event_id FROM visitor_users WHERE site_id = ?1 AND visitor_id IN ('laptop', 'phone', 'tablet')",
          )
          .bind(SITE.site)
          .all()
      ).results;
    const expected = [
      { visitor_id: 'laptop', user_id: 'u-1', event_id: again.event_id },
      { visitor_id: 'tablet', user_id: 'u-3', event_id: tablet.event_id },
    ];
    await eventually(async () => JSON.stringify(await identities()) === JSON.stringify(expected));
    await eventually(async () => logged.join('').includes('2 identities derived again'));
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
