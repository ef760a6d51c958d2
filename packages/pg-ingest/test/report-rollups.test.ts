import {
  BROWSER_RULES,
  BUILTIN_TYPES,
  botAgent,
  CHANNEL_PATTERNS,
  channelOf,
  countryLookup,
  deviceOf,
  engagementSignal,
  NON_ENGAGEMENT_TYPES,
  OS_RULES,
  parseAgentClass,
  parseStatsQuery,
  propText,
  revenueMicros,
  revenueOf,
  type SourceType,
  type StatsQuery,
  socialPlatforms,
  statsEventOf,
  statsPanel,
  timezoneCountries,
} from '@trailmark/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processEventsBatch } from '../src/etl.js';
import { statsPanelSql } from '../src/stats-queries.js';
import { BACKENDS, createTestDb, event, MINUTE, resetDb, SITE, store, type TestDb } from './helpers.js';

// Migration 05's SQL against the protocol's reference functions, and its rollups kept exactly once by the ETL
// whatever batches the events come in.

const AGENTS = [
  'Chrome; Windows; desktop',
  '; Linux; bot',
  'Safari; iOS; mobile',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36',
  'curl/8.4.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Robotics lab browser',
  'test-agent',
];
const VALUES: unknown[] = [
  'pro',
  '',
  'ünïcode',
  7,
  0,
  -0,
  1.5,
  -2.25,
  0.1,
  1e-7,
  1.5e-7,
  0.000001,
  1e15,
  1e21,
  123456789012345680000,
  2 ** 53,
  true,
  false,
];
const REVENUES: unknown[] = [
  { amount: 19.5, currency: 'EUR' },
  { amount: -0.0000005, currency: 'USD' },
  { amount: 1.0000005, currency: 'JPY' },
  { amount: 1e12, currency: 'EUR' },
  { amount: 10, currency: 'eur' },
  { amount: 10, currency: 'EUR', note: 'x' },
  { amount: '10', currency: 'EUR' },
  [10, 'EUR'],
];

