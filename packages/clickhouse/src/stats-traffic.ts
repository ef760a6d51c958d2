import { OPTIONAL_DIMENSIONS, type StatsData, type StatsQuery } from '@trailmark/protocol';
import { binds, COLUMN, n, ORDER, PERSON, visitsWhere } from './stats-sql.js';
import type { ChStore } from './store.js';

// The traffic panels (summary, timeseries, breakdown, goals, funnel, vitals) over the `visits` table alone: one row
// per visit, its pages, vitals, funnel marks and goal events in Nested columns, read with FINAL (each visit's newest
// row). Goals unnest the visit's goal events (`goals`, migration 07), far fewer than its funnel marks.

export async function summary(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['summary']> {
  const b = binds();
  const [row] = await store.query(
    `SELECT uniqExact(${PERSON}) AS nv, count() AS ns, sum(pageviews) AS np, countIf(bounce = 1) AS nb, sum(duration_s) AS nd
     ${visitsWhere(siteId, query, b, { persons: true })}`,
    b.values,
  );
  return { visitors: n(row?.nv), visits: n(row?.ns), pageviews: n(row?.np), bounces: n(row?.nb), duration_s: n(row?.nd) };
}

export async function timeseries(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['timeseries']> {
  const b = binds();
  const size = b.add(query.interval === 'hour' ? 3_600_000 : 86_400_000, 'Int64');
  const rows = await store.query(
    `SELECT intDiv(start_ms, ${size}) * ${size} AS t, uniqExact(${PERSON}) AS nv, count() AS ns, sum(pageviews) AS np
     ${visitsWhere(siteId, query, b, { persons: true })} GROUP BY t ORDER BY t`,
    b.values,
  );
  return {
    interval: query.interval,
    points: rows.map((row) => ({ t: n(row.t), visitors: n(row.nv), visits: n(row.ns), pageviews: n(row.np) })),
  };
}

export async function breakdown(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['breakdown']> {
  const b = binds();
  let sql: string;
  if (query.by === 'page') {
    sql = `SELECT path AS value, uniqExact(${PERSON}) AS nv, count() AS ns, sum(views) AS np
      ${visitsWhere(siteId, query, b, { arrayJoin: 'ARRAY JOIN pages.path AS path, pages.views AS views', persons: true, personsFirst: true })}
      GROUP BY value ${ORDER('np', 'value')} LIMIT ${b.add(query.limit, 'UInt32')}`;
  } else {
    const column = COLUMN[query.by];
    const skipNull = OPTIONAL_DIMENSIONS.includes(query.by) ? ` AND ${column} IS NOT NULL` : '';
    sql = `SELECT ${column} AS value, uniqExact(${PERSON}) AS nv, count() AS ns, sum(pageviews) AS np
      ${visitsWhere(siteId, query, b, { persons: true })}${skipNull}
      GROUP BY value ${ORDER('np', 'value')} LIMIT ${b.add(query.limit, 'UInt32')}`;
  }
  const rows = await store.query<{ value: string | null; nv: unknown; ns: unknown; np: unknown }>(sql, b.values);
  return {
    by: query.by,
    rows: rows.map((row) => ({ value: row.value ?? null, visitors: n(row.nv), visits: n(row.ns), pageviews: n(row.np) })),
  };
}

export async function goals(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['goals']> {
  const b = binds();
  const rows = await store.query<{ name: string; nv: unknown; ne: unknown }>(
    `SELECT name, uniqExact(${PERSON}) AS nv, count() AS ne
     ${visitsWhere(siteId, query, b, { arrayJoin: 'ARRAY JOIN goals.name AS name', persons: true })}
     GROUP BY name ${ORDER('ne', 'name')} LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
  return { rows: rows.map((row) => ({ name: row.name, visitors: n(row.nv), events: n(row.ne) })) };
}

export async function funnel(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['funnel']> {
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

export async function vitals(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['vitals']> {
  const b = binds();
  // p75 by nearest rank over each visit's last report per metric id, as `vitalsOf`.
  const rows = await store.query<{ name: string; p75: number; samples: unknown }>(
    `SELECT name, arraySort(groupArray(value)) AS sorted, length(sorted) AS samples,
            sorted[toUInt64(ceil(length(sorted) * 0.75))] AS p75
     ${visitsWhere(siteId, query, b, { arrayJoin: 'ARRAY JOIN vitals.name AS name, vitals.value AS value' })}
     GROUP BY name ORDER BY name`,
    b.values,
  );
  return { rows: rows.map((row) => ({ name: row.name, p75: Number(row.p75), samples: n(row.samples) })) };
}
