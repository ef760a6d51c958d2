import { BUILTIN_TYPES, type StatsData, type StatsQuery } from '@trailmark/protocol';
import { binds, jsNumberText, n, PERSON, visitsWhere } from './stats-sql.js';
import type { ChStore } from './store.js';

// The event reports (goal properties, outbound links, downloads, revenue) in ClickHouse SQL, from the rows of the
// selected visits: their goal events with their props' JSON (`goals`) and their link clicks per URL (`links`), both
// kept on the visit row by the loader (migration 07), counted against the visit's person. The definitions are
// `goalPropsOf`, `linksOf` and `revenueReport` in @trailmark/protocol.

const NUMBER = `('Int64', 'UInt64', 'Double')`;
const GOALS = 'ARRAY JOIN goals.name AS goal, goals.props AS props';

/** A goal's events by the value of one of its properties (strings as they are; numbers and booleans as text). */
export async function goalProps(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['goal_props']> {
  const { goal, prop } = query;
  const head = { goal: goal ?? null, prop: prop ?? null };
  if (goal === undefined || prop === undefined || BUILTIN_TYPES.includes(goal)) return { ...head, rows: [] };
  const b = binds();
  const name = b.add(prop, 'String');
  // The value's kind rides along: a number's text is rewritten as JavaScript writes it.
  const rows = await store.query<{ value: string; kind: string; nv: unknown; ne: unknown }>(
    `WITH JSONType(props, ${name}) AS value_kind
     SELECT multiIf(value_kind = 'String', JSONExtractString(props, ${name}),
         value_kind IN ${NUMBER} OR value_kind = 'Bool', JSONExtractRaw(props, ${name}), NULL) AS value,
       any(value_kind) AS kind, uniqExact(${PERSON}) AS nv, count() AS ne
     ${visitsWhere(siteId, query, b, { arrayJoin: GOALS, persons: true })} AND goal = ${b.add(goal, 'String')} AND value IS NOT NULL
     GROUP BY value ORDER BY nv DESC, ne DESC, value ASC LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
  return {
    ...head,
    rows: rows.map((row) => ({
      value: ['Int64', 'UInt64', 'Double'].includes(row.kind) ? jsNumberText(row.value) : row.value,
      visitors: n(row.nv),
      events: n(row.ne),
    })),
  };
}

/** Clicks on outbound links (`outbound`) or on downloads (`download`), by URL. */
export async function links(
  store: ChStore,
  siteId: string,
  query: StatsQuery,
  kind: 'outbound' | 'download',
): Promise<{ rows: StatsData['outbound']['rows'] }> {
  const b = binds();
  const rows = await store.query<{ url: string; nv: unknown; ne: unknown }>(
    `SELECT url, uniqExact(${PERSON}) AS nv, sum(clicks) AS ne
     ${visitsWhere(siteId, query, b, { arrayJoin: 'ARRAY JOIN links.kind AS kind, links.url AS url, links.clicks AS clicks', persons: true })}
       AND kind = ${b.add(kind, 'String')}
     GROUP BY url ORDER BY nv DESC, ne DESC, url ASC LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
  return { rows: rows.map((row) => ({ url: row.url, visitors: n(row.nv), events: n(row.ne) })) };
}

/**
 * Revenue per goal and currency (`props.revenue = { amount, currency }`, checked at admission; checked again here
 * as `revenueOf` does). Amounts are summed as integer millionths (`revenueMicros`), so any order gives one total.
 */
export async function revenue(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['revenue']> {
  const b = binds();
  const rows = await store.query<{ name: string; currency: string; nv: unknown; ne: unknown; micros: unknown }>(
    `WITH JSONExtractRaw(props, 'revenue') AS revenue, JSONExtractFloat(revenue, 'amount') AS amount
     SELECT goal AS name, JSONExtractString(revenue, 'currency') AS currency, uniqExact(${PERSON}) AS nv, count() AS ne, sum(toInt64(floor(amount * 1000000 + 0.5))) AS micros
     ${visitsWhere(siteId, query, b, { arrayJoin: GOALS, persons: true })}
       AND JSONType(props, 'revenue') = 'Object' AND length(JSONExtractKeys(revenue)) = 2
       AND JSONType(revenue, 'amount') IN ${NUMBER} AND abs(amount) < 1e12
       AND JSONType(revenue, 'currency') = 'String' AND match(currency, '^[A-Z]{3}$')
     GROUP BY name, currency ORDER BY name ASC, currency ASC LIMIT ${b.add(query.limit, 'UInt32')}`,
    b.values,
  );
  return {
    rows: rows.map((row) => ({
      name: row.name,
      currency: row.currency,
      visitors: n(row.nv),
      events: n(row.ne),
      amount: n(row.micros) / 1_000_000,
    })),
  };
}
