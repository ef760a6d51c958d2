import {
  BROWSER_RULES,
  BUILTIN_TYPES,
  CHANNEL_PATTERNS,
  DEVICE_WIDTHS,
  isStatsPanel,
  LIVE_WINDOW_MS,
  OPTIONAL_DIMENSIONS,
  OS_RULES,
  parseStatsQuery,
  readWithinBudget,
  STATS_BUDGET,
  STATS_PANELS,
  type StatsBudget,
  type StatsDimension,
  type StatsEvent,
  type StatsQuery,
  socialPlatforms,
  statsEventOf,
  statsFromEvents,
  type TrailmarkEvent,
  timezoneCountries,
  VISIT_MARGIN_MS,
} from '@trailmark/protocol';
import type { Db, Queryable } from './db.js';
import { StatsRefusal } from './stats-budget.js';

// The dashboard's read contract (`GET /v1/stats/:panel`) in SQL over the ETL's tables: a visit is a
// `user_sessions` row, its pages are `pageviews` rows, its other events `user_events` rows. The figures and their
// order are the ones `statsPanel()` in @trailmark/protocol computes from raw events (the tests hold them equal):
// counts only (cast to int), strings ordered by code point (COLLATE "C"), unknown values last.

/** A growing list of bind parameters; `add()` answers the placeholder. */
function binds() {
  const values: unknown[] = [];
  return { values, add: (value: unknown) => `$${values.push(value)}` };
}
type Binds = ReturnType<typeof binds>;

const iso = (ms: number) => new Date(ms).toISOString();
/**
 * The browser (`part` 1) or OS (2) of a stored user-agent class (`Chrome; Windows; desktop`, `agentClass`), or, in a
 * raw user agent stored before classes, by the protocol's rules.
 */
const caseOf = (rules: ReadonlyArray<readonly [string, string]>, column: string, part: 1 | 2, b: Binds) =>
  `CASE WHEN ${column} ~ '^[^;()/]*; [^;()/]*; (desktop|mobile|tablet|bot)$' THEN NULLIF(split_part(${column}, '; ', ${part}), '')
    ${rules.map(([needle, label]) => `WHEN strpos(${column}, ${b.add(needle)}) > 0 THEN ${b.add(label)}`).join(' ')} END`;

/**
 * A visit's channel in SQL: `channelOf()` of @trailmark/protocol over the stored source, platform and UTM tags, the
 * same rules in the same order with the protocol's own patterns (JavaScript and PostgreSQL read them alike).
 */
function channelSql(b: Binds): string {
  const medium = (pattern: string) => `lower(s.utm_medium) ~ ${b.add(pattern)}`;
  const paid = medium(CHANNEL_PATTERNS.paid);
  return `CASE
    WHEN ${medium(CHANNEL_PATTERNS.email)} OR lower(s.utm_source) ~ ${b.add(CHANNEL_PATTERNS.email)} THEN 'email'
    WHEN ${medium(CHANNEL_PATTERNS.display)} THEN 'display'
    WHEN ${medium(CHANNEL_PATTERNS.affiliates)} THEN 'affiliates'
    WHEN s.referrer_type = 'social' OR (s.referrer_type = 'search' AND s.referrer_platform = ANY(${b.add(socialPlatforms())}::text[]))
      THEN CASE WHEN ${paid} THEN 'paid_social' ELSE 'social' END
    WHEN s.referrer_type = 'search' THEN CASE WHEN ${paid} THEN 'paid_search' ELSE 'search' END
    WHEN ${paid} THEN 'paid_other'
    WHEN s.referrer_type = 'direct' THEN 'direct'
    ELSE 'referral' END`;
}

/** The SQL value of a visit's dimension (`s` is the user_sessions row, `tz` the time-zone table). */
function dimensionSql(dimension: Exclude<StatsDimension, 'page'>, b: Binds): string {
  switch (dimension) {
    case 'entry_page':
      return 's.entry_path';
    case 'exit_page':
      return 's.exit_path';
    case 'source':
      return channelSql(b);
    case 'referrer':
      return 's.referrer_platform';
    case 'utm_source':
    case 'utm_medium':
    case 'utm_campaign':
      return `s.${dimension}`;
    case 'country':
      return 'tz.country';
    case 'device': {
      const widths = DEVICE_WIDTHS.map(([max, label]) =>
        Number.isFinite(max) ? `WHEN s.screen_width < ${b.add(max)} THEN ${b.add(label)}` : `ELSE ${b.add(label)}`,
      );
      return `CASE WHEN s.screen_width IS NULL OR s.screen_width <= 0 THEN NULL ${widths.join(' ')} END`;
    }
    case 'browser':
      return caseOf(BROWSER_RULES, 's.user_agent', 1, b);
    case 'os':
      return caseOf(OS_RULES, 's.user_agent', 2, b);
  }
}

