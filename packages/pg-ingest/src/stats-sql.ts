import { personSql, type StatsDimension, type StatsQuery, VISIT_MARGIN_MS } from '@trailmark/protocol';

// The pieces every panel's SQL is built from (stats-queries.ts, report-queries.ts): bind parameters, the visits of a
// request (range, traffic, filters), their dimensions, and the one expression that names a person.

/** A growing list of bind parameters; `add()` answers the placeholder. */
export function binds() {
  const values: unknown[] = [];
  return { values, add: (value: unknown) => `$${values.push(value)}` };
}
export type Binds = ReturnType<typeof binds>;

/** Epoch milliseconds as an ISO timestamp. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** The dimensions stored as columns with an index in (value, visitor) order each (migration 11). */
const BY_VALUE_INDEX: readonly StatsDimension[] = ['source', 'country', 'device'];

/** The SQL value of a visit's dimension (`s` is the user_sessions row). */
export function dimensionSql(dimension: Exclude<StatsDimension, 'page'>): string {
  switch (dimension) {
    case 'entry_page':
      return 's.entry_path';
    case 'exit_page':
      return 's.exit_path';
    // Stored when the session is written (migration 11: the protocol's channelOf(), time-zone table and device
    // widths as visit_channel(), zone_country() and screen_device()), so a panel groups a plain column.
    case 'source':
      return 's.channel';
    case 'referrer':
      return 's.referrer_platform';
    // country and device are stored with the channel (migration 11), browser and os named from the user agent
    // when the session is written (migration 09, agent_browser() and agent_os()).
    case 'utm_source':
    case 'utm_medium':
    case 'utm_campaign':
    case 'country':
    case 'device':
    case 'browser':
    case 'os':
      return `s.${dimension}`;
  }
}

/**
 * The site a panel answers for, and whether it has identified anyone (`visitor_users`, migration 06), asked once per
 * request in the panel's snapshot (`statsPanelSql`).
 */
export interface PanelSite {
  id: string;
  identified: boolean;
}

/**
 * Who a row counts as: the one place the panels name a person, `personSql()` of @trailmark/protocol (the user a
 * visitor was identified as, from `visitor_users`, migration 06, else the visitor id every rollup row carries).
 * A site that has identified no one counts the bare visitor id: grouping by the column itself, not by an expression
 * over it, lets a panel read a covering index already in (value, visitor) order and count each group as it streams
 * past (migration 10) instead of hashing every pair.
 */
export const person = (alias: string, site: PanelSite): string => (site.identified ? personSql(alias, site.id) : `${alias}.visitor_id`);

/**
 * The rows (of `alias`: a session or a per-visit rollup) of the site's visits that started in the range and are of
 * the traffic asked for: people only by default, bots only, or both (the `bot` verdict of migration 05).
 */
export function startedIn(alias: string, siteId: string, query: StatsQuery, b: Binds): string {
  const traffic = query.bots === 'include' ? '' : ` AND ${alias}.bot IS ${query.bots === 'only' ? 'NOT ' : ''}NULL`;
  return `${alias}.site_id = ${b.add(siteId)} AND ${alias}.session_start >= ${b.add(iso(query.from))}::timestamptz
    AND ${alias}.session_start < ${b.add(iso(query.to))}::timestamptz${traffic}`;
}

/**
 * The rows of a per-visit rollup (migrations 04, 05) for the site's visits that started in the range: `with` is the
 * filtered visits' CTE when there are filters (and `from` joins them), else empty.
 */
export function rollupRows(table: string, site: PanelSite, query: StatsQuery, b: Binds): { with: string; from: string } {
  const filtered = Object.keys(query.filters).length > 0;
  const cte = filtered ? visitsCte(site, query, b) : '';
  return {
    with: cte,
    from: `${table} r ${filtered ? 'JOIN v ON v.session_id = r.session_id' : ''} WHERE ${startedIn('r', site.id, query, b)}`,
  };
}

/** `WITH v AS (…)`: the site's visits starting in range that pass every filter, with `value` when grouping. */
export function visitsCte(site: PanelSite, query: StatsQuery, b: Binds, by?: Exclude<StatsDimension, 'page'>): string {
  const where = [startedIn('s', site.id, query, b)];
  for (const [dimension, value] of Object.entries(query.filters) as Array<[StatsDimension, string | null]>) {
    if (dimension === 'page') {
      where.push(
        value === null
          ? 's.pageview_count = 0'
          : `EXISTS (SELECT 1 FROM visit_pages p WHERE p.site_id = s.site_id AND p.session_id = s.session_id AND p.path = ${b.add(value)} AND p.views > 0)`,
      );
      continue;
    }
    const sql = dimensionSql(dimension);
    where.push(value === null ? `(${sql}) IS NULL` : `(${sql}) = ${b.add(value)}`);
  }
  const value = by ? `, ${dimensionSql(by)} AS value` : '';
  return `WITH v AS (
    SELECT s.site_id, s.session_id, ${person('s', site)} AS visitor_id, s.session_start, s.pageview_count, s.bounce, s.duration_seconds${value}
    FROM user_sessions s
    WHERE ${where.join(' AND ')}
  )`;
}

