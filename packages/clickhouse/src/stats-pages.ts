import type { StatsData, StatsQuery } from '@trailmark/protocol';
import { binds, eventsOf, n, visitsWhere } from './stats-sql.js';
import type { ChStore } from './store.js';

// Scroll depth and engaged time per page (`scrollOf`, `engagementOf` in @trailmark/protocol): each page a selected
// visit viewed (its `pages` column), with the deepest scroll and the engaged time the visit's events report on it.

const NUMBER = `('Int64', 'UInt64', 'Double')`;

/** Per (visit, page viewed): the visit's deepest scroll on the page and its engaged ms there. */
async function pageRows(store: ChStore, siteId: string, query: StatsQuery, figures: string, order: string) {
  const b = binds();
  // A scroll event's depth is its milestone, else its max depth (`props.milestone ?? props.max_depth`).
  const events = eventsOf(
    siteId,
    query,
    b,
    ['scroll_depth', 'page_leave'],
    `ifNull(path, '') AS page, path IS NOT NULL AS has_path,
     multiIf(type != 'scroll_depth', NULL,
       JSONType(props, 'milestone') != 'Null', if(JSONType(props, 'milestone') IN ${NUMBER}, JSONExtractFloat(props, 'milestone'), NULL),
       JSONType(props, 'max_depth') IN ${NUMBER}, JSONExtractFloat(props, 'max_depth'), NULL) AS depth,
     if(type = 'page_leave' AND JSONType(props, 'engaged_ms') IN ${NUMBER} AND JSONExtractFloat(props, 'engaged_ms') >= 0,
       toInt64(floor(JSONExtractFloat(props, 'engaged_ms') + 0.5)), 0) AS engaged`,
  );
  const perPage = `SELECT session_id, page AS path, greatest(0, max(ifNull(depth, 0))) AS depth, sum(engaged) AS engaged
    FROM (${events}) WHERE has_path GROUP BY session_id, page`;
  return store.query<Record<string, unknown> & { path: string }>(
    `SELECT v.path AS path, ${figures}
     FROM (SELECT visits.session_id AS session_id, path ${visitsWhere(siteId, query, b, { arrayJoin: 'ARRAY JOIN pages.path AS path' })}) AS v
     LEFT ANY JOIN (${perPage}) AS e ON e.session_id = v.session_id AND e.path = v.path
     GROUP BY path ORDER BY ${order} LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
}

/** Share of the visits that viewed each page reaching 25/50/75/100 % of it (counts; the reader divides). */
export async function scroll(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['scroll']> {
  const rows = await pageRows(
    store,
    siteId,
    query,
    'count() AS nv, countIf(e.depth >= 25) AS r25, countIf(e.depth >= 50) AS r50, countIf(e.depth >= 75) AS r75, countIf(e.depth >= 100) AS r100',
    'nv DESC, path ASC',
  );
  return {
    rows: rows.map((row) => ({
      path: row.path,
      visits: n(row.nv),
      reached_25: n(row.r25),
      reached_50: n(row.r50),
      reached_75: n(row.r75),
      reached_100: n(row.r100),
    })),
  };
}

/** Engaged time on each page of the visits that viewed it (a sum; the reader divides by the visits). */
export async function engagement(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['engagement']> {
  const rows = await pageRows(store, siteId, query, 'count() AS nv, sum(e.engaged) AS ms', 'nv DESC, path ASC');
  return { rows: rows.map((row) => ({ path: row.path, visits: n(row.nv), engaged_ms: n(row.ms) })) };
}
