import type { StatsData, StatsQuery } from '@trailmark/protocol';
import { binds, n, visitsWhere } from './stats-sql.js';
import type { ChStore } from './store.js';

// Scroll depth and engaged time per page (`scrollOf`, `engagementOf` in @trailmark/protocol): each page a selected
// visit viewed (its `pages` column), with the deepest scroll and the engaged time the visit's events reported on it,
// which the loader keeps beside each page of the visit row (`pages.depth`, `pages.engaged_ms`: migration 07).

/** Per page viewed by the selected visits: `figures` over its visits' `depth` and `engaged`. */
async function pageRows(store: ChStore, siteId: string, query: StatsQuery, figures: string) {
  const b = binds();
  return store.query<Record<string, unknown> & { path: string }>(
    `SELECT path, ${figures}
     ${visitsWhere(siteId, query, b, { arrayJoin: 'ARRAY JOIN pages.path AS path, pages.depth AS depth, pages.engaged_ms AS engaged' })}
     GROUP BY path ORDER BY nv DESC, path ASC LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
}

/** Share of the visits that viewed each page reaching 25/50/75/100 % of it (counts; the reader divides). */
export async function scroll(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['scroll']> {
  const rows = await pageRows(
    store,
    siteId,
    query,
    'count() AS nv, countIf(depth >= 25) AS r25, countIf(depth >= 50) AS r50, countIf(depth >= 75) AS r75, countIf(depth >= 100) AS r100',
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
  const rows = await pageRows(store, siteId, query, 'count() AS nv, sum(engaged) AS ms');
  return { rows: rows.map((row) => ({ path: row.path, visits: n(row.nv), engaged_ms: n(row.ms) })) };
}