/**
 * `, per AS (…)`: one row per (value, visitor) of the visits in `v`, with their visits, pageviews, bounces and
 * durations; the panel then counts rows for visitors. Two aggregates instead of `count(DISTINCT …)`, which sorts
 * every value's visitors. When the request `streams`, the visits come in (visitor, value) order (`orderedBy`): read
 * from idx_user_sessions_by_visitor (migration 10), each (visitor, value) group is counted as it
 * streams past instead of hashing every pair (at a million events the summary 180 → 80 ms of CPU, the timeseries
 * 300 → 100); a short range is sorted instead, which the planner weighs. `valueFirst`: in (value, visitor) order
 * instead, for a dimension with an index in that order (`valueFirst()`, migration 11).
 */
export function perVisitor(streamed: boolean, by?: string, valueFirst = false): string {
  // The value is computed inside the ordered subquery, so the planner sees its rows sorted by the group's key.
  const rows = `SELECT visitor_id, ${by ?? 'NULL::text'} AS grp, pageview_count, bounce, duration_seconds FROM v`;
  const keys = by === undefined ? 'visitor_id' : valueFirst ? 'grp, visitor_id' : 'visitor_id, grp';
  return `, per AS (
    SELECT ${by === undefined ? 'NULL::text' : 'grp'} AS value, visitor_id, count(*) AS visits, sum(pageview_count) AS pageviews,
           count(*) FILTER (WHERE bounce) AS bounces, sum(duration_seconds) AS duration_s
    FROM ${orderedBy(streamed, rows, keys)} v GROUP BY ${keys}
  )`;
}

/**
 * The dimensions whose value idx_user_sessions_by_visitor (migration 10) carries the columns of, beside the summary's
 * figures: their breakdowns, the summary and the timeseries can read it in visitor order.
 */
const BY_VISITOR: ReadonlySet<string> = new Set(['referrer', 'utm_source', 'utm_medium', ...BY_VALUE_INDEX]);

/**
 * The dimensions with an index of their own in (value, visitor) order (migration 11: the first screen's source,
 * country and device breakdowns): read in that order, each (value, visitor) group is counted as it streams past,
 * where the visitor-ordered read sorted each visitor's few visits by value (at a million events half the panel).
 */
export const valueFirst = (by: StatsDimension): boolean => BY_VALUE_INDEX.includes(by);

/**
 * Whether a request reads its rows in (visitor, value) order (`orderedBy`): when the site's people are its bare
 * visitor ids (`person`), without filters (a filtered request reads the few visits its filters select, joined, as
 * before) and, for a breakdown `by` a dimension, one an index covers (`BY_VISITOR`; `page` has its own).
 */
export function streams(site: PanelSite, query: StatsQuery, by?: StatsDimension): boolean {
  return !site.identified && streamable(query, by);
}

/** Whether a request without filters could read in (visitor, value) order: all `streams` asks but the site's people. */
export function streamable(query: StatsQuery, by?: StatsDimension): boolean {
  return Object.keys(query.filters).length === 0 && (by === undefined || by === 'page' || BY_VISITOR.has(by));
}

/**
 * The rows a `select` gives, as a subquery to group by `keys`: in that order when the request `streams`, so the
 * planner may read a covering index already in that order (migration 10) and count each group as it streams past,
 * or sort a short range's rows; as they come otherwise.
 */
export function orderedBy(streamed: boolean, select: string, keys: string): string {
  return `(${select}${streamed ? ` ORDER BY ${keys}` : ''})`;
}

/** Time bounds on a visit's events (the margin a visit may last), for the indexes on event time. */
export function eventWindow(column: string, query: StatsQuery, b: Binds): string {
  return `${column} >= ${b.add(iso(query.from - VISIT_MARGIN_MS))}::timestamptz AND ${column} < ${b.add(iso(query.to + VISIT_MARGIN_MS))}::timestamptz`;
}

/** The order of a panel's rows: visitors, then `second`, then the key by code point, unknown last. */
export const ORDER = (second: string, key: string) => `ORDER BY visitors DESC, ${second} DESC, ${key} COLLATE "C" ASC NULLS LAST`;
