import { panelAnswer, type StatsData, type StatsQuery } from '@trailmark/protocol';
import type { Queryable } from './db.js';
import { type Binds, binds, iso, ORDER, orderedBy, type PanelSite, person, rollupRows, visitsCte } from './stats-sql.js';

// The reports beside the traffic figures, in SQL over the per-visit rollups of migration 05 (and visit_pages of
// 04): each is one range scan of its rollup (joined to the filtered visits when there are filters) and one
// aggregate, with the figures and order `statsPanel()` of @trailmark/protocol computes from the events.

type Row = Record<string, unknown>;

/**
 * Visitors and events per `key` column of a rollup's rows (`where` narrows them: a goal and property, a link kind),
 * ordered by visitors, events, then the key by code point, cut to the request's limit: one (key, person) hash
 * aggregate, then one per key. The key comes back under its own name.
 */
async function countedBy(db: Queryable, site: PanelSite, query: StatsQuery, table: string, key: string, where: (b: Binds) => string) {
  const b = binds();
  const rows = rollupRows(table, site, query, b);
  return db.query(
    `${rows.with ? `${rows.with}, ` : 'WITH '}per AS (
       SELECT r.${key} AS key, ${person('r', site)} AS visitor_id, sum(r.events) AS events
       FROM ${rows.from} AND ${where(b)}
       GROUP BY 1, 2
     )
     SELECT key AS ${key}, count(*)::int AS visitors, sum(events)::int AS events
     FROM per GROUP BY key ${ORDER('events', 'key')} LIMIT ${b.add(query.limit)}`,
    b.values,
  );
}

async function goal_props(db: Queryable, site: PanelSite, query: StatsQuery): Promise<StatsData['goal_props']> {
  const { goal, prop } = query;
  const rows =
    goal === undefined || prop === undefined
      ? []
      : await countedBy(db, site, query, 'visit_goal_props', 'value', (b) => `r.name = ${b.add(goal)} AND r.prop = ${b.add(prop)}`);
  return panelAnswer('goal_props', query, rows);
}

const links = (panel: 'outbound' | 'downloads') =>
  async function linksOf(db: Queryable, site: PanelSite, query: StatsQuery): Promise<StatsData['outbound']> {
    const kind = panel === 'outbound' ? 'outbound' : 'download';
    return panelAnswer(panel, query, await countedBy(db, site, query, 'visit_links', 'url', (b) => `r.kind = ${b.add(kind)}`));
  };

/**
 * Per page viewed: the visits that viewed it, how many of them scrolled to each mark, and their engaged time. In path
 * order without filters, so a long range reads idx_visit_pages_by_path (migration 10, the viewed rows' figures)
 * rather than the table.
 */
async function pageReads(db: Queryable, site: PanelSite, query: StatsQuery): Promise<Row[]> {
  const b = binds();
  const pages = rollupRows('visit_pages', site, query, b);
  return db.query(
    `${pages.with}
     SELECT r.path, count(*)::int AS visits, count(*) FILTER (WHERE r.scroll >= 25)::int AS reached_25,
            count(*) FILTER (WHERE r.scroll >= 50)::int AS reached_50, count(*) FILTER (WHERE r.scroll >= 75)::int AS reached_75,
            count(*) FILTER (WHERE r.scroll >= 100)::int AS reached_100, sum(r.engaged_ms)::float8 AS engaged_ms
     FROM ${orderedBy(Object.keys(query.filters).length === 0, `SELECT r.* FROM ${pages.from} AND r.views > 0`, 'r.path')} r
     GROUP BY r.path ORDER BY visits DESC, r.path COLLATE "C" LIMIT ${b.add(query.limit)}`,
    b.values,
  );
}

async function scroll(db: Queryable, site: PanelSite, query: StatsQuery): Promise<StatsData['scroll']> {
  return panelAnswer('scroll', query, await pageReads(db, site, query));
}

async function engagement(db: Queryable, site: PanelSite, query: StatsQuery): Promise<StatsData['engagement']> {
  return panelAnswer('engagement', query, await pageReads(db, site, query));
}

async function revenue(db: Queryable, site: PanelSite, query: StatsQuery): Promise<StatsData['revenue']> {
  const b = binds();
  const rows = rollupRows('visit_revenue', site, query, b);
  const found = await db.query(
    `${rows.with ? `${rows.with}, ` : 'WITH '}per AS (
       SELECT r.name, r.currency, ${person('r', site)} AS visitor_id, sum(r.events) AS events, sum(r.micros) AS micros
       FROM ${rows.from}
       GROUP BY 1, 2, 3
     )
     SELECT name, currency, count(*)::int AS visitors, sum(events)::int AS events, sum(micros)::text AS micros
     FROM per GROUP BY name, currency ORDER BY name COLLATE "C", currency COLLATE "C" LIMIT ${b.add(query.limit)}`,
    b.values,
  );
  // The sum of integer millionths, divided once (panelAnswer): the reference's own arithmetic, in any row order.
  return panelAnswer('revenue', query, found);
}

async function completeness(db: Queryable, site: PanelSite, query: StatsQuery): Promise<StatsData['completeness']> {
  const b = binds();
  const day = `(extract(epoch FROM date_bin('1 day'::interval, %s, '1970-01-01T00:00:00Z'::timestamptz)) * 1000)::float8`;
  // Lost events of each visit (its blocks' gaps), counted on the day the visit started when not zero. Read from
  // the blocks with a gap (the partial index of migration 07), each joined to its visit: a block without a gap
  // adds nothing to a visit's sum.
  const gap = 'q.max_seq - q.block * 1000 - q.events';
  const lost = `${visitsCte(site, query, b)}, lost AS (
       SELECT v.session_start, sum(${gap}) AS n
       FROM visit_seq q JOIN v ON v.site_id = q.site_id AND v.session_id = q.session_id
       WHERE q.site_id = ${b.add(site.id)} AND ${gap} <> 0
       GROUP BY v.session_id, v.session_start HAVING sum(${gap}) <> 0
     )
     SELECT 'lost' AS kind, ${day.replace('%s', 'session_start')} AS t, NULL AS reason, sum(n)::float8 AS n FROM lost GROUP BY 2`;
  const dropped = `SELECT 'dropped', ${day.replace('%s', 'd.reported_at')}, d.reason, sum(d.dropped)::float8 FROM drop_reports d
     WHERE d.site_id = ${b.add(site.id)} AND d.reported_at >= ${b.add(iso(query.from))}::timestamptz
       AND d.reported_at < ${b.add(iso(query.to))}::timestamptz
     GROUP BY 2, 3`;
  const rows = await db.query<{ kind: string; t: number; reason: string | null; n: number }>(`${lost} UNION ALL ${dropped}`, b.values);
  // Each day's reasons by code point (panelAnswer keeps the rows' order within a day).
  rows.sort((x, y) => x.t - y.t || ((x.reason ?? '') < (y.reason ?? '') ? -1 : (x.reason ?? '') > (y.reason ?? '') ? 1 : 0));
  return panelAnswer('completeness', query, rows);
}

/** The report panels, by name. */
export const REPORT_PANELS = {
  goal_props,
  outbound: links('outbound'),
  downloads: links('downloads'),
  scroll,
  engagement,
  revenue,
  completeness,
};
