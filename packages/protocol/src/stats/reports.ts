import { revenueMicros, revenueOf } from '../revenue.js';
import type { CompletenessDay, EngagementRow, GoalPropRow, LinkRow, RevenueRow, ScrollRow, StatsData, StatsQuery } from './contract.js';
import { BUILTIN_TYPES, type StatsEvent, type Visit } from './visits.js';

/**
 * The reports beside the traffic figures (goal properties, links, scroll depth, engaged time, revenue, data
 * completeness), computed over visits as the reference for every backend. docs/dashboard.md defines each.
 */

const DAY_MS = 86_400_000;
/** The scroll depths (% of the page) the scroll panel counts visits reaching. */
export const SCROLL_MARKS = [25, 50, 75, 100] as const;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A property value as the breakdown shows it: strings as they are, numbers and booleans as text; else none. */
export function propText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  return undefined;
}

/** Whether a type is a goal (a custom event). */
export const isGoal = (type: string): boolean => !BUILTIN_TYPES.includes(type);

/** The link kind of a click (`outbound`, `download`) with its URL, from the clicks plugin's props. */
export function linkOf(event: StatsEvent): { kind: 'outbound' | 'download'; url: string }[] {
  if (event.type !== 'click' || typeof event.props?.href !== 'string') return [];
  const out: { kind: 'outbound' | 'download'; url: string }[] = [];
  if (event.props.outbound === true) out.push({ kind: 'outbound', url: event.props.href });
  if (event.props.download === true) out.push({ kind: 'download', url: event.props.href });
  return out;
}

/** The depth (%) a `scroll_depth` event reports: its milestone or its max depth. */
export function scrollDepthOf(event: StatsEvent): number | undefined {
  if (event.type !== 'scroll_depth') return undefined;
  const depth = event.props?.milestone ?? event.props?.max_depth;
  return typeof depth === 'number' && Number.isFinite(depth) ? depth : undefined;
}

/** The engaged ms a `page_leave` reports for its page (whole ms). */
export function engagedMsOf(event: StatsEvent): number | undefined {
  if (event.type !== 'page_leave') return undefined;
  const ms = event.props?.engaged_ms;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : undefined;
}

/** Visitors and events per key, ordered by visitors, events, then key; cut to `limit`. */
function countRows(entries: Iterable<[string, string]>, limit: number): Array<{ key: string; visitors: number; events: number }> {
  const groups = new Map<string, { visitors: Set<string>; events: number }>();
  for (const [key, visitor] of entries) {
    let group = groups.get(key);
    if (!group) {
      group = { visitors: new Set(), events: 0 };
      groups.set(key, group);
    }
    group.visitors.add(visitor);
    group.events++;
  }
  return [...groups]
    .map(([key, group]) => ({ key, visitors: group.visitors.size, events: group.events }))
    .sort((a, b) => b.visitors - a.visitors || b.events - a.events || compare(a.key, b.key))
    .slice(0, limit);
}

/** The goal's events by the value of one property. */
export function goalPropsOf(visits: readonly Visit[], query: StatsQuery): StatsData['goal_props'] {
  const { goal, prop } = query;
  const head = { goal: goal ?? null, prop: prop ?? null };
  if (goal === undefined || prop === undefined) return { ...head, rows: [] };
  function* entries(): Generator<[string, string]> {
    for (const visit of visits) {
      for (const event of visit.events) {
        if (event.type !== goal || !isGoal(event.type)) continue;
        const value = propText(event.props?.[prop as string]);
        if (value !== undefined) yield [value, visit.person];
      }
    }
  }
  const rows: GoalPropRow[] = countRows(entries(), query.limit).map(({ key, visitors, events }) => ({ value: key, visitors, events }));
  return { ...head, rows };
}

/** Clicks on outbound links or on downloads, by URL. */
export function linksOf(visits: readonly Visit[], query: StatsQuery, kind: 'outbound' | 'download'): { rows: LinkRow[] } {
  function* entries(): Generator<[string, string]> {
    for (const visit of visits) {
      for (const event of visit.events) for (const link of linkOf(event)) if (link.kind === kind) yield [link.url, visit.person];
    }
  }
  return { rows: countRows(entries(), query.limit).map(({ key, visitors, events }) => ({ url: key, visitors, events })) };
}

/** Per page viewed: the visits, their deepest scroll and their engaged time on it (of the visits that viewed it). */
function pagesOf(visits: readonly Visit[]): Map<string, { visits: number; depths: number[]; engaged: number }> {
  const pages = new Map<string, { visits: number; depths: number[]; engaged: number }>();
  for (const visit of visits) {
    const seen = new Map<string, { viewed: boolean; depth: number; engaged: number }>();
    for (const event of visit.events) {
      if (event.path === undefined) continue;
      let page = seen.get(event.path);
      if (!page) {
        page = { viewed: false, depth: 0, engaged: 0 };
        seen.set(event.path, page);
      }
      if (event.type === 'pageview') page.viewed = true;
      const depth = scrollDepthOf(event);
      if (depth !== undefined && depth > page.depth) page.depth = depth;
      page.engaged += engagedMsOf(event) ?? 0;
    }
    for (const [path, page] of seen) {
      if (!page.viewed) continue;
      let row = pages.get(path);
      if (!row) {
        row = { visits: 0, depths: [], engaged: 0 };
        pages.set(path, row);
      }
      row.visits++;
      row.depths.push(page.depth);
      row.engaged += page.engaged;
    }
  }
  return pages;
}