describe.each(BACKENDS)('report rollups (migration 05) on %s', (kind) => {
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

  it("judges user agents, goals, property values and revenue as the protocol's functions do", async () => {
    const [row] = await t.db.query<{ agents: boolean[]; goals: boolean[]; texts: string[]; micros: Array<number | null> }>(
      `SELECT (SELECT array_agg(bot_user_agent(a) ORDER BY n) FROM unnest($1::text[]) WITH ORDINALITY x(a, n)) AS agents,
              (SELECT array_agg(is_goal(g) ORDER BY n) FROM unnest($2::text[]) WITH ORDINALITY x(g, n)) AS goals,
              (SELECT array_agg(prop_text(v) ORDER BY n) FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY x(v, n)) AS texts,
              (SELECT array_agg(revenue_micros(jsonb_build_object('revenue', r))::float8 ORDER BY n)
               FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY x(r, n)) AS micros`,
      [AGENTS, [...BUILTIN_TYPES, 'signup', 'scroll'], JSON.stringify(VALUES), JSON.stringify(REVENUES)],
    );
    expect(row?.agents).toEqual(AGENTS.map((agent) => botAgent(agent)));
    expect(row?.goals).toEqual([...BUILTIN_TYPES, 'signup', 'scroll'].map((type) => !BUILTIN_TYPES.includes(type)));
    expect(row?.texts).toEqual(VALUES.map((value) => propText(value)));
    expect(row?.micros).toEqual(
      REVENUES.map((value) => {
        const revenue = revenueOf({ revenue: value } as Record<string, unknown>);
        // + 0: the reference sums from 0, so a -0 rounded amount adds as 0.
        return revenue ? revenueMicros(revenue.amount) + 0 : null;
      }),
    );
    // Engagement (a sign of a person, for the bot rules): every built-in and non-engagement type, with and
    // without engaged milliseconds.
    const types = [...new Set([...BUILTIN_TYPES, ...NON_ENGAGEMENT_TYPES, 'signup'])];
    const cases = types.flatMap((type) => [
      [type, {}],
      [type, { engaged_ms: 1200 }],
    ]) as Array<[string, Record<string, unknown>]>;
    const [signals] = await t.db.query<{ engaged: boolean[] }>(
      `SELECT array_agg(engagement_signal(x.t, x.p) ORDER BY n) AS engaged
       FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY x(t, p, n)`,
      [cases.map(([type]) => type), cases.map(([, props]) => JSON.stringify(props))],
    );
    expect(signals?.engaged).toEqual(cases.map(([type, props]) => engagementSignal(type, props, !NON_ENGAGEMENT_TYPES.includes(type))));
  });

  it("names a stored user agent's browser and OS as the protocol does (migration 09's columns)", async () => {
    // Every rule's needle alone and after an earlier rule's (the first rule found wins), stored classes with empty
    // parts, and what names nothing.
    const needles = [...BROWSER_RULES, ...OS_RULES].map(([needle]) => needle);
    const agents = [
      ...AGENTS,
      ...needles.map((needle) => `Mozilla/5.0 (${needle}) x`),
      ...needles.flatMap((a) => needles.map((b) => `${b} ${a}`)),
      'Firefox; ; desktop',
      '; ; tablet',
      'Chrome; Windows; desktop; x',
      '',
    ];
    const [row] = await t.db.query<{ browsers: Array<string | null>; oses: Array<string | null> }>(
      `SELECT array_agg(agent_browser(a) ORDER BY n) AS browsers, array_agg(agent_os(a) ORDER BY n) AS oses
       FROM unnest($1::text[]) WITH ORDINALITY x(a, n)`,
      [agents],
    );
    expect(row?.browsers).toEqual(agents.map((agent) => parseAgentClass(agent)?.browser ?? null));
    expect(row?.oses).toEqual(agents.map((agent) => parseAgentClass(agent)?.os ?? null));
  });

  it("derives a visit's channel, country and device as the protocol does (migration 11's columns)", async () => {
    // Every source type with no platform, a search and a social platform and a host; UTM tags that match each
    // pattern (in any case), none, and what matches nothing.
    const sources: SourceType[] = ['direct', 'search', 'social', 'referral'];
    const platforms = [null, 'google', ...socialPlatforms(), 'news.example.org'];
    const mediums = [
      null,
      '',
      'email',
      'E-Mail',
      'newsletter',
      'Banner',
      'cpm',
      'affiliate',
      'affiliates',
      'cpc',
      'PPC',
      'paid_social',
      'organic',
    ];
    const tags = [null, 'Newsletter', 'e_mail', 'google'];
    const visits = sources.flatMap((source) =>
      platforms.flatMap((platform) =>
        mediums.flatMap((utm_medium) => tags.map((utm_source) => ({ source, platform, utm_medium, utm_source }))),
      ),
    );
    expect(Object.keys(CHANNEL_PATTERNS)).toEqual(['email', 'display', 'affiliates', 'paid']);
    const zones = [...timezoneCountries().map(([zone]) => zone), 'UTC', 'Mars/Olympus', '', null];
    const widths = [null, -1, 0, 1, 575, 576, 991, 992, 1439, 1440, 7680];
    const [row] = await t.db.query<{ channels: string[]; countries: Array<string | null>; devices: Array<string | null> }>(
      `SELECT (SELECT array_agg(visit_channel(m, u, s, p) ORDER BY n) FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                 WITH ORDINALITY x(m, u, s, p, n)) AS channels,
              (SELECT array_agg(zone_country(z) ORDER BY n) FROM unnest($5::text[]) WITH ORDINALITY x(z, n)) AS countries,
              (SELECT array_agg(screen_device(w) ORDER BY n) FROM unnest($6::int[]) WITH ORDINALITY x(w, n)) AS devices`,
      [
        visits.map((v) => v.utm_medium),
        visits.map((v) => v.utm_source),
        visits.map((v) => v.source),
        visits.map((v) => v.platform),
        zones,
        widths,
      ],
    );
    expect(row?.channels).toEqual(visits.map((visit) => channelOf(visit)));
    const country = countryLookup();
    expect(row?.countries).toEqual(zones.map((zone) => country(zone)));
    expect(row?.devices).toEqual(widths.map((width) => deviceOf(width)));
  });

  it('adds each event to the rollups once, in whatever batches and order it comes, and judges the visit on all of them', async () => {
    const at = Date.now() - 3 * 60 * MINUTE;
    const visit = [
      event({ session_id: 'r', seq: 1, path: '/a' }, at),
      event({ session_id: 'r', seq: 2, type: 'scroll_depth', path: '/a', props: { milestone: 50 } }, at + 1000),
      event({ session_id: 'r', seq: 3, type: 'scroll_depth', path: '/a', props: { milestone: null, max_depth: 80 } }, at + 2000),
      event({ session_id: 'r', seq: 4, type: 'page_leave', path: '/a', props: { engaged_ms: 4000.5 } }, at + 3000),
      event({ session_id: 'r', seq: 6, path: '/b' }, at + 4000),
      event(
        { session_id: 'r', seq: 7, type: 'click', path: '/b', props: { href: 'https://x.example/f.pdf', outbound: true, download: true } },
        at + 5000,
      ),
      event(
        { session_id: 'r', seq: 8, type: 'signup', path: '/b', props: { plan: 'pro', revenue: { amount: 0.1, currency: 'EUR' } } },
        at + 6000,
      ),
      event(
        { session_id: 'r', seq: 9, type: 'signup', path: '/b', props: { plan: 'pro', revenue: { amount: 0.2, currency: 'EUR' } } },
        at + 7000,
      ),
      event({ session_id: 'r', seq: 10, type: 'sdk_dropped', props: { queue_full: 3, offline: 0 } }, at + 8000),
      // Five pages with page-leave reports and no sign of a person: a bot's by behaviour.
      ...[0, 1, 2, 3, 4].flatMap((i) => [
        event({ session_id: 'b', visitor_id: 'v2', path: `/${i}` }, at + i * 10_000),
        event({ session_id: 'b', visitor_id: 'v2', type: 'page_leave', path: `/${i}`, props: { engaged_ms: 0 } }, at + i * 10_000 + 5000),
      ]),
      event({ session_id: 'c', visitor_id: 'v3', bot: 'webdriver' }, at),
    ];
    // Later events first, each in its own small batch; a retry of one is stored once.
    const batches = [visit.slice(8), visit.slice(4, 8), visit.slice(0, 4), [visit[1]]];
    for (const batch of batches) {
      await store(t.db, batch as typeof visit);
      await processEventsBatch(t.db, 3);
      await processEventsBatch(t.db, 100);
    }
    expect(await t.db.query('SELECT session_id, bot FROM user_sessions ORDER BY session_id')).toEqual([
      { session_id: 'b', bot: 'behaviour' },
      { session_id: 'c', bot: 'automation' },
      { session_id: 'r', bot: null },
    ]);
    expect(await t.db.query("SELECT DISTINCT bot FROM visit_pages WHERE session_id = 'b'")).toEqual([{ bot: 'behaviour' }]);
    // Every panel equals the reference over the same events, for people, bots and both.
    const stored = await t.db.query<{ data: never; ts: number; user_agent: string }>(
      `SELECT raw_event_data AS data, (extract(epoch FROM "timestamp") * 1000)::float8 AS ts, user_agent FROM events_log`,
    );
    const events = stored.map((row) => statsEventOf(row.data, Math.round(row.ts), row.user_agent));
    const now = Date.now();
    for (const bots of ['exclude', 'only', 'include'] as const) {
      for (const panel of ['goal_props', 'outbound', 'downloads', 'scroll', 'engagement', 'revenue', 'completeness', 'summary'] as const) {
        const params = new URLSearchParams({ from: String(at - 60 * MINUTE), to: String(now), goal: 'signup', prop: 'plan', bots });
        const answer = await statsPanelSql(t.db, SITE.id, new URL(`http://x/v1/stats/${panel}?${params}`), now);
        const query = parseStatsQuery(params, now) as StatsQuery;
        expect({ panel, bots, answer }).toEqual({ panel, bots, answer: statsPanel(panel, events, query) });
      }
    }
    // Hostile props (stored without the server's checks) are skipped, never stop the ETL.
    await store(t.db, [
      event({ session_id: 'h', type: 'signup', props: { revenue: [10, 'EUR'] as never, plan: { nested: true } } }, at),
      event({ session_id: 'h', type: 'signup', props: { revenue: { amount: 'abc', currency: 'EUR' } as never } }, at),
      event({ session_id: 'h', type: 'page_leave', path: '/h', props: { engaged_ms: 'abc' } }, at),
      event({ session_id: 'h', type: 'page_visibility', props: { engaged_ms: 'abc' } }, at),
      event({ session_id: 'h', type: 'scroll_depth', path: '/h', props: { milestone: 'x', max_depth: 'y' } }, at),
      event({ session_id: 'h', type: 'sdk_dropped', props: { offline: 'many', queue_full: 2.5 } }, at),
      event({ session_id: 'h', type: 'click', props: { href: 7, outbound: 'yes' } as never }, at),
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(7);
    expect(await t.db.query("SELECT count(*)::int AS n FROM visit_revenue WHERE session_id = 'h'")).toEqual([{ n: 0 }]);
    // An operator's erasure of the visits takes their rows.
    await t.db.exec('DELETE FROM user_sessions');
    for (const table of ['visit_signals', 'visit_goal_props', 'visit_links', 'visit_revenue', 'visit_seq', 'visit_pages'])
      expect({ table, rows: await t.db.query(`SELECT * FROM ${table}`) }).toEqual({ table, rows: [] });
  });
});
