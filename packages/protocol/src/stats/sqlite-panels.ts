import type {
  CompletenessDay,
  FunnelRow,
  LinkRow,
  StatsData,
  StatsDimension,
  StatsPanel,
  StatsPoint,
  StatsQuery,
  VitalRow,
} from './contract.js';
import { OPTIONAL_DIMENSIONS } from './contract.js';
import { personSql } from './persons.js';
import type { SqlStatement } from './sqlite-rollups.js';
import { BUILTIN_TYPES } from './visits.js';

/**
 * The stats panels as SQL over the SQLite backends' per-visit rollups (`sqlite-rollups.ts`): a panel is one query
 * (`panelSql`) and a step that shapes its rows (`panelAnswer`). The figures equal what `statsPanel()` computes
 * from the events (the contract suite holds them equal). Strings order by SQLite's BINARY collation (UTF-8 bytes,
 * code-point order), unknown values last.
 */

type Row = Record<string, unknown>;
type RollupPanel = Exclude<StatsPanel, 'live'>;
const DAY_MS = 86_400_000;
const NOTHING = 'SELECT NULL WHERE 0';

/**
 * Distinct visitors among a rollup's rows, counted as people (persons.ts): the one expression every panel counts
 * them by. A site that never identified anyone counts the integer `visitor_key` (sqlite-rollups.ts), which is
 * cheaper than distinct strings; once it has, each row's person is looked up in `visitor_users`. When the plan
 * knows the site has identified no one (`rangeVisitsSql` asked), the expression is the bare key: the lookup's
 * `visitor_id` is in no grouped index, so merely naming it sent every index entry to its table row (at a million
 * events the page breakdown took 1,039 ms of CPU with it, 108 ms without).
 */
const visitors = (alias: string, siteId: string, plan: PanelPlan) =>
  `count(DISTINCT ${plan.identified === false ? `${alias}.visitor_key` : personSql(alias, siteId, `${alias}.visitor_key`)})`;

/** The traffic condition on a rollup's `bot` column. */
function botsSql(alias: string, query: StatsQuery): string {
  if (query.bots === 'include') return '';
  return ` AND ${alias}.bot IS ${query.bots === 'only' ? 'NOT ' : ''}NULL`;
}

/**
 * The conditions on `visits v` for the site's visits starting in range that are of the traffic asked for and pass
 * every filter; `within`, a time bucket's start and width (SQL), narrows the range to that bucket.
 */
function visitWhere(siteId: string, query: StatsQuery, params: SqlStatement['params'], within?: { start: string; size: number }): string {
  params.push(siteId, query.from, query.to);
  // One bound each side, so that SQLite seeks the bucket's range of the key.
  const range = within
    ? `v.start_ts >= max(${within.start}, ?) AND v.start_ts < min(${within.start} + ${within.size}, ?)`
    : 'v.start_ts >= ? AND v.start_ts < ?';
  let where = `v.site_id = ? AND ${range}${botsSql('v', query)}`;
  for (const [dimension, value] of Object.entries(query.filters) as Array<[StatsDimension, string | null]>) {
    if (dimension === 'page') {
      if (value === null) where += ' AND v.pageviews = 0';
      else {
        where +=
          ' AND EXISTS (SELECT 1 FROM visit_pages p WHERE p.site_id = v.site_id AND p.start_ts = v.start_ts AND p.session_id = v.session_id AND p.path = ? AND p.views > 0)';
        params.push(value);
      }
    } else if (value === null) where += ` AND v.${dimension} IS NULL`;
    else {
      where += ` AND v.${dimension} = ?`;
      params.push(value);
    }
  }
  return where;
}

/**
 * `FROM <table> r …` over a child rollup's rows of the selected visits: joined to `visits` only when filtered;
 * read through `index` (a covering index in the panel's group order) when given.
 */
