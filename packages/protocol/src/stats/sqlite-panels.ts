import type { CompletenessDay, FunnelRow, LinkRow, StatsData, StatsDimension, StatsPanel, StatsQuery, VitalRow } from './contract.js';
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

/** The traffic condition on a rollup's `bot` column. */
function botsSql(alias: string, query: StatsQuery): string {
  if (query.bots === 'include') return '';
  return ` AND ${alias}.bot IS ${query.bots === 'only' ? 'NOT ' : ''}NULL`;
}

/** The conditions on `visits v` for the site's visits starting in range that are of the traffic asked for and pass every filter. */
function visitWhere(siteId: string, query: StatsQuery, params: SqlStatement['params']): string {
  params.push(siteId, query.from, query.to);
  let where = `v.site_id = ? AND v.start_ts >= ? AND v.start_ts < ?${botsSql('v', query)}`;
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

/** `FROM <table> r …` over a child rollup's rows of the selected visits: joined to `visits` only when filtered. */
function childFrom(table: string, siteId: string, query: StatsQuery, params: SqlStatement['params']): string {
  if (Object.keys(query.filters).length > 0) {
    return `FROM ${table} r JOIN visits v ON v.site_id = r.site_id AND v.start_ts = r.start_ts AND v.session_id = r.session_id WHERE ${visitWhere(siteId, query, params)}`;
  }
  params.push(siteId, query.from, query.to);
  return `FROM ${table} r WHERE r.site_id = ? AND r.start_ts >= ? AND r.start_ts < ?${botsSql('r', query)}`;
}

const ORDER = (second: string, key: string) => `ORDER BY visitors DESC, ${second} DESC, ${key} IS NULL, ${key}`;

/**
 * How many visits start in a request's range, counted no further than `limit` (a range scan of the `(site_id,
 * start_ts)` key): what a rollup panel would read, checked against the stats budget before the panel's query runs.
 */
export function rangeVisitsSql(siteId: string, query: StatsQuery, limit: number): SqlStatement {
  return {
    sql: 'SELECT count(*) AS n FROM (SELECT 1 FROM visits WHERE site_id = ? AND start_ts >= ? AND start_ts < ? LIMIT ?)',
    params: [siteId, query.from, query.to, limit],
  };
}

/** The query of a panel (all but `live`, which reads the last minutes of raw events). */
export function panelSql(panel: RollupPanel, siteId: string, query: StatsQuery): SqlStatement {
  const params: SqlStatement['params'] = [];
  switch (panel) {
    case 'summary':
      return {
        sql: `SELECT count(DISTINCT ${personSql('v', siteId)}) AS visitors, count(*) AS visits, coalesce(sum(v.pageviews), 0) AS pageviews,
          coalesce(sum(v.bounce), 0) AS bounces, coalesce(sum(v.duration_s), 0) AS duration_s
          FROM visits v WHERE ${visitWhere(siteId, query, params)}`,
        params,
      };
    case 'timeseries': {
      const size = query.interval === 'hour' ? 3_600_000 : 86_400_000;
      return {
        sql: `SELECT (v.start_ts / ${size}) * ${size} AS t, count(DISTINCT ${personSql('v', siteId)}) AS visitors, count(*) AS visits,
          sum(v.pageviews) AS pageviews FROM visits v WHERE ${visitWhere(siteId, query, params)} GROUP BY 1 ORDER BY 1`,
        params,
      };
    }
    case 'breakdown': {
      if (query.by === 'page') {
        const from = childFrom('visit_pages', siteId, query, params);
        params.push(query.limit);
        return {
          sql: `SELECT r.path AS value, count(DISTINCT ${personSql('r', siteId)}) AS visitors, count(*) AS visits, sum(r.views) AS pageviews
            ${from} AND r.views > 0 GROUP BY r.path ${ORDER('pageviews', 'value')} LIMIT ?`,
          params,
        };
      }
      const where = visitWhere(siteId, query, params);
      const skipNull = OPTIONAL_DIMENSIONS.includes(query.by) ? ` AND v.${query.by} IS NOT NULL` : '';
      params.push(query.limit);
      return {
        sql: `SELECT v.${query.by} AS value, count(DISTINCT ${personSql('v', siteId)}) AS visitors, count(*) AS visits, sum(v.pageviews) AS pageviews
          FROM visits v WHERE ${where}${skipNull} GROUP BY v.${query.by} ${ORDER('pageviews', 'value')} LIMIT ?`,
        params,
      };
    }
    case 'goals': {
      const from = childFrom('visit_types', siteId, query, params);
      params.push(...BUILTIN_TYPES, query.limit);
      return {
        sql: `SELECT r.type AS name, count(DISTINCT ${personSql('r', siteId)}) AS visitors, sum(r.events) AS events
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
      return { sql: parts.length > 0 ? parts.join(' UNION ALL ') : 'SELECT NULL AS visit WHERE 0', params };
    }
    case 'vitals':
      return { sql: `SELECT r.name AS name, r.value AS value ${childFrom('visit_vitals', siteId, query, params)}`, params };
    case 'goal_props': {
      if (query.goal === undefined || query.prop === undefined) return { sql: NOTHING, params };
      const from = childFrom('visit_goal_props', siteId, query, params);
      params.push(query.goal, query.prop, query.limit);
      return {
        sql: `SELECT r.value AS value, count(DISTINCT ${personSql('r', siteId)}) AS visitors, sum(r.events) AS events
          ${from} AND r.name = ? AND r.prop = ? GROUP BY r.value ${ORDER('events', 'value')} LIMIT ?`,
        params,
      };
    }
    case 'outbound':
    case 'downloads': {
      const from = childFrom('visit_links', siteId, query, params);
      params.push(panel === 'outbound' ? 'outbound' : 'download', query.limit);
      return {
        sql: `SELECT r.url AS url, count(DISTINCT ${personSql('r', siteId)}) AS visitors, sum(r.events) AS events
          ${from} AND r.kind = ? GROUP BY r.url ${ORDER('events', 'url')} LIMIT ?`,
        params,
      };
    }
    case 'scroll':
    case 'engagement': {
      const from = childFrom('visit_pages', siteId, query, params);
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
        sql: `SELECT r.name AS name, r.currency AS currency, count(DISTINCT ${personSql('r', siteId)}) AS visitors, sum(r.events) AS events,
          sum(r.micros) AS micros ${from} GROUP BY r.name, r.currency ORDER BY name, currency LIMIT ?`,
        params,
      };
    }
    case 'completeness': {
      const where = visitWhere(siteId, query, params);
      params.push(siteId, query.from, query.to);
      return {
        sql: `SELECT 'lost' AS kind, (v.start_ts / ${DAY_MS}) * ${DAY_MS} AS t, NULL AS reason, sum(q.max_seq - q.block * 1000 - q.events) AS n
          FROM visits v JOIN visit_seq q ON q.site_id = v.site_id AND q.session_id = v.session_id WHERE ${where} GROUP BY 2 HAVING n <> 0
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
    timeseries: () => ({
      interval: query.interval,
      points: rows.map((row) => ({ t: int(row.t), visitors: int(row.visitors), visits: int(row.visits), pageviews: int(row.pageviews) })),
    }),
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
