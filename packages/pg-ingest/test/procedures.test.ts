import { classifySource, type Props } from '@trailmark/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { calculateDailyMetrics, cleanupProcessedEvents, processEventsBatch, updateActiveSessions, utcDay } from '../src/etl.js';
import { BACKENDS, createTestDb, event, MINUTE, resetDb, store, type TestDb, utcMidnight } from './helpers.js';

type Session = Record<string, unknown> & { pageview_count: number; bounce: boolean; duration_seconds: number };

describe.each(BACKENDS)('ETL procedures on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => {
    await t?.drop();
  });
  beforeEach(async () => {
    await resetDb(t.db);
  });

  const session = async (id: string) => {
    const [row] = await t.db.query<Session>("SELECT * FROM user_sessions WHERE site_id = 'demo' AND session_id = $1", [id]);
    return row as Session;
  };

  it("runs the seed's maintenance calls as written", async () => {
    await store(t.db, [event({ session_id: 'seed' }, Date.now() - 60 * MINUTE)]);
    const unprocessed = `SELECT event_type, COUNT(*)::int AS unprocessed_count FROM events_log WHERE processed_at IS NULL GROUP BY event_type`;
    expect(await t.db.query(unprocessed)).toEqual([{ event_type: 'pageview', unprocessed_count: 1 }]);
    expect(await t.db.query('CALL process_events_batch(batch_size := 1000)')).toEqual([{ processed: 1 }]);
    expect(await t.db.query('CALL process_events_batch(5000)')).toEqual([{ processed: 0 }]);
    expect(await t.db.query('CALL update_active_sessions()')).toEqual([{ closed: 0 }]);
    const daily = await t.db.query('CALL calculate_daily_metrics(start_date := CURRENT_DATE - 1, end_date := CURRENT_DATE - 1)');
    expect(daily).toHaveLength(1);
    expect(await t.db.query('CALL cleanup_processed_events(90)')).toEqual([{ deleted: expect.anything() }]);
    expect(await t.db.query(unprocessed)).toEqual([]);
  });

  it('builds a session spanning midnight: counted on the day it started, pageviews on their own days', async () => {
    const midnight = utcMidnight(1);
    await store(t.db, [
      event({ session_id: 'late', path: '/a', url: 'https://shop.example/a' }, midnight - 10 * MINUTE),
      event({ session_id: 'late', path: '/b', url: 'https://shop.example/b' }, midnight + 10 * MINUTE),
      event({ session_id: 'late', type: 'heartbeat' }, midnight + 15 * MINUTE),
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(3);
    const s = await session('late');
    expect(s).toMatchObject({ pageview_count: 2, bounce: false, duration_seconds: 25 * 60, entry_path: '/a', exit_path: '/b' });
    expect(s.session_end).toEqual(new Date(midnight + 15 * MINUTE));
    const times = await t.db.query<{ path: string; time_on_page_seconds: number }>(
      "SELECT path, time_on_page_seconds FROM pageviews WHERE session_id = 'late' ORDER BY view_timestamp",
    );
    expect(times).toEqual([
      { path: '/a', time_on_page_seconds: 20 * 60 },
      { path: '/b', time_on_page_seconds: 5 * 60 },
    ]);
    await calculateDailyMetrics(t.db, utcDay(midnight - 1), utcDay(midnight));
    const days = await t.db.query<{ day: string; total_sessions: number; total_pageviews: number; unique_visitors: number }>(
      "SELECT to_char(metric_date, 'YYYY-MM-DD') AS day, total_sessions, total_pageviews, unique_visitors FROM daily_site_metrics ORDER BY metric_date",
    );
    expect(days).toEqual([
      { day: utcDay(midnight - 1), total_sessions: 1, total_pageviews: 1, unique_visitors: 1 },
      { day: utcDay(midnight), total_sessions: 0, total_pageviews: 1, unique_visitors: 1 },
    ]);
  });

  it('marks one-page sessions without interaction as bounces, and un-bounces on a second page or a click', async () => {
    const at = utcMidnight(1) + 12 * 60 * MINUTE;
    await store(t.db, [
      event({ session_id: 'bounce' }, at),
      event({ session_id: 'bounce', type: 'scroll_depth', props: { depth: 50 } }, at + MINUTE),
      event({ session_id: 'two-pages', path: '/a' }, at),
      event({ session_id: 'two-pages', path: '/b' }, at + MINUTE),
      event({ session_id: 'clicked' }, at),
      event({ session_id: 'clicked', type: 'click', props: { tag: 'button', id: 'buy', classes: 'btn primary' } }, at + MINUTE),
    ]);
    await processEventsBatch(t.db, 100);
    expect((await session('bounce')).bounce).toBe(true);
    expect((await session('two-pages')).bounce).toBe(false);
    expect((await session('clicked')).bounce).toBe(false);
    const [click] = await t.db.query("SELECT element_tag, element_id, element_classes FROM user_events WHERE event_type = 'click'");
    expect(click).toEqual({ element_tag: 'button', element_id: 'buy', element_classes: 'btn primary' });
    const [scroll] = await t.db.query("SELECT scroll_percentage FROM user_events WHERE event_type = 'scroll_depth'");
    expect(scroll).toEqual({ scroll_percentage: 50 });
  });

  it('classifies referrers into direct, search, social and referral with the platform, as classifySource() does', async () => {
    const at = utcMidnight(1) + 60 * MINUTE;
    const cases: Array<[string, { referrer?: string; utm_source?: string; utm_medium?: string }]> = [
      ['direct', {}],
      ['google', { referrer: 'https://www.google.co.uk/search?q=x' }],
      ['bing', { referrer: 'https://www.bing.com/' }],
      ['tco', { referrer: 'https://t.co/abc' }],
      ['linkedin', { referrer: 'https://www.linkedin.com/feed/' }],
      ['hn', { referrer: 'https://news.ycombinator.com/item?id=1' }],
      ['blog', { referrer: 'https://www.someblog.org/post' }],
      ['internal', { referrer: 'https://shop.example/other' }],
      ['utm-social', { utm_source: 'linkedin', utm_medium: 'paid' }],
      ['utm-cpc', { utm_source: 'adnetwork', utm_medium: 'cpc' }],
      ['utm-mail', { utm_source: 'newsletter', utm_medium: 'email' }],
      ['utm-social-medium', { utm_source: 'mastodon.social', utm_medium: 'social' }],
      ['utm-search-host', { utm_source: 'duckduckgo.com' }],
    ];
    await store(
      t.db,
      cases.map(([id, fields]) => event({ session_id: id, ...fields }, at)),
    );
    await processEventsBatch(t.db, 100);
    const rows = await t.db.query<{ session_id: string; referrer_type: string; referrer_platform: string | null }>(
      'SELECT session_id, referrer_type, referrer_platform FROM user_sessions',
    );
    const got = Object.fromEntries(rows.map((row) => [row.session_id, [row.referrer_type, row.referrer_platform]]));
    for (const [id, fields] of cases) {
      const expected = classifySource(fields.referrer, 'https://shop.example/', fields);
      expect(got[id], id).toEqual([expected.source, expected.platform]);
    }
    expect(got.google).toEqual(['search', 'google']);
    expect(got.tco).toEqual(['social', 'twitter']);
    expect(got.blog).toEqual(['referral', 'someblog.org']);
    expect(got.internal).toEqual(['direct', null]);
    expect(got['utm-mail']).toEqual(['referral', 'newsletter']);
  });

  it('attributes sessions to their first event UTM tags, and the campaign query groups them', async () => {
    const at = utcMidnight(1) + 8 * 60 * MINUTE;
    const utm = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring' };
    await store(t.db, [
      event({ session_id: 'c1', visitor_id: 'va', ...utm, url: 'https://shop.example/?utm_source=newsletter' }, at),
      event({ session_id: 'c1', visitor_id: 'va', path: '/p' }, at + 2 * MINUTE),
      event({ session_id: 'c2', visitor_id: 'vb', ...utm }, at),
      event({ session_id: 'c3', visitor_id: 'vc', utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'brand' }, at),
      event({ session_id: 'c4', visitor_id: 'vd' }, at),
    ]);
    await processEventsBatch(t.db, 100);
    expect(await session('c1')).toMatchObject({ utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring' });
    const { campaigns } = await import('../src/queries.js');
    const rows = await campaigns(t.db, 'demo', { days: 30 });
    expect(rows).toEqual([
      {
        utm_source: 'newsletter',
        utm_medium: 'email',
        utm_campaign: 'spring',
        sessions: 2,
        unique_visitors: 2,
        avg_session_duration: 60,
        avg_pages_per_session: 1.5,
        bounce_rate: 0.5,
      },
      {
        utm_source: 'google',
        utm_medium: 'cpc',
        utm_campaign: 'brand',
        sessions: 1,
        unique_visitors: 1,
        avg_session_duration: 0,
        avg_pages_per_session: 1,
        bounce_rate: 1,
      },
    ]);
  });

  it('merges a session processed over several batches, whatever order its events arrive in', async () => {
    const at = utcMidnight(1) + 9 * 60 * MINUTE;
    // The later half arrives (and is processed) first; the entry page and attribution must still be the earliest.
    await store(t.db, [
      event({ session_id: 'm', path: '/c', url: 'https://shop.example/c' }, at + 4 * MINUTE),
      event({ session_id: 'm', path: '/d', url: 'https://shop.example/d' }, at + 6 * MINUTE),
    ]);
    expect(await processEventsBatch(t.db, 1)).toBe(1);
    expect(await processEventsBatch(t.db, 1)).toBe(1);
    await store(t.db, [
      event({ session_id: 'm', path: '/a', url: 'https://shop.example/a', referrer: 'https://www.google.com/' }, at),
      event({ session_id: 'm', path: '/b', url: 'https://shop.example/b' }, at + MINUTE),
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(2);
    expect(await processEventsBatch(t.db, 100)).toBe(0);
    const s = await session('m');
    expect(s).toMatchObject({
      pageview_count: 4,
      entry_path: '/a',
      exit_path: '/d',
      duration_seconds: 6 * 60,
      referrer_type: 'search',
      referrer_platform: 'google',
      bounce: false,
    });
    const times = await t.db.query<{ path: string; time_on_page_seconds: number | null }>(
      "SELECT path, time_on_page_seconds FROM pageviews WHERE session_id = 'm' ORDER BY view_timestamp",
    );
    expect(times.map((row) => row.time_on_page_seconds)).toEqual([60, 180, 120, null]);
  });

  it("keeps visit_pages equal to the pageviews by visit and path, with the visit's visitor and start, whatever writes them", async () => {
    type Row = { session_id: string; path: string; visitor_id: string; session_start: Date; views: number };
    const rollup = () =>
      t.db.query<Row>('SELECT session_id, path, visitor_id, session_start, views FROM visit_pages ORDER BY session_id, path');
    const fromPageviews = () =>
      t.db.query<Row>(
        `SELECT p.session_id, p.path, s.visitor_id, s.session_start, count(*)::int AS views
         FROM pageviews p JOIN user_sessions s USING (site_id, session_id)
         GROUP BY p.session_id, p.path, s.visitor_id, s.session_start ORDER BY p.session_id, p.path`,
      );
    const at = utcMidnight(1) + 9 * 60 * MINUTE;
    // Two batches of one visit: the later pages first, then an earlier pageview that moves the visit's start
    // and a second view of /b; a retried event (same id) is stored once and counted once.
    const retried = event({ session_id: 'r', path: '/b', url: 'https://shop.example/b' }, at + 5 * MINUTE);
    await store(t.db, [
      retried,
      event({ session_id: 'r', path: '/c', url: 'https://shop.example/c' }, at + 6 * MINUTE),
      event({ session_id: 'other', visitor_id: 'v2', path: '/b' }, at),
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(3);
    await store(t.db, [
      { ...retried, event_id: retried.event_id },
      event({ session_id: 'r', path: '/a', url: 'https://shop.example/a' }, at + MINUTE),
      event({ session_id: 'r', path: '/b', url: 'https://shop.example/b' }, at + 2 * MINUTE),
      event({ session_id: 'r', type: 'click', props: { tag: 'a' } }, at + 3 * MINUTE),
    ]);
    await processEventsBatch(t.db, 100);
    expect(await rollup()).toEqual([
      { session_id: 'other', path: '/b', visitor_id: 'v2', session_start: new Date(at), views: 1 },
      { session_id: 'r', path: '/a', visitor_id: 'v1', session_start: new Date(at + MINUTE), views: 1 },
      { session_id: 'r', path: '/b', visitor_id: 'v1', session_start: new Date(at + MINUTE), views: 2 },
      { session_id: 'r', path: '/c', visitor_id: 'v1', session_start: new Date(at + MINUTE), views: 1 },
    ]);
    expect(await rollup()).toEqual(await fromPageviews());
    // An operator's erasure: deleting pageviews subtracts them, deleting a session takes its rows.
    await t.db.query("DELETE FROM pageviews WHERE session_id = 'r' AND (path = '/c' OR (path = '/b' AND view_timestamp = $1))", [
      new Date(at + 2 * MINUTE).toISOString(),
    ]);
    expect((await rollup()).map((row) => [row.session_id, row.path, row.views])).toEqual([
      ['other', '/b', 1],
      ['r', '/a', 1],
      ['r', '/b', 1],
    ]);
    expect(await rollup()).toEqual(await fromPageviews());
    await t.db.exec("DELETE FROM user_sessions WHERE session_id = 'other'");
    expect((await rollup()).map((row) => row.session_id)).toEqual(['r', 'r']);
    // A pageview written before its session (not the ETL's order) takes the session's visitor and start when it comes.
    await t.db.exec(`INSERT INTO pageviews (event_id, session_id, visitor_id, site_id, url, path, view_timestamp)
      VALUES (gen_random_uuid(), 'early', 'v9', 'demo', 'https://shop.example/x', '/x', '${new Date(at + MINUTE).toISOString()}')`);
    await store(t.db, [event({ session_id: 'early', visitor_id: 'v3', type: 'heartbeat' }, at)]);
    await processEventsBatch(t.db, 100);
    expect((await rollup()).find((row) => row.session_id === 'early')).toEqual({
      session_id: 'early',
      path: '/x',
      visitor_id: 'v3',
      session_start: new Date(at),
      views: 1,
    });
    await t.db.exec('TRUNCATE pageviews');
    expect(await rollup()).toEqual([]);
  });

  it('keeps visit_vitals at the last report of each metric of a visit, whatever order the reports arrive in', async () => {
    const vitals = () =>
      t.db.query<{ session_id: string; name: string; metric_id: string; value: number; session_start: Date }>(
        'SELECT session_id, name, metric_id, value, session_start FROM visit_vitals ORDER BY session_id, name, metric_id',
      );
    const vital = (session: string, props: Props, at: number) => event({ session_id: session, type: 'web_vital', props }, at);
    const at = utcMidnight(1) + 9 * 60 * MINUTE;
    const noId = vital('w', { name: 'CLS', value: 0.02 }, at + 3 * MINUTE);
    // The later LCP report arrives first; the earlier one after it must not replace it. Malformed props are skipped.
    await store(t.db, [
      event({ session_id: 'w', path: '/a' }, at + MINUTE),
      vital('w', { name: 'LCP', value: 2400, id: 'v5-1' }, at + 5 * MINUTE),
      vital('w', { name: 'INP', value: 'fast', id: 'v5-2' }, at + 5 * MINUTE),
      vital('w', { name: 7, value: 1 }, at + 5 * MINUTE),
      noId,
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(5);
    await store(t.db, [
      event({ session_id: 'w', path: '/' }, at),
      vital('w', { name: 'LCP', value: 1800, id: 'v5-1' }, at + 2 * MINUTE),
      vital('w', { name: 'INP', value: 120, id: 'v5-3' }, at + 4 * MINUTE),
      vital('w', { name: 'INP', value: 200, id: 'v5-3' }, at + 6 * MINUTE),
    ]);
    await processEventsBatch(t.db, 100);
    const start = new Date(at);
    expect(await vitals()).toEqual([
      { session_id: 'w', name: 'CLS', metric_id: noId.event_id, value: 0.02, session_start: start },
      { session_id: 'w', name: 'INP', metric_id: 'v5-3', value: 200, session_start: start },
      { session_id: 'w', name: 'LCP', metric_id: 'v5-1', value: 2400, session_start: start },
    ]);
    // Deleting the last INP report leaves the one before it; a deleted session takes its metrics.
    await t.db.query(`DELETE FROM user_events WHERE event_type = 'web_vital' AND event_timestamp = $1`, [
      new Date(at + 6 * MINUTE).toISOString(),
    ]);
    expect((await vitals()).map((row) => [row.name, row.value])).toEqual([
      ['CLS', 0.02],
      ['INP', 120],
      ['LCP', 2400],
    ]);
    await t.db.exec("DELETE FROM user_sessions WHERE session_id = 'w'");
    expect(await vitals()).toEqual([]);
    await store(t.db, [vital('x', { name: 'LCP', value: 900 }, at)]);
    await processEventsBatch(t.db, 100);
    expect(await vitals()).toHaveLength(1);
    await t.db.exec('TRUNCATE user_events');
    expect(await vitals()).toEqual([]);
  });

  it('stores form submissions with their fields and counts them', async () => {
    const at = utcMidnight(1) + 10 * 60 * MINUTE;
    await store(t.db, [
      event(
        {
          session_id: 'f',
          type: 'form_submit',
          path: '/contact.html',
          props: { form_id: 'contact', action: '/send', method: 'post', fields: { name: 'Ada', topic: 'sales' } },
        },
        at,
      ),
    ]);
    await processEventsBatch(t.db, 10);
    const [row] = await t.db.query('SELECT form_id, form_action, form_method, page_path, field_count, form_data FROM form_submissions');
    expect(row).toEqual({
      form_id: 'contact',
      form_action: '/send',
      form_method: 'POST',
      page_path: '/contact.html',
      field_count: 2,
      form_data: { name: 'Ada', topic: 'sales' },
    });
    const [ue] = await t.db.query("SELECT form_id FROM user_events WHERE event_type = 'form_submit'");
    expect(ue).toEqual({ form_id: 'contact' });
  });

  it("reads the SDK's own props: click tag/id/classes, scroll milestones, form values and field count", async () => {
    const at = utcMidnight(1) + 10 * 60 * MINUTE;
    await store(t.db, [
      event({ session_id: 'sdk', type: 'scroll_depth', props: { milestone: 75 } }, at),
      event({ session_id: 'sdk', type: 'scroll_depth', props: { max_depth: 92 } }, at + 1),
      event(
        {
          session_id: 'sdk',
          type: 'form_submit',
          props: {
            method: 'post',
            id: 'newsletter',
            action: '/subscribe',
            fields: 3,
            filled: ['email', 'topic'],
            values: { topic: 'trail' },
          },
        },
        at + 2,
      ),
    ]);
    await processEventsBatch(t.db, 10);
    const scrolls = await t.db.query(
      "SELECT scroll_percentage FROM user_events WHERE event_type = 'scroll_depth' ORDER BY event_timestamp",
    );
    expect(scrolls).toEqual([{ scroll_percentage: 75 }, { scroll_percentage: 92 }]);
    const [form] = await t.db.query('SELECT form_id, form_action, form_method, field_count, form_data FROM form_submissions');
    expect(form).toEqual({
      form_id: 'newsletter',
      form_action: '/subscribe',
      form_method: 'POST',
      field_count: 3,
      form_data: { topic: 'trail' },
    });
  });

  it('survives hostile props: wrong types never stop the ETL', async () => {
    const at = utcMidnight(1) + 11 * 60 * MINUTE;
    await store(t.db, [
      event({ session_id: 'h', type: 'scroll_depth', props: { depth: 'a lot' } }, at),
      event({ session_id: 'h', type: 'scroll_depth', props: { depth: 1e300 } }, at + 1),
      event({ session_id: 'h', type: 'form_submit', props: { fields: 'not an object', field_count: -5 } }, at + 2),
      event({ session_id: 'h', type: 'click', props: { tag: { nested: true } } }, at + 3),
      event({ session_id: 'h', type: 'booking_created', props: { amount: 12 } }, at + 4),
    ]);
    expect(await processEventsBatch(t.db, 10)).toBe(5);
    const rows = await t.db.query<{ event_type: string; scroll_percentage: number | null }>(
      'SELECT event_type, scroll_percentage FROM user_events ORDER BY event_timestamp',
    );
    expect(rows.map((row) => [row.event_type, row.scroll_percentage])).toEqual([
      ['scroll_depth', null],
      ['scroll_depth', 100000],
      ['form_submit', null],
      ['click', null],
      ['booking_created', null],
    ]);
  });

  it('closes idle sessions in update_active_sessions() and keeps recent ones active', async () => {
    const now = Date.now();
    await store(t.db, [event({ session_id: 'recent' }, now - 5 * MINUTE), event({ session_id: 'idle' }, now - 40 * MINUTE)]);
    await processEventsBatch(t.db, 10);
    // A session processed while still fresh stays open until update_active_sessions() sees it idle.
    await t.db.exec("UPDATE user_sessions SET session_end = NULL WHERE session_id = 'idle'");
    expect(await updateActiveSessions(t.db)).toBe(1);
    expect((await session('idle')).session_end).toEqual((await session('idle')).last_event_at);
    expect((await session('recent')).session_end).toBeNull();
    const active = await t.db.query<{ session_id: string }>('SELECT session_id FROM active_sessions');
    expect(active.map((row) => row.session_id)).toEqual(['recent']);
    expect(await updateActiveSessions(t.db)).toBe(0);
  });

  it('calculate_daily_metrics() is idempotent: rerunning a day gives the same row, and emptied days lose theirs', async () => {
    const day = utcMidnight(2);
    await store(t.db, [
      event({ session_id: 'd1', visitor_id: 'x', referrer: 'https://www.google.com/' }, day + 60 * MINUTE),
      event({ session_id: 'd1', visitor_id: 'x', path: '/2' }, day + 62 * MINUTE),
      event({ session_id: 'd2', visitor_id: 'y', referrer: 'https://facebook.com/' }, day + 90 * MINUTE),
      event({ session_id: 'd3', visitor_id: 'x' }, day + 120 * MINUTE),
      event({ session_id: 'd3', visitor_id: 'x', type: 'click', props: { tag: 'a' } }, day + 121 * MINUTE),
    ]);
    await processEventsBatch(t.db, 100);
    const columns = `site_id, to_char(metric_date, 'YYYY-MM-DD') AS day, unique_visitors, total_sessions, total_pageviews,
      bounce_rate::float8 AS bounce_rate, avg_session_duration_seconds, avg_pages_per_session::float8 AS avg_pages_per_session,
      total_events, direct_sessions, search_sessions, social_sessions, referral_sessions`;
    expect(await calculateDailyMetrics(t.db, utcDay(day), utcDay(day))).toBe(1);
    const first = await t.db.query(`SELECT ${columns} FROM daily_site_metrics`);
    expect(first).toEqual([
      {
        site_id: 'demo',
        day: utcDay(day),
        unique_visitors: 2,
        total_sessions: 3,
        total_pageviews: 4,
        bounce_rate: 0.3333,
        avg_session_duration_seconds: 60,
        avg_pages_per_session: 1.33,
        total_events: 1,
        direct_sessions: 1,
        search_sessions: 1,
        social_sessions: 1,
        referral_sessions: 0,
      },
    ]);
    await calculateDailyMetrics(t.db, utcDay(day), utcDay(day));
    expect(await t.db.query(`SELECT ${columns} FROM daily_site_metrics`)).toEqual(first);
    await t.db.exec('DELETE FROM user_sessions; DELETE FROM pageviews; DELETE FROM user_events');
    await calculateDailyMetrics(t.db, utcDay(day), utcDay(day));
    expect(await t.db.query('SELECT * FROM daily_site_metrics')).toEqual([]);
    await expect(calculateDailyMetrics(t.db, utcDay(day), utcDay(day - 86_400_000))).rejects.toThrow(/start_date <= end_date/);
  });

  it('cleanup_processed_events() deletes only processed events past retention, and refuses under 8 days', async () => {
    const at = Date.now() - MINUTE;
    await store(t.db, [event({ session_id: 'old' }, at), event({ session_id: 'old', path: '/x' }, at), event({ session_id: 'new' }, at)]);
    await processEventsBatch(t.db, 2);
    await t.db.exec("UPDATE events_log SET created_at = NOW() - INTERVAL '40 days'");
    expect(await cleanupProcessedEvents(t.db, 30)).toBe(2);
    const left = await t.db.query<{ processed: boolean }>('SELECT processed_at IS NOT NULL AS processed FROM events_log');
    expect(left).toEqual([{ processed: false }]);
    expect(await cleanupProcessedEvents(t.db, 30)).toBe(0);
    await expect(cleanupProcessedEvents(t.db, 3)).rejects.toThrow(/at least 8/);
  });

  it('cleanup_processed_events() keeps an identity no longer than its events: derived again from those left, or gone', async () => {
    const at = Date.now() - MINUTE;
    // The laptop identified in an old event and again in a new one; the phone in an old event only; the tablet new.
    const old = [
      event({ session_id: 'l1', visitor_id: 'laptop', user_id: 'u-1' }, at - 2 * MINUTE),
      event({ session_id: 'p', visitor_id: 'phone', user_id: 'u-2' }, at),
    ];
    const kept = [
      event({ session_id: 'l2', visitor_id: 'laptop', user_id: 'u-1' }, at),
      event({ session_id: 't', visitor_id: 'tablet', user_id: 'u-3' }, at),
    ];
    await store(t.db, [...old, ...kept]);
    await processEventsBatch(t.db, 100);
    await t.db.query("UPDATE events_log SET created_at = NOW() - INTERVAL '40 days' WHERE event_id = ANY($1::uuid[])", [
      old.map((e) => e.event_id),
    ]);
    expect(await cleanupProcessedEvents(t.db, 30)).toBe(2);
    expect(await t.db.query('SELECT visitor_id, user_id, event_id FROM visitor_users ORDER BY visitor_id')).toEqual([
      { visitor_id: 'laptop', user_id: 'u-1', event_id: kept[0]?.event_id },
      { visitor_id: 'tablet', user_id: 'u-3', event_id: kept[1]?.event_id },
    ]);
  });
});