function childFrom(table: string, siteId: string, query: StatsQuery, params: SqlStatement['params'], index?: string): string {
  if (Object.keys(query.filters).length > 0) {
    const where = visitWhere(siteId, query, params);
    // The range stated on the child's key too: without it the planner read a grouped index whole and looked each
    // entry's visit up (the page breakdown filtered by browser: 2.6 s → 31 s at a million events).
    params.push(siteId, query.from, query.to);
    const on = 'v.site_id = r.site_id AND v.start_ts = r.start_ts AND v.session_id = r.session_id';
    // Pages outnumber visits (2.5 a visit in the bench): the selected visits first, each seeking its pages by the
    // key's prefix, rather than every page of the range seeking its visit (CROSS JOIN keeps SQLite to that order;
    // the page breakdown filtered by browser at a million events: 331 → 191 ms of CPU). The sparser children keep
    // the planner's order.
    if (table === 'visit_pages')
      return `FROM visits v CROSS JOIN ${table} r ON ${on} WHERE ${where} AND r.site_id = ? AND r.start_ts >= ? AND r.start_ts < ?`;
    return `FROM ${table} r JOIN visits v ON ${on} WHERE ${where} AND r.site_id = ? AND r.start_ts >= ? AND r.start_ts < ?`;
  }
  params.push(siteId, query.from, query.to);
  return `FROM ${table} r${index ? ` INDEXED BY ${index}` : ''} WHERE r.site_id = ? AND r.start_ts >= ? AND r.start_ts < ?${botsSql('r', query)}`;
}

/**
 * Covering indexes in the order a panel groups by (receiver migration 006, D1 0009): read whole, they give a
 * panel its rows already grouped, each entry short, where the range scan of the rollup's key reads whole rows and
 * sorts them (at a million events 3–5× slower). Each costs the writes of its table.
 */
const GROUPED_INDEX = {
  // With each page's scroll and engaged time too (receiver migration 008, D1 0011): the scroll and engaged-time
  // panels group by path as well.
  page: 'visit_pages_by_path',
  source: 'visits_by_source',
  country: 'visits_by_country',
  device: 'visits_by_device',
  // The other breakdowns but UTM (receiver migration 009, D1 0012): a UTM breakdown groups only the visits with a
  // campaign, which the range scan reads and sorts cheaply.
  entry_page: 'visits_by_entry_page',
  exit_page: 'visits_by_exit_page',
  referrer: 'visits_by_referrer',
  browser: 'visits_by_browser',
  os: 'visits_by_os',
  goals: 'visit_types_by_type',
  // By kind, then URL (008 / 0011): the outbound-link and download panels seek their kind's entries.
  links: 'visit_links_by_url',
  // Ordered by metric, then value (008 / 0011): each metric's 75th percentile is a rank in the index's order,
  // counted in SQL, where the range scan handed every report's value to JavaScript to sort.
  vitals: 'visit_vitals_by_name',
  // Only the sequence blocks with a gap (a partial index, 008 / 0011): lost events are read from the few blocks
  // that have them, each joined to its visit, instead of every visit of the range joined to its blocks.
  completeness: 'visit_seq_gaps',
} as const;

/** How a panel reads its rollup (`panelPlan`). */
export interface PanelPlan {
  /** Through the grouped indexes: they are read whole, which pays when the range holds most of the site's visits. */
  grouped: boolean;
  /**
   * Whether the site has identified anyone (`visitor_users`): false lets every panel count the bare visitor key.
   * Absent when not known: the panel then decides per query, as `personSql` does.
   */
  identified?: boolean;
}

/** The plan of a panel read without the site's span known: the rollup's key, the range alone. */
export const RANGE_PLAN: PanelPlan = { grouped: false };

/**
 * The plan for a request, from `rangeVisitsSql`'s row (the site's first and last visit start): the grouped indexes
 * when the request has no filters and its range spans at least a third of the time the site's visits span (a
 * grouped index is read whole; the range scan reads only the range but sorts it, about 3–5× the cost per row).
 */
export function panelPlan(query: StatsQuery, span: { lo?: unknown; hi?: unknown; identified?: unknown } | undefined): PanelPlan {
  const identified = span?.identified == null ? {} : { identified: Number(span.identified) !== 0 };
  if (Object.keys(query.filters).length > 0 || span?.lo == null || span.hi == null) return { ...RANGE_PLAN, ...identified };
  const lo = Number(span.lo);
  const hi = Number(span.hi) + 1;
  const covered = Math.min(query.to, hi) - Math.max(query.from, lo);
  return { grouped: hi - lo <= DAY_MS || covered * 3 >= hi - lo, ...identified };
}