/** The rows (of `alias`: a session or a per-visit rollup) of the site's visits that started in the range. */
function startedIn(alias: string, siteId: string, query: StatsQuery, b: Binds): string {
  return `${alias}.site_id = ${b.add(siteId)} AND ${alias}.session_start >= ${b.add(iso(query.from))}::timestamptz
    AND ${alias}.session_start < ${b.add(iso(query.to))}::timestamptz`;
}

/**
 * The rows of a per-visit rollup (migration 04) for the site's visits that started in the range: `with` is the
 * filtered visits' CTE when there are filters (and `from` joins them), else empty.
 */
function rollupRows(table: string, siteId: string, query: StatsQuery, b: Binds): { with: string; from: string } {
  const filtered = Object.keys(query.filters).length > 0;
  const cte = filtered ? visitsCte(siteId, query, b) : '';
  return {
    with: cte,
    from: `${table} r ${filtered ? 'JOIN v ON v.session_id = r.session_id' : ''} WHERE ${startedIn('r', siteId, query, b)}`,
  };
}

/** `WITH v AS (…)`: the site's visits starting in range that pass every filter, with `value` when grouping. */
function visitsCte(siteId: string, query: StatsQuery, b: Binds, by?: Exclude<StatsDimension, 'page'>): string {
  const where = [startedIn('s', siteId, query, b)];
  let needsZones = by === 'country';
  for (const [dimension, value] of Object.entries(query.filters) as Array<[StatsDimension, string | null]>) {
    if (dimension === 'page') {
      where.push(
        value === null
          ? 's.pageview_count = 0'
          : `EXISTS (SELECT 1 FROM visit_pages p WHERE p.site_id = s.site_id AND p.session_id = s.session_id AND p.path = ${b.add(value)})`,
      );
      continue;
    }
    if (dimension === 'country') needsZones = true;
    const sql = dimensionSql(dimension, b);
    where.push(value === null ? `(${sql}) IS NULL` : `(${sql}) = ${b.add(value)}`);
  }
  const zones = needsZones ? timezoneCountries() : [];
  const join = needsZones
    ? `LEFT JOIN unnest(${b.add(zones.map(([zone]) => zone))}::text[], ${b.add(zones.map(([, c]) => c))}::text[]) AS tz(zone, country) ON tz.zone = s.timezone`
    : '';
  const value = by ? `, ${dimensionSql(by, b)} AS value` : '';
  return `WITH v AS (
    SELECT s.site_id, s.session_id, s.visitor_id, s.session_start, s.pageview_count, s.bounce, s.duration_seconds${value}
    FROM user_sessions s ${join}
    WHERE ${where.join(' AND ')}
  )`;
}

/**
 * `, per AS (…)`: one row per (value, visitor) of the visits in `v`, with their visits, pageviews, bounces and
 * durations; the panel then counts rows for visitors. Two hash aggregates instead of `count(DISTINCT …)`, which
 * sorts every value's visitors (measured about as fast at 1M events, and it never spills with `work_mem` raised).
 */
function perVisitor(by = 'NULL::text'): string {
  return `, per AS (
    SELECT ${by} AS value, visitor_id, count(*) AS visits, sum(pageview_count) AS pageviews,
           count(*) FILTER (WHERE bounce) AS bounces, sum(duration_seconds) AS duration_s
    FROM v GROUP BY 1, visitor_id
  )`;
}

/** Time bounds on a visit's events (the margin a visit may last), for the indexes on event time. */
function eventWindow(column: string, query: StatsQuery, b: Binds): string {
  return `${column} >= ${b.add(iso(query.from - VISIT_MARGIN_MS))}::timestamptz AND ${column} < ${b.add(iso(query.to + VISIT_MARGIN_MS))}::timestamptz`;
}

const ORDER = (second: string, key: string) => `ORDER BY visitors DESC, ${second} DESC, ${key} COLLATE "C" ASC NULLS LAST`;

async function summary(db: Queryable, siteId: string, query: StatsQuery) {
  const b = binds();
  const [row] = await db.query(
    `${visitsCte(siteId, query, b)}${perVisitor()}
     SELECT count(*)::int AS visitors, COALESCE(sum(visits), 0)::int AS visits, COALESCE(sum(pageviews), 0)::int AS pageviews,
            COALESCE(sum(bounces), 0)::int AS bounces, COALESCE(sum(duration_s), 0)::int AS duration_s
     FROM per`,
    b.values,
  );
  return row;
}

