import { BUILTIN_EVENT_TYPES } from '../event.js';
import { type BotReason, botAgent, botReason, engagementSignal } from './bots.js';
import type { StatsDimension, StatsQuery } from './contract.js';
import { browserOf, countryLookup, osOf, visitDims } from './dimensions.js';
import { type Identities, identitiesOf, personOf } from './persons.js';

/** What the stats need of one stored event (server-time `ts`; `user_agent` where the backend records it). */
export interface StatsEvent {
  event_id: string;
  type: string;
  ts: number;
  seq?: number | undefined;
  session_id: string;
  visitor_id: string;
  url?: string | undefined;
  path?: string | undefined;
  referrer?: string | undefined;
  utm_source?: string | undefined;
  utm_medium?: string | undefined;
  utm_campaign?: string | undefined;
  timezone?: string | undefined;
  screen_w?: number | undefined;
  user_agent?: string | null | undefined;
  /** Set after `identify()`: the user the visitor is (`persons.ts`). */
  user_id?: string | undefined;
  /** The SDK's automation flag. */
  bot?: string | undefined;
  props?: Record<string, unknown> | undefined;
}

/** One visit (a session id's events), with the values its dimensions take. */
export interface Visit {
  id: string;
  visitor: string;
  /** Who the visitor is (`personOf()`): what the visitor figures count. */
  person: string;
  start: number;
  end: number;
  pageviews: number;
  bounce: boolean;
  dims: Record<Exclude<StatsDimension, 'page'>, string | null>;
  /** Why the visit is a bot's (`botReason()`), or null. */
  bot: BotReason | null;
  /** The visit's events in order. */
  events: StatsEvent[];
}

/**
 * Event types that do not count against a bounce: page mechanics and measurements, and what the page or the site's
 * code does rather than the visitor: a `js_error` (most fire while the page loads, before anyone touched it) and an
 * `identify` (a site calls it on every page a logged-in user opens). Any other event (a click, a form started or
 * abandoned, a copy, a custom event) is engagement. The Postgres ETL uses the same list (`interaction_count`).
 */
export const NON_ENGAGEMENT_TYPES: readonly string[] = [
  'pageview',
  'heartbeat',
  'page_leave',
  'scroll',
  'scroll_depth',
  'page_visibility',
  'web_vital',
  'js_error',
  'identify',
];

/** Event types that are not custom events (goals are the rest). */
export const BUILTIN_TYPES: readonly string[] = BUILTIN_EVENT_TYPES;

/** How far outside a range a backend must read events so each visit starting in the range is whole. */
export const VISIT_MARGIN_MS = 86_400_000;

const order = (a: StatsEvent, b: StatsEvent) =>
  a.ts - b.ts || (a.seq ?? 0) - (b.seq ?? 0) || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);

/**
 * Groups events into visits (`sdk_dropped` reports are not part of a visit), each with the person its visitor is
 * by `identities` (a backend's stored identities; by default those the events themselves establish). `country` is
 * the time-zone lookup (`countryLookup()`, built on each call when not given: a caller grouping many small sets
 * passes one in).
 */
export function visitsOf(events: readonly StatsEvent[], identities: Identities = identitiesOf(events), country = countryLookup()): Visit[] {
  const bySession = new Map<string, StatsEvent[]>();
  for (const event of events) {
    if (event.type === 'sdk_dropped') continue;
    const list = bySession.get(event.session_id);
    if (list) list.push(event);
    else bySession.set(event.session_id, [event]);
  }
  const visits: Visit[] = [];
  for (const [id, list] of bySession) {
    list.sort(order);
    const first = list[0] as StatsEvent;
    const last = list[list.length - 1] as StatsEvent;
    const views = list.filter((event) => event.type === 'pageview');
    const entry = views[0];
    const exit = views[views.length - 1];
    const engaged = list.some((event) => !NON_ENGAGEMENT_TYPES.includes(event.type));
    visits.push({
      id,
      visitor: first.visitor_id,
      person: personOf(identities, first.visitor_id),
      start: first.ts,
      end: last.ts,
      pageviews: views.length,
      bounce: views.length <= 1 && !engaged,
      dims: visitDims({ ...first, browser: browserOf(first.user_agent), os: osOf(first.user_agent) }, entry, exit, country),
      bot: botReason({
        userAgent: botAgent(first.user_agent),
        automation: list.some((event) => event.bot !== undefined),
        pageviews: views.length,
        firstView: entry?.ts ?? first.ts,
        lastView: exit?.ts ?? first.ts,
        leaves: list.filter((event) => event.type === 'page_leave').length,
        engaged: list.some((event) => engagementSignal(event.type, event.props, !NON_ENGAGEMENT_TYPES.includes(event.type))),
      }),
      events: list,
    });
  }
  return visits;
}

/** The visits that start in the query's range, are of the traffic asked for (humans by default) and pass every filter. */
export function selectVisits(visits: readonly Visit[], query: StatsQuery): Visit[] {
  const filters = Object.entries(query.filters) as Array<[StatsDimension, string | null]>;
  return visits.filter((visit) => {
    if (visit.start < query.from || visit.start >= query.to) return false;
    if (query.bots !== 'include' && (visit.bot !== null) !== (query.bots === 'only')) return false;
    return filters.every(([dimension, value]) => {
      if (dimension !== 'page') return visit.dims[dimension] === value;
      const views = visit.events.filter((event) => event.type === 'pageview');
      return value === null ? views.length === 0 : views.some((event) => event.path === value);
    });
  });
}