const ORDER = (second: string, key: string) => `ORDER BY visitors DESC, ${second} DESC, ${key} IS NULL, ${key}`;

/**
 * How many visits start in a request's range, counted no further than `limit` (a range scan of the `(site_id,
 * start_ts)` key): what a rollup panel would read, checked against the stats budget before the panel's query runs.
 */
export function rangeVisitsSql(siteId: string, query: StatsQuery, limit: number): SqlStatement {
  // With the site's first and last visit start (two seeks of the key) and whether it has identified anyone (one
  // seek), which `panelPlan` chooses a panel's reads by.
  return {
    sql: `SELECT (SELECT count(*) FROM (SELECT 1 FROM visits WHERE site_id = ? AND start_ts >= ? AND start_ts < ? LIMIT ?)) AS n,
      (SELECT min(start_ts) FROM visits WHERE site_id = ?) AS lo, (SELECT max(start_ts) FROM visits WHERE site_id = ?) AS hi,
      EXISTS (SELECT 1 FROM visitor_users WHERE site_id = ?) AS identified`,
    params: [siteId, query.from, query.to, limit, siteId, siteId, siteId],
  };
}

/** The query of a panel (all but `live`, which reads the last minutes of raw events). */
export function panelSql(panel: RollupPanel, siteId: string, query: StatsQuery, plan: PanelPlan = RANGE_PLAN): SqlStatement {
  const params: SqlStatement['params'] = [];
  const indexed = (name: keyof typeof GROUPED_INDEX) => (plan.grouped ? GROUPED_INDEX[name] : undefined);
  switch (panel) {
    case 'summary':
      return {
        sql: `SELECT ${visitors('v', siteId, plan)} AS visitors, count(*) AS visits, coalesce(sum(v.pageviews), 0) AS pageviews,
          coalesce(sum(v.bounce), 0) AS bounces, coalesce(sum(v.duration_s), 0) AS duration_s
          FROM visits v WHERE ${visitWhere(siteId, query, params)}`,
        params,
      };
    case 'timeseries': {
      // Each bucket counted on its own range of the key: grouping the range by bucket sorted all its visits into a
      // temporary B-tree (SQLite does not know the bucket follows the key's order), at a million events 110 → 60 ms
      // of CPU for a 30-day view. The contract bounds the buckets (hourly over 31 days at most: 745; daily over 400).
      // The figures come as one JSON array per bucket (a scalar subquery gives one value); a bucket without visits
      // is left out, as a grouped query leaves it.
      const size = query.interval === 'hour' ? 3_600_000 : 86_400_000;
      params.push(Math.floor(query.from / size) * size, query.to);
      const where = visitWhere(siteId, query, params, { start: 'b.t', size });
      return {
        sql: `WITH RECURSIVE b(t) AS (SELECT ? UNION ALL SELECT t + ${size} FROM b WHERE t + ${size} < ?)
          SELECT b.t AS t, (SELECT json_array(${visitors('v', siteId, plan)}, count(*), coalesce(sum(v.pageviews), 0))
            FROM visits v WHERE ${where}) AS figures FROM b ORDER BY b.t`,
        params,
      };
    }
    case 'breakdown': {
      if (query.by === 'page') {
        const from = childFrom('visit_pages', siteId, query, params, indexed('page'));
        params.push(query.limit);
        return {
          sql: `SELECT r.path AS value, ${visitors('r', siteId, plan)} AS visitors, count(*) AS visits, sum(r.views) AS pageviews
            ${from} AND r.views > 0 GROUP BY r.path ${ORDER('pageviews', 'value')} LIMIT ?`,
          params,
        };
      }
      const where = visitWhere(siteId, query, params);
      const skipNull = OPTIONAL_DIMENSIONS.includes(query.by) ? ` AND v.${query.by} IS NOT NULL` : '';
      const index = query.by in GROUPED_INDEX ? indexed(query.by as keyof typeof GROUPED_INDEX) : undefined;
      params.push(query.limit);
      return {
        sql: `SELECT v.${query.by} AS value, ${visitors('v', siteId, plan)} AS visitors, count(*) AS visits, sum(v.pageviews) AS pageviews
          FROM visits v${index ? ` INDEXED BY ${index}` : ''} WHERE ${where}${skipNull} GROUP BY v.${query.by} ${ORDER('pageviews', 'value')} LIMIT ?`,
        params,
      };
    }
    case 'goals': {
      const from = childFrom('visit_types', siteId, query, params, indexed('goals'));
      params.push(...BUILTIN_TYPES, query.limit);
      return {
        sql: `SELECT r.type AS name, ${visitors('r', siteId, plan)} AS visitors, sum(r.events) AS events
          ${from} AND r.type NOT IN (${BUILTIN_TYPES.map(() => '?').join(', ')}) GROUP BY r.type ${ORDER('events', 'name')} LIMIT ?`,
        params,
      };
    }
    case 'funnel': {
      const pages = query.steps.filter((step) => step.kind === 'page').map((step) => step.value);
      const types = query.steps.filter((step) => step.kind === 'event').map((step) => step.value);
      const parts: string[] = [];
      if (pages.length > 0) {
        const from = childFrom('visit_pages', siteId, query, params);
        params.push(...pages);
        parts.push(
          `SELECT r.session_id AS visit, 'page' AS kind, r.path AS value, r.times AS times ${from} AND r.views > 0 AND r.path IN (${pages.map(() => '?').join(', ')})`,
        );
      }
      if (types.length > 0) {
        const from = childFrom('visit_types', siteId, query, params);
        params.push(...types);
        parts.push(
          `SELECT r.session_id AS visit, 'event' AS kind, r.type AS value, r.times AS times ${from} AND r.type IN (${types.map(() => '?').join(', ')})`,
        );
      }
      const first = query.steps[0];
      if (parts.length === 0 || first === undefined) return { sql: 'SELECT NULL AS visit WHERE 0', params };
      if (query.steps.length === 1) return { sql: parts.join(' UNION ALL '), params };
      // Only the visits that reached the first step can reach any other: the hits of the rest are left in SQL
      // (at a million events 54,832 rows → 10,039 for the bench's three steps, 514 → 225 ms of CPU).
      params.push(first.kind, first.value);
      return {
        sql: `WITH f AS MATERIALIZED (${parts.join(' UNION ALL ')})
          SELECT f.visit AS visit, f.kind AS kind, f.value AS value, f.times AS times FROM f
          WHERE f.visit IN (SELECT visit FROM f WHERE kind = ? AND value = ?)`,
        params,
      };
    }
    case 'vitals': {
      const index = indexed('vitals');
      if (index === undefined)
        return { sql: `SELECT r.name AS name, r.value AS value ${childFrom('visit_vitals', siteId, query, params)}`, params };
      // Each metric's count, then the value at rank ⌈0.75 n⌉ (integer (3n + 3) / 4) in the index's value order:
      // `vitalRows`' nearest rank, with nothing sorted and no report handed out.
      const counted = childFrom('visit_vitals', siteId, query, params, index);
      const ranked = childFrom('visit_vitals', siteId, query, params, index);
      return {
        sql: `WITH c AS MATERIALIZED (SELECT r.name AS name, count(*) AS n, (3 * count(*) + 3) / 4 AS k ${counted} GROUP BY r.name)
          SELECT c.name AS name, x.value AS p75, c.n AS samples
          FROM (SELECT r.name AS name, r.value AS value, row_number() OVER (PARTITION BY r.name ORDER BY r.value) AS rn ${ranked}) x
          JOIN c ON c.name = x.name WHERE x.rn = c.k`,
        params,
      };
    }
    case 'goal_props': {
      if (query.goal === undefined || query.prop === undefined) return { sql: NOTHING, params };
      const from = childFrom('visit_goal_props', siteId, query, params);
      params.push(query.goal, query.prop, query.limit);
      return {
        sql: `SELECT r.value AS value, ${visitors('r', siteId, plan)} AS visitors, sum(r.events) AS events
          ${from} AND r.name = ? AND r.prop = ? GROUP BY r.value ${ORDER('events', 'value')} LIMIT ?`,
        params,
      };
    }
    case 'outbound':
    case 'downloads': {
      const from = childFrom('visit_links', siteId, query, params, indexed('links'));
      params.push(panel === 'outbound' ? 'outbound' : 'download', query.limit);
      return {
        sql: `SELECT r.url AS url, ${visitors('r', siteId, plan)} AS visitors, sum(r.events) AS events
          ${from} AND r.kind = ? GROUP BY r.url ${ORDER('events', 'url')} LIMIT ?`,
        params,
      };
    }
    case 'scroll':
    case 'engagement': {
      const from = childFrom('visit_pages', siteId, query, params, indexed('page'));
      params.push(query.limit);
      return {
        sql: `SELECT r.path AS path, count(*) AS visits, sum(r.scroll >= 25) AS reached_25, sum(r.scroll >= 50) AS reached_50,
          sum(r.scroll >= 75) AS reached_75, sum(r.scroll >= 100) AS reached_100, sum(r.engaged_ms) AS engaged_ms
          ${from} AND r.views > 0 GROUP BY r.path ORDER BY visits DESC, path LIMIT ?`,
        params,
      };
    }
    case 'revenue': {
      const from = childFrom('visit_revenue', siteId, query, params);
      params.push(query.limit);
      return {
        sql: `SELECT r.name AS name, r.currency AS currency, ${visitors('r', siteId, plan)} AS visitors, sum(r.events) AS events,
          sum(r.micros) AS micros ${from} GROUP BY r.name, r.currency ORDER BY name, currency LIMIT ?`,
        params,
      };
    }
    case 'completeness': {
      const index = indexed('completeness');
      const gap = 'q.max_seq - q.block * 1000 - q.events';
      // Through the partial index of the blocks with a gap, each looked up in `visits` (a block without a visit,
      // of a session of drop reports only, is no loss of a visit); blocks without a gap add nothing to a sum.
      if (index) params.push(siteId);
      const where = visitWhere(siteId, query, params);
      params.push(siteId, query.from, query.to);
      const from = index
        ? `FROM visit_seq q INDEXED BY ${index} CROSS JOIN visits v ON v.site_id = q.site_id AND v.session_id = q.session_id
          WHERE q.site_id = ? AND ${gap} <> 0 AND ${where}`
        : `FROM visits v JOIN visit_seq q ON q.site_id = v.site_id AND q.session_id = v.session_id WHERE ${where}`;
      return {
        sql: `SELECT 'lost' AS kind, (v.start_ts / ${DAY_MS}) * ${DAY_MS} AS t, NULL AS reason, sum(${gap}) AS n
          ${from} GROUP BY 2 HAVING n <> 0
          UNION ALL
          SELECT 'dropped', (d.ts / ${DAY_MS}) * ${DAY_MS}, d.reason, sum(d.dropped) FROM drop_reports d
          WHERE d.site_id = ? AND d.ts >= ? AND d.ts < ? GROUP BY 2, 3`,
        params,
      };
    }
  }
}

