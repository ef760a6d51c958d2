import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  identitiesOf,
  type PanelPlan,
  panelAnswer,
  panelPlan,
  panelSql,
  parseStatsQuery,
  RANGE_PANELS,
  RANGE_PLAN,
  ROLLUP_TABLES,
  rangeVisitsSql,
  STATS_DIMENSIONS,
  type StatsEvent,
  type StatsPanel,
  type StatsQuery,
  statsPanel,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventStore, openStore } from '../src/store.js';
import { tempDir } from './helpers.js';

const NOW = Date.UTC(2026, 11, 7, 12);
const HOUR = 3_600_000;
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  null,
];
const TYPES = [
  'pageview',
  'pageview',
  'click',
  'scroll_depth',
  'web_vital',
  'heartbeat',
  'page_leave',
  'signup',
  'purchase',
  'sdk_dropped',
];
const LINKS = ['https://other.example/', 'https://shop.example/guide.pdf', 'https://other.example/app.zip'];

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Visits of random events, some at equal times, some flagged by the SDK, some crawling many pages fast. */
function dataSet(seed: number): Array<{ event: TrailmarkEvent; userAgent: string | null }> {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)] as T;
  const out: Array<{ event: TrailmarkEvent; userAgent: string | null }> = [];
  for (let v = 0; v < 60; v++) {
    const crawler = v % 17 === 0;
    const start = NOW - Math.floor(rnd() * 72 * HOUR);
    const userAgent = pick(AGENTS);
    const length = crawler ? 12 : 1 + Math.floor(rnd() * 9);
    for (let i = 0; i < length; i++) {
      const type = crawler ? (i % 2 ? 'page_leave' : 'pageview') : pick(TYPES);
      const path = pick(['/', '/pricing', '/docs', '/blog/a']);
      const props: TrailmarkEvent['props'] =
        type === 'web_vital'
          ? { name: pick(['LCP', 'CLS']), value: Math.floor(rnd() * 4000), id: `m${v}-${Math.floor(rnd() * 2)}` }
          : type === 'heartbeat' || type === 'page_leave'
            ? { engaged_ms: crawler ? 0 : Math.floor(rnd() * 3) * 1000 }
            : type === 'click'
              ? { tag: 'a', href: pick(LINKS), ...(rnd() < 0.5 ? { outbound: true } : {}), ...(rnd() < 0.5 ? { download: true } : {}) }
              : type === 'scroll_depth'
                ? rnd() < 0.7
                  ? { milestone: pick([25, 50, 75, 100]) }
                  : { max_depth: Math.floor(rnd() * 101) }
                : type === 'signup' || type === 'purchase'
                  ? {
                      plan: pick(['pro', 'free', 7, true]),
                      ...(type === 'purchase'
                        ? { revenue: { amount: pick([9.99, 0.1, 0.2, -5, 120]), currency: pick(['EUR', 'USD']) } }
                        : {}),
                    }
                  : type === 'sdk_dropped'
                    ? { queue_full: 1 + Math.floor(rnd() * 3), consent_denied: pick([0, 1]) }
                    : {};
      out.push({
        userAgent,
        event: {
          event_id: `00000000-0000-4000-8000-${String(v * 100 + i).padStart(12, '0')}`,
          type,
          // Equal times within a visit: the order falls to seq, then event id.
          ts: start + (crawler ? i * 300 : Math.floor(rnd() * 4) * 20_000),
          site_id: 'demo',
          visitor_id: `visitor-${v % 41}`,
          session_id: `session-${v}`,
          // Some numbers missing, some repeated, some in a second tab's block.
          seq: (rnd() < 0.2 ? 1000 : 0) + 1 + Math.floor(rnd() * 5),
          url: `https://shop.example${path}`,
          path,
          ...(rnd() < 0.3 ? { referrer: pick(['https://www.google.com/', 'https://t.co/x', 'https://blog.example.org/']) } : {}),
          ...(rnd() < 0.2 ? { utm_source: 'news', utm_medium: 'email', utm_campaign: pick(['a', 'b']) } : {}),
          ...(rnd() < 0.8 ? { timezone: pick(['Europe/Berlin', 'Asia/Kolkata', 'UTC']) } : {}),
          ...(rnd() < 0.8 ? { screen_w: pick([390, 1024, 1920]) } : {}),
          ...(v % 13 === 5 ? { bot: 'webdriver' as const } : {}),
          props,
        },
      });
    }
  }
  return out;
}