async function timeseries(db: Queryable, siteId: string, query: StatsQuery) {
  const b = binds();
  // UTC hours or days from the epoch, binned as timestamps (per-row numeric epoch arithmetic cost a third of
  // the panel's time at a million events); each bucket's start becomes epoch ms once, after the aggregates.
  const size = b.add(query.interval === 'hour' ? '1 hour' : '1 day');
  const bucket = `date_bin(${size}::interval, session_start, '1970-01-01T00:00:00Z'::timestamptz)`;
  const points = await db.query(
    `${visitsCte(siteId, query, b)}${perVisitor(bucket)}
     SELECT (extract(epoch FROM value) * 1000)::float8 AS t, count(*)::int AS visitors, sum(visits)::int AS visits,
            sum(pageviews)::int AS pageviews
     FROM per GROUP BY value ORDER BY value`,
    b.values,
  );
  return { interval: query.interval, points };
}

async function breakdown(db: Queryable, siteId: string, query: StatsQuery) {
  const b = binds();
  if (query.by === 'page') {
    // visit_pages holds each visit's pageviews by path already counted, with the visit's visitor and start:
    // one range scan and a (path, visitor) hash aggregate.
    const pages = rollupRows('visit_pages', siteId, query, b);
    const rows = await db.query(
      `${pages.with ? `${pages.with}, ` : 'WITH '}per AS (
         SELECT r.path, r.visitor_id, count(*) AS visits, sum(r.views) AS pageviews
         FROM ${pages.from}
         GROUP BY r.path, r.visitor_id
       )
       SELECT path AS value, count(*)::int AS visitors, sum(visits)::int AS visits, sum(pageviews)::int AS pageviews
       FROM per GROUP BY path ${ORDER('pageviews', 'path')} LIMIT ${b.add(query.limit)}`,
      b.values,
    );
    return { by: query.by, rows };
  }
  const skipNull = OPTIONAL_DIMENSIONS.includes(query.by) ? 'WHERE value IS NOT NULL' : '';
  const rows = await db.query(
    `${visitsCte(siteId, query, b, query.by)}${perVisitor('value')}
     SELECT value, count(*)::int AS visitors, sum(visits)::int AS visits, sum(pageviews)::int AS pageviews
     FROM per ${skipNull} GROUP BY value ${ORDER('pageviews', 'value')} LIMIT ${b.add(query.limit)}`,
    b.values,
  );
  return { by: query.by, rows };
}

async function goals(db: Queryable, siteId: string, query: StatsQuery) {
  const b = binds();
  const rows = await db.query(
    `${visitsCte(siteId, query, b)},
     per AS (
       SELECT e.event_type AS name, v.visitor_id, count(*) AS events
       FROM user_events e JOIN v ON v.session_id = e.session_id
       WHERE e.site_id = ${b.add(siteId)} AND e.event_type <> ALL (${b.add(BUILTIN_TYPES)}::text[])
         AND ${eventWindow('e.event_timestamp', query, b)}
       GROUP BY e.event_type, v.visitor_id
     )
     SELECT name, count(*)::int AS visitors, sum(events)::int AS events
     FROM per GROUP BY name ${ORDER('events', 'name')} LIMIT ${b.add(query.limit)}`,
    b.values,
  );
  return { rows };
}

async function funnel(db: Queryable, siteId: string, query: StatsQuery) {
  if (query.steps.length === 0) return { steps: [] };
  const b = binds();
  const cte = visitsCte(siteId, query, b);
  const site = b.add(siteId);
  const steps = query.steps.map((step, index) => {
    const hits =
      step.kind === 'page'
        ? `SELECT session_id, view_timestamp AS ts FROM pageviews
           WHERE site_id = ${site} AND path = ${b.add(step.value)} AND ${eventWindow('view_timestamp', query, b)}`
        : `SELECT session_id, event_timestamp AS ts FROM user_events
           WHERE site_id = ${site} AND event_type = ${b.add(step.value)} AND ${eventWindow('event_timestamp', query, b)}`;
    // Each step: the earliest hit at or after the previous step's, per visit still in the funnel.
    const previous = index === 0 ? 'v' : `s${index - 1}`;
    const after = index === 0 ? '' : ` AND x.ts >= prev.ts`;
    return `s${index} AS (SELECT prev.session_id, min(x.ts) AS ts FROM ${previous} prev JOIN (${hits}) x ON x.session_id = prev.session_id${after} GROUP BY prev.session_id)`;
  });
  const counts = query.steps.map((_, index) => `(SELECT count(*)::int FROM s${index}) AS s${index}`).join(', ');
  const [row] = await db.query<Record<string, number>>(`${cte}, ${steps.join(', ')} SELECT ${counts}`, b.values);
  return { steps: query.steps.map((step, index) => ({ ...step, visits: row?.[`s${index}`] ?? 0 })) };
}