/** The panel's answer from the rows of its query. */
export function panelAnswer<P extends RollupPanel>(panel: P, query: StatsQuery, rows: readonly Row[]): StatsData[P] {
  const int = (value: unknown) => Number(value ?? 0);
  const answers: { [K in RollupPanel]: () => StatsData[K] } = {
    summary: () => {
      const row = rows[0] ?? {};
      return {
        visitors: int(row.visitors),
        visits: int(row.visits),
        pageviews: int(row.pageviews),
        bounces: int(row.bounces),
        duration_s: int(row.duration_s),
      };
    },
    timeseries: () => ({ interval: query.interval, points: timeseriesPoints(rows) }),
    breakdown: () => ({
      by: query.by,
      rows: rows.map((row) => ({
        value: (row.value ?? null) as string | null,
        visitors: int(row.visitors),
        visits: int(row.visits),
        pageviews: int(row.pageviews),
      })),
    }),
    goals: () => ({ rows: rows.map((row) => ({ name: String(row.name), visitors: int(row.visitors), events: int(row.events) })) }),
    funnel: () => ({ steps: funnelSteps(query, rows) }),
    vitals: () => ({ rows: vitalRows(rows) }),
    goal_props: () => ({
      goal: query.goal ?? null,
      prop: query.prop ?? null,
      rows: rows.map((row) => ({ value: String(row.value), visitors: int(row.visitors), events: int(row.events) })),
    }),
    outbound: () => ({ rows: linkRows(rows) }),
    downloads: () => ({ rows: linkRows(rows) }),
    scroll: () => ({
      rows: rows.map((row) => ({
        path: String(row.path),
        visits: int(row.visits),
        reached_25: int(row.reached_25),
        reached_50: int(row.reached_50),
        reached_75: int(row.reached_75),
        reached_100: int(row.reached_100),
      })),
    }),
    engagement: () => ({ rows: rows.map((row) => ({ path: String(row.path), visits: int(row.visits), engaged_ms: int(row.engaged_ms) })) }),
    revenue: () => ({
      rows: rows.map((row) => ({
        name: String(row.name),
        currency: String(row.currency),
        visitors: int(row.visitors),
        events: int(row.events),
        amount: int(row.micros) / 1_000_000,
      })),
    }),
    completeness: () => ({ days: completenessDays(rows) }),
  };
  return answers[panel]() as StatsData[P];
}

