import { type BotReason, botAgent, botReason, engagementSignal } from './bots.js';
import type { StatsDimension } from './contract.js';
import { browserOf, type FirstEventFields, osOf, visitDims } from './dimensions.js';
import { NON_ENGAGEMENT_TYPES, type StatsEvent } from './visits.js';

/**
 * A visit folded one event at a time, in any order of arrival: what a backend keeps per visit (a row of its
 * `visits` rollup, with this state as JSON) so that the dashboard reads one row per visit instead of its events.
 * Deriving the row from the state gives the figures `visitsOf()` computes from the visit's events, which the
 * contract suite holds equal on every backend. Only the parsed browser and OS of a user agent are kept, never
 * the user agent itself.
 */

/** An event's place in its visit: time, then sequence number, then event id (the reference's order). */
export interface EventKey {
  ts: number;
  seq: number;
  id: string;
}

/** What merging a later event into a visit needs. */
export interface VisitState {
  visitor: string;
  first: EventKey &
    FirstEventFields & {
      /** The first event's request said it is a bot. */
      uaBot: boolean;
    };
  last: EventKey;
  entry: (EventKey & { path: string | null; url?: string | undefined }) | null;
  exit: (EventKey & { path: string | null }) | null;
  pageviews: number;
  /** Events that are not page mechanics or measurements (a click, a form, a custom event). */
  interactions: number;
  leaves: number;
  automation: boolean;
  engagedSignal: boolean;
}

/** The columns of a visit's rollup row. */
export interface VisitColumns {
  visitor_id: string;
  start_ts: number;
  end_ts: number;
  pageviews: number;
  bounce: 0 | 1;
  duration_s: number;
  dims: Record<Exclude<StatsDimension, 'page'>, string | null>;
  bot: BotReason | null;
}

const keyOf = (event: StatsEvent): EventKey => ({ ts: event.ts, seq: event.seq ?? 0, id: event.event_id });

/** Whether key `a` comes before key `b` in a visit. */
export function before(a: EventKey, b: EventKey): boolean {
  return a.ts - b.ts < 0 || (a.ts === b.ts && (a.seq < b.seq || (a.seq === b.seq && a.id < b.id)));
}

/** The state after one more event (`sdk_dropped` reports are not part of a visit: callers leave them out). */
export function foldVisit(state: VisitState | undefined, event: StatsEvent): VisitState {
  const key = keyOf(event);
  const next: VisitState = state ?? {
    visitor: event.visitor_id,
    first: firstOf(event, key),
    last: key,
    entry: null,
    exit: null,
    pageviews: 0,
    interactions: 0,
    leaves: 0,
    automation: false,
    engagedSignal: false,
  };
  if (state) {
    if (before(key, state.first)) {
      next.first = firstOf(event, key);
      next.visitor = event.visitor_id;
    }
    if (before(state.last, key)) next.last = key;
  }
  if (event.type === 'pageview') {
    next.pageviews++;
    if (!next.entry || before(key, next.entry)) next.entry = { ...key, path: event.path ?? null, url: event.url };
    if (!next.exit || before(next.exit, key)) next.exit = { ...key, path: event.path ?? null };
  }
  const interaction = !NON_ENGAGEMENT_TYPES.includes(event.type);
  if (interaction) next.interactions++;
  if (event.type === 'page_leave') next.leaves++;
  if ((event as { bot?: unknown }).bot !== undefined) next.automation = true;
  if (!next.engagedSignal && engagementSignal(event.type, event.props, interaction)) next.engagedSignal = true;
  return next;
}

function firstOf(event: StatsEvent, key: EventKey): VisitState['first'] {
  return {
    ...key,
    referrer: event.referrer,
    url: event.url,
    utm_source: event.utm_source,
    utm_medium: event.utm_medium,
    utm_campaign: event.utm_campaign,
    timezone: event.timezone,
    screen_w: event.screen_w,
    browser: browserOf(event.user_agent),
    os: osOf(event.user_agent),
    uaBot: botAgent(event.user_agent),
  };
}

/** The row of a visit, as `visitsOf()` derives it from the visit's events. */
export function visitColumns(state: VisitState, country: (timezone: unknown) => string | null): VisitColumns {
  const { first, entry, exit } = state;
  return {
    visitor_id: state.visitor,
    start_ts: first.ts,
    end_ts: state.last.ts,
    pageviews: state.pageviews,
    bounce: state.pageviews <= 1 && state.interactions === 0 ? 1 : 0,
    duration_s: Math.round((state.last.ts - first.ts) / 1000),
    dims: visitDims(first, entry, exit, country),
    bot: botReason({
      userAgent: first.uaBot,
      automation: state.automation,
      pageviews: state.pageviews,
      firstView: entry?.ts ?? first.ts,
      lastView: exit?.ts ?? first.ts,
      leaves: state.leaves,
      engaged: state.engagedSignal,
    }),
  };
}