async function vitals(db: Queryable, siteId: string, query: StatsQuery) {
  // visit_vitals holds each visit's metrics with the value of their last report.
  const b = binds();
  const vitals = rollupRows('visit_vitals', siteId, query, b);
  const rows = await db.query(
    `${vitals.with}
     SELECT r.name, percentile_disc(0.75) WITHIN GROUP (ORDER BY r.value)::float8 AS p75, count(*)::int AS samples
     FROM ${vitals.from}
     GROUP BY r.name ORDER BY r.name COLLATE "C"`,
    b.values,
  );
  return { rows };
}

async function live(db: Queryable, siteId: string, now: number) {
  const [row] = await db.query<{ visitors: number }>(
    `SELECT count(DISTINCT visitor_id)::int AS visitors FROM events_log
     WHERE site_id = $1 AND "timestamp" >= $2::timestamptz AND event_type <> 'sdk_dropped'`,
    [siteId, iso(now - LIVE_WINDOW_MS)],
  );
  return { visitors: row?.visitors ?? 0, window_s: LIVE_WINDOW_MS / 1000 };
}

const PANELS = { summary, timeseries, breakdown, goals, funnel, vitals };

/** The route's path: only the contract's panels match it, so any other answers the server's 404. */
export const STATS_ROUTE = `/v1/stats/:panel{${STATS_PANELS.join('|')}}`;

/**
 * Answers `GET /v1/stats/:panel` for a site: the panel's data, or a string naming what is wrong with the request.
 * Each panel runs in a read-only transaction with room for its hash aggregates in memory (`work_mem` 64 MB:
 * at the 4 MB default, a 30-day view of a million events spills them to disk and takes twice as long) and
 * without JIT (compiling costs more than these queries save). Live visitors come from the raw events (the ETL
 * runs every few seconds behind them).
 */
export function statsPanelSql(
  db: Db,
  siteId: string,
  url: URL,
  now: number,
  budget: StatsBudget = STATS_BUDGET,
): Promise<unknown> | string {
  const panel = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  if (!isStatsPanel(panel)) return `no stats panel ${panel.slice(0, 64)}`;
  const query = parseStatsQuery(url.searchParams, now);
  if (typeof query === 'string') return query;
  if (panel === 'live') return live(db, siteId, now);
  // The reports without SQL of their own yet, and the bot views, are computed by the reference code over the raw
  // events of the range (exact, but their cost grows with the events read: see docs/dashboard.md § Speed).
  if (!(panel in PANELS) || query.bots !== 'exclude') {
    return statsFromEvents(panel, query, now, (fromTs, toTs) => rawEvents(db, siteId, fromTs, toTs, budget));
  }
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION READ ONLY');
    await tx.query("SET LOCAL work_mem = '64MB'");
    await tx.query('SET LOCAL jit = off');
    return PANELS[panel as keyof typeof PANELS](tx, siteId, query);
  });
}

/**
 * The site's raw events with server time in [fromTs, toTs], as the stats code reads them: a page at a time in
 * `("timestamp", id)` order, within the request's budget (issue 27: a public write key chooses how many there are;
 * between pages ingest and health checks get their turn). PGlite reads a page on the server's own thread (5,000
 * events held it for about 0.4 s on a loaded machine), so its pages are 1,000. Throws `StatsRefusal` past the budget.
 */
async function rawEvents(db: Db, siteId: string, fromTs: number, toTs: number, budget: StatsBudget): Promise<StatsEvent[]> {
  const RAW_PAGE = db.kind === 'pglite' ? 1000 : 5000;
  const read = await readWithinBudget<{ at: string; id: string }>(async (after) => {
    const rows = await db.query<{ data: TrailmarkEvent; ts: string; user_agent: string | null; at: string; id: string }>(
      `SELECT raw_event_data AS data, (extract(epoch FROM "timestamp") * 1000)::float8 AS ts, user_agent,
              "timestamp"::text AS at, id::text AS id
       FROM events_log
       WHERE site_id = $1 AND "timestamp" >= $2::timestamptz AND "timestamp" <= $3::timestamptz
         AND ("timestamp", id) > ($4::timestamptz, $5::bigint)
       ORDER BY "timestamp", id LIMIT ${RAW_PAGE}`,
      [siteId, iso(fromTs), iso(toTs), after?.at ?? '-infinity', after?.id ?? '0'],
    );
    const last = rows.at(-1);
    return {
      events: rows.map((row) => statsEventOf(row.data, Math.round(Number(row.ts)), row.user_agent)),
      next: rows.length === RAW_PAGE && last ? { at: last.at, id: last.id } : undefined,
    };
  }, budget);
  if (!read.ok) throw new StatsRefusal(read.error);
  return read.events;
}
