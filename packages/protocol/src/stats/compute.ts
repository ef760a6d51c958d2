import type { TrailmarkEvent } from '../event.js';
import { MAX_FUTURE_SKEW_MS } from '../limits.js';
import type {
  FunnelRow,
  GoalRow,
  LiveCount,
  StatsData,
  StatsPanel,
  StatsPoint,
  StatsQuery,
  StatsRow,
  StatsTotals,
  VitalRow,
} from './contract.js';
import { LIVE_WINDOW_MS, OPTIONAL_DIMENSIONS } from './contract.js';
import type { Identities } from './persons.js';
import { completenessOf, engagementOf, goalPropsOf, linksOf, revenueReport, scrollOf } from './reports.js';
import { BUILTIN_TYPES, type StatsEvent, selectVisits, VISIT_MARGIN_MS, type Visit, visitsOf } from './visits.js';

/**
 * The stats panels computed in JavaScript over visits (the reference receiver and the D1 Worker answer with
 * these; the Postgres backend answers the same in SQL, and the tests hold the two to each other).
 */

/** Totals of a set of visits. */
export function totalsOf(visits: readonly Visit[]): StatsTotals {
  return {
    visitors: new Set(visits.map((visit) => visit.person)).size,
    visits: visits.length,
    pageviews: visits.reduce((sum, visit) => sum + visit.pageviews, 0),
    bounces: visits.filter((visit) => visit.bounce).length,
    duration_s: visits.reduce((sum, visit) => sum + Math.round((visit.end - visit.start) / 1000), 0),
  };
}

/** Visitors, visits and pageviews per UTC hour or day of the visits' start. */
export function timeseriesOf(visits: readonly Visit[], query: StatsQuery): StatsData['timeseries'] {
  const size = query.interval === 'hour' ? 3_600_000 : 86_400_000;
  const buckets = new Map<number, Visit[]>();
  for (const visit of visits) {
    const t = Math.floor(visit.start / size) * size;
    // `push`, never a copy: copying a bucket per visit was quadratic (8 s at 20,000 visits, issue 27).
    const bucket = buckets.get(t);
    if (bucket) bucket.push(visit);
    else buckets.set(t, [visit]);
  }
  const points: StatsPoint[] = [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([t, list]) => {
      const { visitors, visits: count, pageviews } = totalsOf(list);
      return { t, visitors, visits: count, pageviews };
    });
  return { interval: query.interval, points };
}

const byFigures = <T extends { visitors: number }>(key: (row: T) => string | null, second: (row: T) => number) => {
  return (a: T, b: T) => {
    const ka = key(a);
    const kb = key(b);
    // Unknown values sort after known ones; strings compare by code unit (the SQL uses COLLATE "C").
    return b.visitors - a.visitors || second(b) - second(a) || (ka === kb ? 0 : ka === null ? 1 : kb === null ? -1 : ka < kb ? -1 : 1);
  };
};

/** The top values of a dimension. */
export function breakdownOf(visits: readonly Visit[], query: StatsQuery): StatsData['breakdown'] {
  const groups = new Map<string | null, { visitors: Set<string>; visits: Set<string>; pageviews: number }>();
  const add = (value: string | null, visit: Visit, pageviews: number) => {
    let group = groups.get(value);
    if (!group) {
      group = { visitors: new Set(), visits: new Set(), pageviews: 0 };
      groups.set(value, group);
    }
    group.visitors.add(visit.person);
    group.visits.add(visit.id);
    group.pageviews += pageviews;
  };
  for (const visit of visits) {
    if (query.by === 'page') {
      for (const event of visit.events) if (event.type === 'pageview') add(event.path ?? null, visit, 1);
    } else {
      add(visit.dims[query.by], visit, visit.pageviews);
    }
  }
  const skipNull = OPTIONAL_DIMENSIONS.includes(query.by);
  const rows: StatsRow[] = [...groups]
    .filter(([value]) => !(skipNull && value === null))
    .map(([value, group]) => ({ value, visitors: group.visitors.size, visits: group.visits.size, pageviews: group.pageviews }))
    .sort(
      byFigures(
        (row) => row.value,
        (row) => row.pageviews,
      ),
    )
    .slice(0, query.limit);
  return { by: query.by, rows };
}

/** Custom events (every type that is not built in) of the visits. */
export function goalsOf(visits: readonly Visit[], query: StatsQuery): StatsData['goals'] {
  const groups = new Map<string, { visitors: Set<string>; events: number }>();
  for (const visit of visits) {
    for (const event of visit.events) {
      if (BUILTIN_TYPES.includes(event.type)) continue;
      const group = groups.get(event.type) ?? { visitors: new Set<string>(), events: 0 };
      group.visitors.add(visit.person);
      group.events++;
      groups.set(event.type, group);
    }
  }
  const rows: GoalRow[] = [...groups]
    .map(([name, group]) => ({ name, visitors: group.visitors.size, events: group.events }))
    .sort(
      byFigures(
        (row) => row.name,
        (row) => row.events,
      ),
    )
    .slice(0, query.limit);
  return { rows };
}