type Panel = Exclude<StatsPanel, 'live'>;

/** Each panel over the traffic kinds and a few filters; the breakdown by every dimension without filters. */
function queries(): Array<[Panel, StatsQuery]> {
  const base = { from: String(NOW - 3 * 24 * HOUR), to: String(NOW + HOUR) };
  const out: Array<[Panel, Record<string, string | string[]>]> = [];
  for (const bots of ['exclude', 'only', 'include']) {
    for (const filter of [
      {},
      { 'filter.page': '/docs' },
      { 'filter.country': 'DE' },
      { 'filter.browser': '' },
      { 'filter.source': 'search' },
    ]) {
      for (const panel of RANGE_PANELS) {
        out.push([panel, { ...base, bots, ...filter }]);
      }
      out.push(['goal_props', { ...base, bots, ...filter, goal: 'purchase', prop: 'plan' }]);
      out.push(['funnel', { ...base, bots, ...filter, step: ['page:/', 'event:signup', 'page:/pricing'] }]);
      out.push(['breakdown', { ...base, bots, ...filter, by: 'page', limit: '100' }]);
    }
  }
  for (const by of STATS_DIMENSIONS) out.push(['breakdown', { ...base, by, limit: '100' }]);
  out.push(['timeseries', { from: String(NOW - 2 * 24 * HOUR), to: String(NOW - 20 * HOUR), interval: 'hour' }]);
  return out.map(([panel, record]) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(record)) for (const one of [value].flat()) params.append(name, one);
    return [panel, parseStatsQuery(params, NOW) as StatsQuery];
  });
}

function expectReference(store: EventStore, events: readonly StatsEvent[]) {
  for (const [index, [panel, query]] of queries().entries()) {
    // Unfiltered, a panel may read the grouped indexes instead of the range (panelPlan): both give the reference's.
    // With the site's identities known (panelPlan from rangeVisitsSql), a site without any counts bare visitor keys:
    // every other query reads with them known, the others as if not (two plans a query keep the test's time).
    const { sql, params } = rangeVisitsSql('demo', query, 1_000_000);
    const known = index % 2 === 0 ? { identified: panelPlan(query, store.visitRows({ sql, params })[0]).identified ?? true } : {};
    const plans: PanelPlan[] = [{ ...RANGE_PLAN, ...known }];
    if (Object.keys(query.filters).length === 0) plans.push({ grouped: true, ...known });
    for (const plan of plans) {
      const label = `${panel} ${JSON.stringify(query)} ${JSON.stringify(plan)}`;
      expect({ label, data: panelAnswer(panel, query, store.visitRows(panelSql(panel, 'demo', query, plan))) }).toEqual({
        label,
        data: statsPanel(panel, events, query),
      });
    }
  }
}

const statsEvents = (set: ReturnType<typeof dataSet>): StatsEvent[] =>
  set.map(({ event, userAgent }) => ({ ...event, user_agent: userAgent }));

