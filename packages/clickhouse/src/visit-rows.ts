import { countryLookup, type StatsEvent, type TrailmarkEvent, visitsOf } from '@trailmark/protocol';

/** An event with its request's facts, as a message carries it and as the loader reads it back from `events`. */
export interface StoredEvent {
  session_id: string;
  event_id: string;
  /** Server time, ms (64-bit integers read back from ClickHouse may be strings). */
  ts: number | string;
  browser: string | null;
  os: string | null;
  /** The user agent's device part (`desktop`, `mobile`, `tablet`, `bot`); absent or null in rows before migration 03. */
  agent_device?: string | null | undefined;
  /** The admitted event (client time). */
  raw: TrailmarkEvent;
}

/**
 * The stored user-agent class (`Chrome; Windows; mobile`) of an event's request, as the other backends store it in
 * `user_agent`; null for a request without a user agent. Rows loaded before the device part was kept read as
 * `desktop`, as they were answered before.
 */
export function agentOf(browser: string | null, os: string | null, device: string | null | undefined): string | null {
  if (!device && browser === null && os === null) return null;
  return `${browser ?? ''}; ${os ?? ''}; ${device || 'desktop'}`;
}

/** One row of the `visits` table (migration 02). */
export interface VisitRow {
  site_id: string;
  session_id: string;
  version: number;
  visitor_id: string;
  start_ms: number;
  pageviews: number;
  bounce: number;
  duration_s: number;
  entry_page: string | null;
  exit_page: string | null;
  source: string | null;
  referrer: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  country: string | null;
  device: string | null;
  browser: string | null;
  os: string | null;
  /** Why the visit is a bot's (`botReason()`: user agent, automation, behaviour), or null (migration 03). */
  bot: string | null;
  'pages.path': string[];
  'pages.views': number[];
  'vitals.name': string[];
  'vitals.value': number[];
  'marks.t': number[];
  'marks.key': string[];
}

/** Event types that can be no funnel step and no goal: left out of a visit's marks. */
const UNMARKED = new Set(['page_leave', 'heartbeat', 'sdk_dropped']);

/**
 * The rows of the visits these events make (all the events of each visit, each event once, one row each), by the
 * protocol's own `visitsOf`: the same visit boundaries, dimensions, bounces, durations and bot verdicts as every
 * other backend. The browser and OS are the classes stored with the visit's first event; `device` is the screen
 * width's class (the dashboard's dimension, as everywhere), the user agent's device part feeding the bot verdict.
 */
export function visitRows(site: string, stored: Iterable<StoredEvent>, country = countryLookup()): VisitRow[] {
  const classes = new Map<string, { browser: string | null; os: string | null }>();
  const counts = new Map<string, number>();
  const events: StatsEvent[] = [];
  for (const row of stored) {
    events.push({ ...row.raw, ts: Number(row.ts), user_agent: agentOf(row.browser, row.os, row.agent_device) });
    classes.set(row.event_id, { browser: row.browser, os: row.os });
    counts.set(row.session_id, (counts.get(row.session_id) ?? 0) + 1);
  }
  return visitsOf(events, undefined, country).map((visit) => {
    const first = classes.get(visit.events[0]?.event_id ?? '');
    const pages = new Map<string, number>();
    const vitals = new Map<string, { name: string; value: number }>();
    const marksT: number[] = [];
    const marksKey: string[] = [];
    for (const event of visit.events) {
      if (event.type === 'pageview' && event.path != null) pages.set(event.path, (pages.get(event.path) ?? 0) + 1);
      if (event.type === 'web_vital') {
        // The last report of each metric id counts (as `vitalsOf` in @trailmark/protocol).
        const { name, value, id } = event.props ?? {};
        if (typeof name === 'string' && typeof value === 'number' && Number.isFinite(value)) {
          vitals.set(`${name}\u0000${typeof id === 'string' ? id : event.event_id}`, { name, value });
        }
      }
      if (UNMARKED.has(event.type) || (event.type === 'pageview' && event.path == null)) continue;
      marksT.push(event.ts);
      marksKey.push(event.type === 'pageview' ? `page:${event.path}` : `event:${event.type}`);
    }
    return {
      site_id: site,
      session_id: visit.id,
      version: counts.get(visit.id) ?? visit.events.length,
      visitor_id: visit.visitor,
      start_ms: visit.start,
      pageviews: visit.pageviews,
      bounce: visit.bounce ? 1 : 0,
      duration_s: Math.round((visit.end - visit.start) / 1000),
      ...visit.dims,
      browser: first?.browser ?? null,
      os: first?.os ?? null,
      bot: visit.bot,
      'pages.path': [...pages.keys()],
      'pages.views': [...pages.values()],
      'vitals.name': [...vitals.values()].map((vital) => vital.name),
      'vitals.value': [...vitals.values()].map((vital) => vital.value),
      'marks.t': marksT,
      'marks.key': marksKey,
    };
  });
}