/** Each step's visits: a visit reaches a step with a hit at or after the time it first reached the previous one. */
function funnelSteps(query: StatsQuery, rows: readonly Row[]): FunnelRow[] {
  const visits = new Map<string, Map<string, number[]>>();
  for (const row of rows) {
    let hits = visits.get(String(row.visit));
    if (!hits) {
      hits = new Map();
      visits.set(String(row.visit), hits);
    }
    hits.set(`${row.kind}\u0000${row.value}`, String(row.times).split(',').map(Number));
  }
  const reached = query.steps.map(() => 0);
  for (const hits of visits.values()) {
    let since = Number.NEGATIVE_INFINITY;
    for (const [index, step] of query.steps.entries()) {
      let hit = Number.POSITIVE_INFINITY;
      for (const t of hits.get(`${step.kind}\u0000${step.value}`) ?? []) if (t >= since && t < hit) hit = t;
      if (hit === Number.POSITIVE_INFINITY) break;
      since = hit;
      reached[index] = (reached[index] ?? 0) + 1;
    }
  }
  return query.steps.map((step, index) => ({ ...step, visits: reached[index] ?? 0 }));
}

/** The timeseries' points from its buckets' figures (`[visitors, visits, pageviews]`), the empty ones left out. */
function timeseriesPoints(rows: readonly Row[]): StatsPoint[] {
  const points: StatsPoint[] = [];
  for (const row of rows) {
    const [visitors = 0, visits = 0, pageviews = 0] = JSON.parse(String(row.figures)) as number[];
    if (visits > 0) points.push({ t: Number(row.t), visitors, visits, pageviews });
  }
  return points;
}