/** Visits that reached each step in order: a step counts at or after the time its previous step was first met. */
export function funnelOf(visits: readonly Visit[], query: StatsQuery): StatsData['funnel'] {
  const reached = query.steps.map(() => 0);
  for (const visit of visits) {
    let since = Number.NEGATIVE_INFINITY;
    for (const [index, step] of query.steps.entries()) {
      const hit = visit.events.find(
        (event) =>
          event.ts >= since && (step.kind === 'page' ? event.type === 'pageview' && event.path === step.value : event.type === step.value),
      );
      if (!hit) break;
      since = hit.ts;
      reached[index] = (reached[index] ?? 0) + 1;
    }
  }
  const steps: FunnelRow[] = query.steps.map((step, index) => ({ ...step, visits: reached[index] ?? 0 }));
  return { steps };
}

/** p75 (nearest rank) of each web vital over the last report of each metric id in a visit. */
export function vitalsOf(visits: readonly Visit[]): StatsData['vitals'] {
  const values = new Map<string, number[]>();
  for (const visit of visits) {
    const last = new Map<string, { name: string; value: number }>();
    for (const event of visit.events) {
      if (event.type !== 'web_vital') continue;
      const name = event.props?.name;
      const value = event.props?.value;
      if (typeof name !== 'string' || typeof value !== 'number' || !Number.isFinite(value)) continue;
      const id = typeof event.props?.id === 'string' ? event.props.id : event.event_id;
      last.set(`${name}\u0000${id}`, { name, value });
    }
    for (const { name, value } of last.values()) {
      const list = values.get(name);
      if (list) list.push(value);
      else values.set(name, [value]);
    }
  }
  const rows: VitalRow[] = [...values]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, list]) => {
      list.sort((a, b) => a - b);
      return { name, p75: list[Math.ceil(list.length * 0.75) - 1] as number, samples: list.length };
    });
  return { rows };
}

/**
 * The answer of one panel (all but `live`) from the events a backend read for the query's range, counting visitors
 * as the people `identities` make them (a backend's stored identities; by default those the events establish).
 */
export function statsPanel<P extends Exclude<StatsPanel, 'live'>>(
  panel: P,
  events: readonly StatsEvent[],
  query: StatsQuery,
  identities?: Identities,
): StatsData[P] {
  const visits = selectVisits(visitsOf(events, identities), query);
  const answers: { [K in Exclude<StatsPanel, 'live'>]: () => StatsData[K] } = {
    summary: () => totalsOf(visits),
    timeseries: () => timeseriesOf(visits, query),
    breakdown: () => breakdownOf(visits, query),
    goals: () => goalsOf(visits, query),
    funnel: () => funnelOf(visits, query),
    vitals: () => vitalsOf(visits),
    goal_props: () => goalPropsOf(visits, query),
    outbound: () => linksOf(visits, query, 'outbound'),
    downloads: () => linksOf(visits, query, 'download'),
    scroll: () => scrollOf(visits, query),
    engagement: () => engagementOf(visits, query),
    revenue: () => revenueReport(visits, query),
    completeness: () => completenessOf(visits, events, query),
  };
  return answers[panel]() as StatsData[P];
}

/** Visitors with an event (other than `sdk_dropped`) since `now - LIVE_WINDOW_MS`. */
export function liveCountOf(events: readonly StatsEvent[], now: number): LiveCount {
  const since = now - LIVE_WINDOW_MS;
  const visitors = new Set(events.filter((event) => event.ts >= since && event.type !== 'sdk_dropped').map((event) => event.visitor_id));
  return { visitors: visitors.size, window_s: LIVE_WINDOW_MS / 1000 };
}

/** The stats' view of a stored event: its server time, and the user agent the backend recorded with it. */
export function statsEventOf(event: TrailmarkEvent, ts: number, userAgent?: string | null): StatsEvent {
  return { ...event, ts, user_agent: userAgent ?? null, props: event.props };
}

/**
 * A panel's answer for a backend that keeps raw events: `read(fromTs, toTs)` returns the site's events in that
 * span of server time (both ends included), and the panel is computed from them. Reads a visit's margin around the
 * range so every visit starting in it is whole; for `live`, the last five minutes. `identities(visitors)` returns
 * the stored identities of those visitors (stitching: an identification outside the range still counts); without
 * it, the identities the events read establish.
 */
export async function statsFromEvents(
  panel: StatsPanel,
  query: StatsQuery,
  now: number,
  read: (fromTs: number, toTs: number) => Promise<readonly StatsEvent[]> | readonly StatsEvent[],
  identities?: (visitors: readonly string[]) => Promise<Identities> | Identities,
): Promise<StatsData[StatsPanel]> {
  if (panel === 'live') return liveCountOf(await read(now - LIVE_WINDOW_MS, now + MAX_FUTURE_SKEW_MS), now);
  const events = await read(query.from - VISIT_MARGIN_MS, query.to + VISIT_MARGIN_MS);
  const stored = identities ? await identities([...new Set(events.map((event) => event.visitor_id))]) : undefined;
  return statsPanel(panel, events, query, stored);
}
