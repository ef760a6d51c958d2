import type { CompletenessDay, StatsData, StatsQuery } from '@trailmark/protocol';
import type { Queryable } from './db.js';
import { type Binds, binds, iso, ORDER, person, rollupRows, visitsCte } from './stats-sql.js';

// The reports beside the traffic figures, in SQL over the per-visit rollups of migration 05 (and visit_pages of
// 04): each is one range scan of its rollup (joined to the filtered visits when there are filters) and one
// aggregate, with the figures and order `statsPanel()` of @trailmark/protocol computes from the events.

type Row = Record<string, unknown>;
const DAY_MS = 86_400_000;

/**
 * Visitors and events per key of a rollup's rows (`where` narrows them: a goal and property, a link kind), ordered
 * by visitors, events, then the key by code point, cut to the request's limit: one (key, person) hash aggregate,
 * then one per key.
 */
async function countedBy(
  db: Queryable,
  siteId: string,
  query: StatsQuery,
  table: string,
  key: string,
  where: (b: Binds) => string,
): Promise<Array<{ key: string; visitors: number; events: number }>> {
  const b = binds();
  const rows = rollupRows(table, siteId, query, b);
  return db.query(
    `${rows.with ? `${rows.with}, ` : 'WITH '}per AS (
       SELECT r.${key} AS key, ${person('r')} AS visitor_id, sum(r.events) AS events
       FROM ${rows.from} AND ${where(b)}
       GROUP BY 1, 2
     )
     SELECT key, count(*)::int AS visitors, sum(events)::int AS events
     FROM per GROUP BY key ${ORDER('events', 'key')} LIMIT ${b.add(query.limit)}`,
    b.values,
  );
}

async function goal_props(db: Queryable, siteId: string, query: StatsQuery): Promise<StatsData['goal_props']> {
  const { goal, prop } = query;
  const head = { goal: goal ?? null, prop: prop ?? null };
  if (goal === undefined || prop === undefined) return { ...head, rows: [] };
  const rows = await countedBy(db, siteId, query, 'visit_goal_props', 'value', (b) => `r.name = ${b.add(goal)} AND r.prop = ${b.add(prop)}`);
  return { ...head, rows: rows.map(({ key, visitors, events }) => ({ value: key, visitors, events })) };
}

const links = (kind: 'outbound' | 'download') =>
  async function linksOf(db: Queryable, siteId: string, query: StatsQuery): Promise<StatsData['outbound']> {
    const rows = await countedBy(db, siteId, query, 'visit_links', 'url', (b) => `r.kind = ${b.add(kind)}`);
    return { rows: rows.map(({ key, visitors, events }) => ({ url: key, visitors, events })) };
  };

/** Per page viewed: the visits that viewed it, how many of them scrolled to each mark, and their engaged time. */
async function pageReads(db: Queryable, siteId: string, query: StatsQuery): Promise<Row[]> {
  const b = binds();
  const pages = rollupRows('visit_pages', siteId, query, b);
  return db.query(
    `${pages.with}
     SELECT r.path, count(*)::int AS visits, count(*) FILTER (WHERE r.scroll >= 25)::int AS reached_25,
            count(*) FILTER (WHERE r.scroll >= 50)::int AS reached_50, count(*) FILTER (WHERE r.scroll >= 75)::int AS reached_75,
            count(*) FILTER (WHERE r.scroll >= 100)::int AS reached_100, sum(r.engaged_ms)::float8 AS engaged_ms
     FROM ${pages.from} AND r.views > 0
     GROUP BY r.path ORDER BY visits DESC, r.path COLLATE "C" LIMIT ${b.add(query.limit)}`,
    b.values,
  );
}

async function scroll(db: Queryable, siteId: string, query: StatsQuery): Promise<StatsData['scroll']> {
  const rows = await pageReads(db, siteId, query);
  return {
    rows: rows.map((row) => ({
      path: String(row.path),
      visits: Number(row.visits),
      reached_25: Number(row.reached_25),
      reached_50: Number(row.reached_50),
      reached_75: Number(row.reached_75),
      reached_100: Number(row.reached_100),
    })),
  };
}