function linkRows(rows: readonly Row[]): LinkRow[] {
  return rows.map((row) => ({ url: String(row.url), visitors: Number(row.visitors), events: Number(row.events) }));
}

function completenessDays(rows: readonly Row[]): CompletenessDay[] {
  const days = new Map<number, CompletenessDay>();
  for (const row of rows) {
    const t = Number(row.t);
    let day = days.get(t);
    if (!day) {
      day = { t, lost: 0, dropped: {} };
      days.set(t, day);
    }
    if (row.kind === 'lost') day.lost += Number(row.n);
    else day.dropped[String(row.reason)] = Number(row.n);
  }
  return [...days.values()].sort((a, b) => a.t - b.t);
}

function vitalRows(rows: readonly Row[]): VitalRow[] {
  // The grouped plan counted each metric's percentile in SQL (one row per metric).
  if (rows[0] !== undefined && 'p75' in rows[0])
    return rows
      .map((row) => ({ name: String(row.name), p75: Number(row.p75), samples: Number(row.samples) }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  const values = new Map<string, number[]>();
  for (const row of rows) {
    const name = String(row.name);
    const list = values.get(name);
    if (list) list.push(Number(row.value));
    else values.set(name, [Number(row.value)]);
  }
  return [...values]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, list]) => {
      list.sort((a, b) => a - b);
      return { name, p75: list[Math.ceil(list.length * 0.75) - 1] as number, samples: list.length };
    });
}
