import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateDailyMetrics, processEventsBatch, updateActiveSessions, utcDay } from '../src/etl.js';
import { BACKENDS, createTestDb, event, MINUTE, resetDb, store, type TestDb, utcMidnight } from './helpers.js';

describe.each(BACKENDS)('concurrent ETL on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('four runners draining one backlog take every event exactly once and agree with the raw data', async () => {
    const start = utcMidnight(1) + 6 * 60 * MINUTE;
    const sessions = 40;
    const perSession = 30;
    const events = [];
    for (let s = 0; s < sessions; s++) {
      for (let i = 0; i < perSession; i++) {
        // Interleaved so every batch touches many sessions and every session is split across runners.
        const type = i % 3 === 0 ? 'pageview' : 'click';
        events.push(event({ session_id: `cs${s}`, visitor_id: `cv${s}`, type, path: `/p${i}` }, start + i * MINUTE + s));
      }
    }
    for (let i = 0; i < events.length; i += 400) await store(t.db, events.slice(i, i + 400));
    const runners = await Promise.all([t.db, await t.open(), await t.open(), await t.open()].map((db) => drain(db)));
    expect(runners.reduce((a, b) => a + b, 0)).toBe(events.length);
    const [counts] = await t.db.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM events_log WHERE processed_at IS NULL) AS unprocessed,
              (SELECT count(*)::int FROM pageviews) AS pageviews,
              (SELECT count(*)::int FROM user_events) AS user_events,
              (SELECT count(*)::int FROM user_sessions) AS sessions,
              (SELECT sum(pageview_count)::int FROM user_sessions) AS session_pageviews,
              (SELECT sum(event_count)::int FROM user_sessions) AS session_events,
              (SELECT count(*)::int FROM pageviews WHERE time_on_page_seconds IS NULL) AS open_pages`,
    );
    expect(counts).toEqual({
      unprocessed: 0,
      pageviews: sessions * 10,
      user_events: sessions * 20,
      sessions,
      session_pageviews: sessions * 10,
      session_events: sessions * perSession,
      open_pages: 0,
    });
    const wrong = await t.db.query(
      `SELECT session_id FROM user_sessions
       WHERE entry_path <> '/p0' OR exit_path <> '/p27' OR duration_seconds <> ${(perSession - 1) * 60}`,
    );
    expect(wrong).toEqual([]);
  });

  it('runs beside ingest: events stored while runners drain are all processed once, none twice', async () => {
    await resetDb(t.db);
    const start = utcMidnight(1) + 7 * 60 * MINUTE;
    const all = Array.from({ length: 1200 }, (_, i) => event({ session_id: `live${i % 25}`, visitor_id: `lv${i % 25}` }, start + i * 1000));
    const writer = (async () => {
      for (let i = 0; i < all.length; i += 100) await store(t.db, all.slice(i, i + 100));
    })();
    const other = await t.open();
    // Runners keep draining until the writer is done and nothing is left.
    let writing = true;
    const runner = async (db: typeof t.db) => {
      let total = 0;
      for (;;) {
        const n = await processEventsBatch(db, 40);
        total += n;
        if (n === 0 && !writing) return total;
        if (n === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const runs = [runner(t.db), runner(other)];
    await writer;
    writing = false;
    const processed = (await Promise.all(runs)).reduce((a, b) => a + b, 0);
    expect(processed).toBe(all.length);
    const [row] = await t.db.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM pageviews) AS pageviews, (SELECT sum(pageview_count)::int FROM user_sessions) AS counted,
              (SELECT count(*)::int FROM events_log WHERE processed_at IS NULL) AS unprocessed`,
    );
    expect(row).toEqual({ pageviews: all.length, counted: all.length, unprocessed: 0 });
  });

  it('closes sessions and recomputes days from two runners at once with the same result as one', async () => {
    await resetDb(t.db);
    const day = utcMidnight(2);
    await store(
      t.db,
      Array.from({ length: 60 }, (_, i) => event({ session_id: `d${i}`, visitor_id: `dv${i % 20}` }, day + i * MINUTE)),
    );
    await processEventsBatch(t.db, 1000);
    await t.db.exec('UPDATE user_sessions SET session_end = NULL');
    const other = await t.open();
    const closed = await Promise.all([updateActiveSessions(t.db), updateActiveSessions(other)]);
    expect(closed[0] + closed[1]).toBe(60);
    const range = [utcDay(day - 86_400_000), utcDay(day + 86_400_000)] as const;
    await Promise.all([calculateDailyMetrics(t.db, ...range), calculateDailyMetrics(other, ...range)]);
    const twice = await t.db.query(
      'SELECT site_id, metric_date::text, unique_visitors, total_sessions, total_pageviews FROM daily_site_metrics',
    );
    await calculateDailyMetrics(t.db, ...range);
    const once = await t.db.query(
      'SELECT site_id, metric_date::text, unique_visitors, total_sessions, total_pageviews FROM daily_site_metrics',
    );
    expect(twice).toEqual(once);
    expect(once).toEqual([{ site_id: 'demo', metric_date: utcDay(day), unique_visitors: 20, total_sessions: 60, total_pageviews: 60 }]);
  });
});

async function drain(db: Parameters<typeof processEventsBatch>[0]): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await processEventsBatch(db, 50);
    total += n;
    if (n === 0) return total;
  }
}