describe('per-visit rollups of the receiver store', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('give the reference figures when a visit arrives in several batches in any order', () => {
    for (const seed of [1]) {
      const set = dataSet(seed);
      const rnd = random(seed + 100);
      const shuffled = set.map((item) => ({ item, key: rnd() })).sort((a, b) => a.key - b.key);
      const store = openStore({ memory: true });
      cleanups.push(() => store.close());
      for (let at = 0; at < shuffled.length; ) {
        const size = 1 + Math.floor(rnd() * 9);
        // A request carries one user agent: consecutive events with the same one go together.
        const batch = shuffled.slice(at, at + size).map(({ item }) => item);
        const agent = batch[0]?.userAgent ?? null;
        const same = batch.filter((item) => item.userAgent === agent);
        store.insertBatches([
          { events: same.map((item) => item.event), options: { skewMs: 0, receivedAt: NOW, source: 'batch', userAgent: agent } },
        ]);
        for (const item of batch.filter((one) => one.userAgent !== agent)) {
          store.insert([item.event], { skewMs: 0, receivedAt: NOW, source: 'batch', userAgent: item.userAgent });
        }
        at += size;
      }
      // A repeated batch changes nothing.
      store.insert(
        set.slice(0, 20).map((item) => item.event),
        { skewMs: 0, receivedAt: NOW, source: 'batch', userAgent: null },
      );
      expectReference(store, statsEvents(set));
      // The data set gives every report something to show, so the equality above is not over empty answers.
      const all = parseStatsQuery(
        new URLSearchParams({ from: String(NOW - 3 * 24 * HOUR), to: String(NOW + HOUR), bots: 'include', goal: 'purchase', prop: 'plan' }),
        NOW,
      ) as StatsQuery;
      const events = statsEvents(set);
      for (const panel of ['goal_props', 'outbound', 'downloads', 'scroll', 'engagement', 'revenue'] as const) {
        expect({ panel, rows: (statsPanel(panel, events, all) as { rows: unknown[] }).rows.length > 1 }).toEqual({ panel, rows: true });
      }
      const days = statsPanel('completeness', events, all).days;
      expect(days.some((day) => day.lost > 0) && days.some((day) => Object.keys(day.dropped).length > 0)).toBe(true);
      expect(statsPanel('summary', events, { ...all, bots: 'only' }).visits).toBeGreaterThan(3);
    }
  });

  it('are filled from the stored events when the migration runs on an existing database', () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const set = dataSet(7);
    const store = openStore({ dataDir: dir });
    for (const { event, userAgent } of set) store.insert([event], { skewMs: 0, receivedAt: NOW, source: 'batch', userAgent });
    store.close();
    // Back to the schema before migration 005 (and 006, which adds to its tables), with the events kept.
    const db = new Database(join(dir, 'receiver.db'));
    for (const table of ROLLUP_TABLES) {
      db.exec(`DROP TABLE ${table}`);
    }
    // 008 and 009 index 005's tables, so they run again after them.
    db.exec(
      `DELETE FROM schema_migrations WHERE name IN ('005_visit_rollups.sql', '006_visitor_keys.sql', '008_grouped_reports.sql', '009_dimension_indexes.sql')`,
    );
    db.close();
    const reopened = openStore({ dataDir: dir });
    cleanups.push(() => reopened.close());
    expectReference(reopened, statsEvents(set));
  });

  it('read a filtered panel by the range of each table key, never a grouped index whole', () => {
    const store = openStore({ memory: true });
    cleanups.push(() => store.close());
    const read = (panel: Panel, record: Record<string, string>) => {
      const query = parseStatsQuery(new URLSearchParams({ from: String(NOW - HOUR), to: String(NOW), ...record }), NOW) as StatsQuery;
      const { sql, params } = panelSql(panel, 'demo', query, panelPlan(query, { lo: NOW - 240 * HOUR, hi: NOW }));
      return (store.visitRows({ sql: `EXPLAIN QUERY PLAN ${sql}`, params }) as Array<{ detail: string }>)
        .map((row) => row.detail)
        .join(' | ');
    };
    for (const [panel, record] of [
      ['breakdown', { by: 'page', 'filter.browser': 'Firefox' }],
      ['breakdown', { by: 'country', 'filter.page': '/docs' }],
      ['goals', { 'filter.country': 'DE' }],
      ['breakdown', { by: 'source' }],
      ['breakdown', { by: 'page' }],
    ] as Array<[Panel, Record<string, string>]>) {
      const plan = read(panel, record);
      expect(plan, `${panel} ${JSON.stringify(record)}`).not.toMatch(/_by_/);
      expect(plan).toMatch(/USING PRIMARY KEY \(site_id=\? AND start_ts>\? AND start_ts<\?\)/);
    }
    // A range spanning most of the site's visits reads the grouped index, unfiltered only.
    const whole = parseStatsQuery(new URLSearchParams({ from: String(NOW - 200 * HOUR), to: String(NOW), by: 'page' }), NOW) as StatsQuery;
    expect(panelPlan(whole, { lo: NOW - 240 * HOUR, hi: NOW })).toEqual({ grouped: true });
    expect(panelPlan({ ...whole, filters: { country: 'DE' } }, { lo: NOW - 240 * HOUR, hi: NOW })).toEqual({ grouped: false });
    expect(panelPlan(whole, { lo: null, hi: null })).toEqual({ grouped: false });
    expect(panelPlan(whole, { lo: NOW - 240 * HOUR, hi: NOW, identified: 0 })).toEqual({ grouped: true, identified: false });
    expect(panelPlan({ ...whole, filters: { country: 'DE' } }, { lo: null, hi: null, identified: 1 })).toEqual({
      grouped: false,
      identified: true,
    });
  });

  it('fills visitor_users from the stored events when migration 007 runs on an existing database', () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const store = openStore({ dataDir: dir });
    const events = [
      { visitor: 'laptop', user: undefined, ts: NOW - 3 * HOUR },
      { visitor: 'laptop', user: 'u-2', ts: NOW - HOUR },
      { visitor: 'laptop', user: 'u-1', ts: NOW - 2 * HOUR },
      { visitor: 'phone', user: 'u-1', ts: NOW - HOUR },
      { visitor: 'shared', user: '[redacted:email]', ts: NOW - HOUR },
    ].map(({ visitor, user, ts }, i) => ({
      event_id: randomUUID(),
      type: 'pageview',
      ts,
      site_id: 'demo',
      visitor_id: visitor,
      session_id: `s-${visitor}`,
      seq: i + 1,
      url: 'https://shop.example/',
      path: '/',
      ...(user ? { user_id: user } : {}),
    }));
    store.insert(events, { skewMs: 0, receivedAt: NOW, source: 'batch', userAgent: null });
    store.close();
    // Back to the schema before migration 007, with the events kept.
    const db = new Database(join(dir, 'receiver.db'));
    db.exec(`DROP TABLE visitor_users; DELETE FROM schema_migrations WHERE name = '007_visitor_users.sql'`);
    db.close();
    const reopened = openStore({ dataDir: dir });
    cleanups.push(() => reopened.close());
    const rows = reopened.visitRows({ sql: 'SELECT visitor_id, user_id FROM visitor_users ORDER BY visitor_id', params: [] });
    expect(rows).toEqual(
      [...identitiesOf(events)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([visitor_id, user_id]) => ({ visitor_id, user_id })),
    );
    expect(rows).toEqual([
      { visitor_id: 'laptop', user_id: 'u-1' },
      { visitor_id: 'phone', user_id: 'u-1' },
    ]);
  });

  it('go with the hourly rollups at retention and with everything at reset', () => {
    const store = openStore({ memory: true });
    cleanups.push(() => store.close());
    for (const { event, userAgent } of dataSet(4)) store.insert([event], { skewMs: 0, receivedAt: NOW, source: 'batch', userAgent });
    const query = parseStatsQuery(
      new URLSearchParams({ from: String(NOW - 4 * 24 * HOUR), to: String(NOW + HOUR), bots: 'include' }),
      NOW,
    ) as StatsQuery;
    const visits = () => panelAnswer('summary', query, store.visitRows(panelSql('summary', 'demo', query))).visits;
    expect(visits()).toBe(60);
    store.deleteChunk(0, NOW - 36 * HOUR, 100_000);
    const left = visits();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(60);
    store.reset();
    expect(visits()).toBe(0);
  });

  it('drops an identity at retention once its identification is as old as the visits kept, and all of them at reset', () => {
    const store = openStore({ memory: true });
    cleanups.push(() => store.close());
    const options = { skewMs: 0, receivedAt: NOW, source: 'batch' as const, userAgent: null };
    const login = (visitor: string, user: string, ts: number) =>
      store.insert(
        [
          {
            event_id: randomUUID(),
            type: 'pageview',
            ts,
            site_id: 'demo',
            visitor_id: visitor,
            session_id: `s-${visitor}`,
            seq: 1,
            url: 'https://shop.example/',
            path: '/',
            user_id: user,
          },
        ],
        options,
      );
    login('old', 'u-1', NOW - 48 * HOUR);
    login('new', 'u-2', NOW - HOUR);
    const users = () => store.visitRows({ sql: 'SELECT visitor_id, user_id FROM visitor_users ORDER BY visitor_id', params: [] });
    expect(users()).toEqual([
      { visitor_id: 'new', user_id: 'u-2' },
      { visitor_id: 'old', user_id: 'u-1' },
    ]);
    store.deleteChunk(0, NOW - 36 * HOUR, 100_000);
    expect(users()).toEqual([{ visitor_id: 'new', user_id: 'u-2' }]);
    store.reset();
    expect(users()).toEqual([]);
  });
});
