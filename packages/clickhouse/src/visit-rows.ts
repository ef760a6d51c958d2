import {
  countryLookup,
  engagedMsOf,
  isGoal,
  linkOf,
  lostEvents,
  type StatsEvent,
  scrollDepthOf,
  type TrailmarkEvent,
  visitsOf,
} from '@trailmark/protocol';

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
  /** The deepest scroll (%) the visit reported on each page it viewed (`scrollDepthOf`, at least 0; migration 07). */
  'pages.depth': number[];
  /** The engaged ms the visit's page leaves reported on each page it viewed (`engagedMsOf`, summed; migration 07). */
  'pages.engaged_ms': number[];
  'vitals.name': string[];
  'vitals.value': number[];
  'marks.t': number[];
  'marks.key': string[];
  /** Clicks on outbound links and downloads (`linkOf`), per kind and URL (migration 07). */
  'links.kind': string[];
  'links.url': string[];
  'links.clicks': number[];
  /** The visit's goal events (custom types), each with its props as JSON text (`{}` without): migration 07. */
  'goals.name': string[];
  'goals.props': string[];
  /** Events lost in transit in the visit (`lostEvents` over its sequence numbers and its session's drop reports). */
  lost: number;
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
  // Each session's drop reports' sequence numbers (`sdk_dropped` is no part of a visit, but its numbers count).
  const reports = new Map<string, number[]>();
  for (const row of stored) {
    events.push({ ...row.raw, ts: Number(row.ts), user_agent: agentOf(row.browser, row.os, row.agent_device) });
    classes.set(row.event_id, { browser: row.browser, os: row.os });
    counts.set(row.session_id, (counts.get(row.session_id) ?? 0) + 1);
    if (row.raw.type === 'sdk_dropped' && row.raw.seq !== undefined) {
      const list = reports.get(row.session_id) ?? [];
      list.push(row.raw.seq);
      reports.set(row.session_id, list);
    }
  }
  return visitsOf(events, undefined, country).map((visit) => {
    const first = classes.get(visit.events[0]?.event_id ?? '');
    const pages = new Map<string, number>();
    // What the visit's events report on each page (viewed or not: only the viewed ones are kept).
    const onPage = new Map<string, { depth: number; engaged: number }>();
    const links = new Map<string, { kind: string; url: string; clicks: number }>();
    const goalNames: string[] = [];
    const goalProps: string[] = [];
    const vitals = new Map<string, { name: string; value: number }>();
    const marksT: number[] = [];
    const marksKey: string[] = [];
    for (const event of visit.events) {
      if (event.type === 'pageview' && event.path != null) pages.set(event.path, (pages.get(event.path) ?? 0) + 1);
      if (event.path != null) {
        const depth = scrollDepthOf(event);
        const engaged = engagedMsOf(event);
        if (depth !== undefined || engaged !== undefined) {
          const page = onPage.get(event.path) ?? { depth: 0, engaged: 0 };
          if (depth !== undefined && depth > page.depth) page.depth = depth;
          page.engaged += engaged ?? 0;
          onPage.set(event.path, page);
        }
      }
      for (const link of linkOf(event)) {
        const key = `${link.kind}\u0000${link.url}`;
        const entry = links.get(key) ?? { ...link, clicks: 0 };
        entry.clicks++;
        links.set(key, entry);
      }
      if (isGoal(event.type)) {
        goalNames.push(event.type);
        goalProps.push(JSON.stringify(event.props ?? {}));
      }
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
      'pages.depth': [...pages.keys()].map((path) => onPage.get(path)?.depth ?? 0),
      'pages.engaged_ms': [...pages.keys()].map((path) => onPage.get(path)?.engaged ?? 0),
      'vitals.name': [...vitals.values()].map((vital) => vital.name),
      'vitals.value': [...vitals.values()].map((vital) => vital.value),
      'marks.t': marksT,
      'marks.key': marksKey,
      'links.kind': [...links.values()].map((link) => link.kind),
      'links.url': [...links.values()].map((link) => link.url),
      'links.clicks': [...links.values()].map((link) => link.clicks),
      'goals.name': goalNames,
      'goals.props': goalProps,
      lost: lostEvents([...visit.events.map((event) => event.seq ?? 0), ...(reports.get(visit.id) ?? [])]),
    };
  });
}
