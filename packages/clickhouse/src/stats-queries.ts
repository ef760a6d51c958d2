import {
  BUILTIN_TYPES,
  isStatsPanel,
  LIVE_WINDOW_MS,
  OPTIONAL_DIMENSIONS,
  parseStatsQuery,
  type StatsData,
  type StatsDimension,
  type StatsEvent,
  type StatsQuery,
  statsEventOf,
  statsFromEvents,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import type { ChStore } from './store.js';
import { agentOf } from './visit-rows.js';

// The dashboard's read contract (`GET /v1/stats/:panel`) in ClickHouse SQL over the `visits` table (one row per visit,
// its pages, vitals and funnel marks in Nested columns; FINAL reads each visit's newest row). The figures and their
// order are the ones `statsPanel()` in @trailmark/protocol computes from raw events (the stats suite holds them
// equal): exact uniques (uniqExact), strings ordered by bytes (code points), unknown values last.

/** Named bind parameters; `add()` answers the `{pN:Type}` placeholder. */
function binds() {
  const values: Record<string, unknown> = {};
  let n = 0;
  return {
    values,
    add(value: unknown, type: string) {
      const name = `p${n++}`;
      values[name] = value;
      return `{${name}:${type}}`;
    },
  };
}
type Binds = ReturnType<typeof binds>;

/** The visit columns a dimension reads (every dimension but `page` is a column of its own). */
const COLUMN: Record<Exclude<StatsDimension, 'page'>, string> = {
  entry_page: 'entry_page',
  exit_page: 'exit_page',
  source: 'source',
  referrer: 'referrer',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  country: 'country',
  device: 'device',
  browser: 'browser',
  os: 'os',
};

/** `FROM visits FINAL … WHERE`: the site's visits that started in the range and pass every filter. */
function visitsWhere(siteId: string, query: StatsQuery, b: Binds, arrayJoin = ''): string {
  const where = [
    `site_id = ${b.add(siteId, 'String')}`,
    // Humans only (the SQL panels answer `bots=exclude`; the reference code answers the bot views).
    'bot IS NULL',
    `start_ms >= ${b.add(query.from, 'Int64')}`,
    `start_ms < ${b.add(query.to, 'Int64')}`,
  ];
  for (const [dimension, value] of Object.entries(query.filters) as Array<[StatsDimension, string | null]>) {
    if (dimension === 'page') where.push(value === null ? 'pageviews = 0' : `has(pages.path, ${b.add(value, 'String')})`);
    else where.push(value === null ? `${COLUMN[dimension]} IS NULL` : `${COLUMN[dimension]} = ${b.add(value, 'String')}`);
  }
  return `FROM visits FINAL ${arrayJoin} WHERE ${where.join(' AND ')}`;
}

const ORDER = (second: string, key: string) => `ORDER BY nv DESC, ${second} DESC, ${key} ASC NULLS LAST`;
const n = (value: unknown) => Number(value ?? 0);

async function summary(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['summary']> {
  const b = binds();
  const [row] = await store.query(
    `SELECT uniqExact(visitor_id) AS nv, count() AS ns, sum(pageviews) AS np, countIf(bounce = 1) AS nb, sum(duration_s) AS nd
     ${visitsWhere(siteId, query, b)}`,
    b.values,
  );
  return { visitors: n(row?.nv), visits: n(row?.ns), pageviews: n(row?.np), bounces: n(row?.nb), duration_s: n(row?.nd) };
}

async function timeseries(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['timeseries']> {
  const b = binds();
  const size = b.add(query.interval === 'hour' ? 3_600_000 : 86_400_000, 'Int64');
  const rows = await store.query(
    `SELECT intDiv(start_ms, ${size}) * ${size} AS t, uniqExact(visitor_id) AS nv, count() AS ns, sum(pageviews) AS np
     ${visitsWhere(siteId, query, b)} GROUP BY t ORDER BY t`,
    b.values,
  );
  return {
    interval: query.interval,
    points: rows.map((row) => ({ t: n(row.t), visitors: n(row.nv), visits: n(row.ns), pageviews: n(row.np) })),
  };
}

async function breakdown(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['breakdown']> {
  const b = binds();
  let sql: string;
  if (query.by === 'page') {
    sql = `SELECT path AS value, uniqExact(visitor_id) AS nv, count() AS ns, sum(views) AS np
      ${visitsWhere(siteId, query, b, 'ARRAY JOIN pages.path AS path, pages.views AS views')}
      GROUP BY value ${ORDER('np', 'value')} LIMIT ${b.add(query.limit, 'UInt32')}`;
  } else {
    const column = COLUMN[query.by];
    const skipNull = OPTIONAL_DIMENSIONS.includes(query.by) ? ` AND ${column} IS NOT NULL` : '';
    sql = `SELECT ${column} AS value, uniqExact(visitor_id) AS nv, count() AS ns, sum(pageviews) AS np
      ${visitsWhere(siteId, query, b)}${skipNull}
      GROUP BY value ${ORDER('np', 'value')} LIMIT ${b.add(query.limit, 'UInt32')}`;
  }
  const rows = await store.query<{ value: string | null; nv: unknown; ns: unknown; np: unknown }>(sql, b.values);
  return {
    by: query.by,
    rows: rows.map((row) => ({ value: row.value ?? null, visitors: n(row.nv), visits: n(row.ns), pageviews: n(row.np) })),
  };
}

async function goals(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['goals']> {
  const b = binds();
  const rows = await store.query<{ name: string; nv: unknown; ne: unknown }>(
    `SELECT substring(key, 7) AS name, uniqExact(visitor_id) AS nv, count() AS ne
     ${visitsWhere(siteId, query, b, 'ARRAY JOIN marks.key AS key')}
       AND startsWith(key, 'event:') AND name NOT IN ${b.add(BUILTIN_TYPES, 'Array(String)')}
     GROUP BY name ${ORDER('ne', 'name')} LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
  return { rows: rows.map((row) => ({ name: row.name, visitors: n(row.nv), events: n(row.ne) })) };
}

async function funnel(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['funnel']> {
  if (query.steps.length === 0) return { steps: [] };
  const b = binds();
  // Each step: the earliest mark of its kind at or after the previous step's time (as `funnelOf`); NULL once missed.
  const times = query.steps.map((step, index) => {
    const key = b.add(`${step.kind}:${step.value}`, 'String');
    const after = index === 0 ? '' : ` AND t >= ifNull(t${index - 1}, 9223372036854775807)`;
    return `arrayReduce('minOrNull', arrayFilter((t, k) -> k = ${key}${after}, marks.t, marks.key)) AS t${index}`;
  });
  const counts = query.steps.map((_, index) => `countIf(t${index} IS NOT NULL) AS c${index}`);
  const [row] = await store.query<Record<string, unknown>>(
    `SELECT ${counts.join(', ')} FROM (SELECT ${times.join(', ')} ${visitsWhere(siteId, query, b)})`,
    b.values,
  );
  return { steps: query.steps.map((step, index) => ({ ...step, visits: n(row?.[`c${index}`]) })) };
}

async function vitals(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['vitals']> {
  const b = binds();
  // p75 by nearest rank over each visit's last report per metric id, as `vitalsOf`.
  const rows = await store.query<{ name: string; p75: number; samples: unknown }>(
    `SELECT name, arraySort(groupArray(value)) AS sorted, length(sorted) AS samples,
            sorted[toUInt64(ceil(length(sorted) * 0.75))] AS p75
     ${visitsWhere(siteId, query, b, 'ARRAY JOIN vitals.name AS name, vitals.value AS value')}
     GROUP BY name ORDER BY name`,
    b.values,
  );
  return { rows: rows.map((row) => ({ name: row.name, p75: Number(row.p75), samples: n(row.samples) })) };
}

async function live(store: ChStore, siteId: string, now: number): Promise<StatsData['live']> {
  const [row] = await store.query(
    `SELECT uniqExact(visitor_id) AS nv FROM events
     WHERE site_id = {site:String} AND ts >= {since:Int64} AND type != 'sdk_dropped'`,
    { site: siteId, since: now - LIVE_WINDOW_MS },
  );
  return { visitors: n(row?.nv), window_s: LIVE_WINDOW_MS / 1000 };
}

const PANELS = { summary, timeseries, breakdown, goals, funnel, vitals };

/**
 * Answers `GET /v1/stats/:panel` for a site: the panel's data, or a string naming what is wrong with the request.
 * Live visitors come from the events table (what the loaders loaded in the last five minutes).
 */
export function statsPanelSql(store: ChStore, siteId: string, url: URL, now: number): Promise<unknown> | string {
  const panel = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  if (!isStatsPanel(panel)) return `no stats panel ${panel.slice(0, 64)}`;
  const query = parseStatsQuery(url.searchParams, now);
  if (typeof query === 'string') return query;
  if (panel === 'live') return live(store, siteId, now);
  // The reports without SQL of their own here yet, and the bot views, are computed by the reference code over the
  // raw events of the range (as on Postgres: exact, but their cost grows with the events read).
  if (!(panel in PANELS) || query.bots !== 'exclude') {
    // No stitched identities here yet (docs/identity.md): these panels count browsers, as this backend's SQL does.
    return statsFromEvents(
      panel,
      query,
      now,
      (fromTs, toTs) => rawEvents(store, siteId, fromTs, toTs),
      () => new Map(),
    );
  }
  return PANELS[panel as keyof typeof PANELS](store, siteId, query);
}

/**
 * The site's stored events with server time in [fromTs, toTs], as the stats code reads them, each with its request's
 * stored user-agent class (`Chrome; Windows; mobile`; `desktop` for rows loaded before the device part was kept).
 */
async function rawEvents(store: ChStore, siteId: string, fromTs: number, toTs: number): Promise<StatsEvent[]> {
  const rows = await store.query<{ raw: string; ts: string | number; browser: string | null; os: string | null; d: string | null }>(
    `SELECT raw, ts, browser, os, agent_device AS d FROM events FINAL
     WHERE site_id = {site:String} AND ts >= {from:Int64} AND ts <= {to:Int64}`,
    { site: siteId, from: fromTs, to: toTs },
  );
  return rows.map((row) => statsEventOf(JSON.parse(row.raw) as TrailmarkEvent, Number(row.ts), agentOf(row.browser, row.os, row.d)));
}