async function engagement(db: Queryable, siteId: string, query: StatsQuery): Promise<StatsData['engagement']> {
  const rows = await pageReads(db, siteId, query);
  return { rows: rows.map((row) => ({ path: String(row.path), visits: Number(row.visits), engaged_ms: Number(row.engaged_ms) })) };
}

async function revenue(db: Queryable, siteId: string, query: StatsQuery): Promise<StatsData['revenue']> {
  const b = binds();
  const rows = rollupRows('visit_revenue', siteId, query, b);
  const found = await db.query<{ name: string; currency: string; visitors: number; events: number; micros: string }>(
    `${rows.with ? `${rows.with}, ` : 'WITH '}per AS (
       SELECT r.name, r.currency, ${person('r')} AS visitor_id, sum(r.events) AS events, sum(r.micros) AS micros
       FROM ${rows.from}
       GROUP BY 1, 2, 3
     )
     SELECT name, currency, count(*)::int AS visitors, sum(events)::int AS events, sum(micros)::text AS micros
     FROM per GROUP BY name, currency ORDER BY name COLLATE "C", currency COLLATE "C" LIMIT ${b.add(query.limit)}`,
    b.values,
  );
  // The sum of integer millionths, divided once: the reference's own arithmetic, whatever order rows came in.
  return {
    rows: found.map((row) => ({
      name: row.name,
      currency: row.currency,
      visitors: row.visitors,
      events: row.events,
      amount: Number(row.micros) / 1_000_000,
    })),
  };
}

async function completeness(db: Queryable, siteId: string, query: StatsQuery): Promise<StatsData['completeness']> {
  const b = binds();
  const day = `(extract(epoch FROM date_bin('1 day'::interval, %s, '1970-01-01T00:00:00Z'::timestamptz)) * 1000)::float8`;
  // Lost events of each visit (its blocks' gaps), counted on the day the visit started when not zero.
  const lost = `${visitsCte(siteId, query, b)}, lost AS (
       SELECT v.session_start, sum(q.max_seq - q.block * 1000 - q.events) AS n
       FROM v JOIN visit_seq q ON q.site_id = v.site_id AND q.session_id = v.session_id
       GROUP BY v.session_id, v.session_start HAVING sum(q.max_seq - q.block * 1000 - q.events) <> 0
     )
     SELECT 'lost' AS kind, ${day.replace('%s', 'session_start')} AS t, NULL AS reason, sum(n)::float8 AS n FROM lost GROUP BY 2`;
  const dropped = `SELECT 'dropped', ${day.replace('%s', 'd.reported_at')}, d.reason, sum(d.dropped)::float8 FROM drop_reports d
     WHERE d.site_id = ${b.add(siteId)} AND d.reported_at >= ${b.add(iso(query.from))}::timestamptz
       AND d.reported_at < ${b.add(iso(query.to))}::timestamptz
     GROUP BY 2, 3`;
  const rows = await db.query<{ kind: string; t: number; reason: string | null; n: number }>(
    `${lost} UNION ALL ${dropped}`,
    b.values,
  );
  // Days in time order, each day's reasons by code point.
  rows.sort((x, y) => x.t - y.t || ((x.reason ?? '') < (y.reason ?? '') ? -1 : (x.reason ?? '') > (y.reason ?? '') ? 1 : 0));
  const days = new Map<number, CompletenessDay>();
  for (const row of rows) {
    const t = Number(row.t);
    let entry = days.get(t);
    if (!entry) {
      entry = { t, lost: 0, dropped: {} };
      days.set(t, entry);
    }
    if (row.kind === 'lost') entry.lost += Number(row.n);
    else entry.dropped[String(row.reason)] = Number(row.n);
  }
  return { days: [...days.values()] };
}

/** The report panels, by name. */
export const REPORT_PANELS = {
  goal_props,
  outbound: links('outbound'),
  downloads: links('download'),
  scroll,
  engagement,
  revenue,
  completeness,
};