const byVisits = <T extends { path: string; visits: number }>(a: T, b: T) => b.visits - a.visits || compare(a.path, b.path);

/** Share of the visits that viewed each page reaching 25/50/75/100 % of it. */
export function scrollOf(visits: readonly Visit[], query: StatsQuery): { rows: ScrollRow[] } {
  const rows: ScrollRow[] = [...pagesOf(visits)].map(([path, page]) => {
    const [r25, r50, r75, r100] = SCROLL_MARKS.map((mark) => page.depths.filter((depth) => depth >= mark).length) as [
      number,
      number,
      number,
      number,
    ];
    return { path, visits: page.visits, reached_25: r25, reached_50: r50, reached_75: r75, reached_100: r100 };
  });
  return { rows: rows.sort(byVisits).slice(0, query.limit) };
}

/** Engaged time on each page of the visits that viewed it. */
export function engagementOf(visits: readonly Visit[], query: StatsQuery): { rows: EngagementRow[] } {
  const rows: EngagementRow[] = [...pagesOf(visits)].map(([path, page]) => ({ path, visits: page.visits, engaged_ms: page.engaged }));
  return { rows: rows.sort(byVisits).slice(0, query.limit) };
}

/** Revenue per goal and currency. */
export function revenueReport(visits: readonly Visit[], query: StatsQuery): { rows: RevenueRow[] } {
  const groups = new Map<string, { name: string; currency: string; visitors: Set<string>; events: number; micros: number }>();
  for (const visit of visits) {
    for (const event of visit.events) {
      const revenue = isGoal(event.type) ? revenueOf(event.props) : undefined;
      if (!revenue) continue;
      const key = `${event.type}\u0000${revenue.currency}`;
      let group = groups.get(key);
      if (!group) {
        group = { name: event.type, currency: revenue.currency, visitors: new Set(), events: 0, micros: 0 };
        groups.set(key, group);
      }
      group.visitors.add(visit.person);
      group.events++;
      group.micros += revenueMicros(revenue.amount);
    }
  }
  const rows: RevenueRow[] = [...groups.values()]
    .map((group) => ({
      name: group.name,
      currency: group.currency,
      visitors: group.visitors.size,
      events: group.events,
      amount: group.micros / 1_000_000,
    }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.currency, b.currency))
    .slice(0, query.limit);
  return { rows };
}

/** Per visit: events never received, from the gaps in its session's sequence numbers (each tab numbers a block of 1000). */
export function lostEvents(seqs: Iterable<number>): number {
  const blocks = new Map<number, { max: number; count: number }>();
  for (const seq of seqs) {
    if (!Number.isInteger(seq) || seq < 1) continue;
    const block = Math.floor((seq - 1) / 1000);
    const entry = blocks.get(block);
    if (entry) {
      entry.count++;
      if (seq > entry.max) entry.max = seq;
    } else blocks.set(block, { max: seq, count: 1 });
  }
  let lost = 0;
  for (const [block, { max, count }] of blocks) lost += max - block * 1000 - count;
  return lost;
}

/** The counts of an `sdk_dropped` report, by reason (positive whole numbers only). */
export function dropCounts(props: Record<string, unknown> | undefined): Array<[string, number]> {
  return Object.entries(props ?? {}).filter((entry): entry is [string, number] => Number.isInteger(entry[1]) && (entry[1] as number) > 0);
}

/**
 * Per UTC day: events lost in transit in the visits that started that day (their sessions' drop reports'
 * numbers included), and the SDK's drop reports sent that day by reason (filters and bots do not apply to those).
 */
export function completenessOf(visits: readonly Visit[], events: readonly StatsEvent[], query: StatsQuery): StatsData['completeness'] {
  const days = new Map<number, CompletenessDay>();
  const day = (ts: number) => {
    const t = Math.floor(ts / DAY_MS) * DAY_MS;
    let entry = days.get(t);
    if (!entry) {
      entry = { t, lost: 0, dropped: {} };
      days.set(t, entry);
    }
    return entry;
  };
  const reports = new Map<string, number[]>();
  for (const event of events) {
    if (event.type !== 'sdk_dropped') continue;
    if (event.seq !== undefined) {
      const list = reports.get(event.session_id);
      if (list) list.push(event.seq);
      else reports.set(event.session_id, [event.seq]);
    }
    if (event.ts < query.from || event.ts >= query.to) continue;
    const entry = day(event.ts);
    for (const [reason, count] of dropCounts(event.props)) entry.dropped[reason] = (entry.dropped[reason] ?? 0) + count;
  }
  for (const visit of visits) {
    const seqs = visit.events.map((event) => event.seq ?? 0);
    const lost = lostEvents([...seqs, ...(reports.get(visit.id) ?? [])]);
    if (lost !== 0) day(visit.start).lost += lost;
  }
  return { days: [...days.values()].sort((a, b) => a.t - b.t) };
}
