import { revenueMicros, revenueOf } from '../revenue.js';
import { countryLookup } from './dimensions.js';
import { identityStatements } from './persons.js';
import { dropCounts, engagedMsOf, isGoal, linkOf, propText, scrollDepthOf } from './reports.js';
import { DROP_UPSERT, GOAL_PROP_UPSERT, LINK_UPSERT, PAGE_UPSERT, VISITOR_KEY_OF } from './sqlite-upserts.js';
import { before, foldVisit, type VisitState, visitColumns } from './visit-rollup.js';
import type { StatsEvent } from './visits.js';

/**
 * The per-visit rollups of the two SQLite backends (the reference receiver's store and the D1 Worker), written
 * as statements each backend runs its own way (better-sqlite3 in the insert transaction, D1 in one batch).
 * Tables (receiver migration 005, D1 migration 0008):
 * - `visits`: one row per visit with its figures and dimension values, and its fold state as JSON;
 * - `visit_pages`: one row per visit and path with its pageviews and their times (for funnels);
 * - `visit_types`: one row per visit and event type (not pageviews and page mechanics) with its count and times;
 * - `visit_vitals`: one row per visit and web vital metric with the value of its last report;
 * - `visit_goal_props`, `visit_links`, `visit_revenue`: a goal's property values, clicked outbound links and
 *   downloads, revenue per goal and currency, per visit;
 * - `visit_seq`, `drop_reports`: sequence numbers received per session and tab block, the SDK's drop reports.
 * - `visitor_keys` (receiver migration 006, D1 migration 0009): each site's visitor ids numbered, so the panels
 *   count distinct integers (`visitor_key`) rather than distinct strings: the one place a visitor is identified.
 * Every child row carries its visit's visitor (id and key), start and bot verdict, so a panel without filters is
 * one range scan of one table; they are rewritten when a later event changes them.
 */

/** A statement and its bind values. */
export interface SqlStatement {
  sql: string;
  params: Array<string | number | null>;
}

/** One visit touched by a batch: its site, session and the new events. */
export interface VisitGroup {
  site: string;
  session: string;
  events: StatsEvent[];
}

/** A visit's stored fold state and the copied columns its child rows carry. */
export interface StoredVisit {
  state: string;
  start_ts: number;
  visitor_id: string;
  bot: string | null;
}

/** Newly stored events grouped by visit (`sdk_dropped` reports are not part of any). */
export function groupByVisit(events: Iterable<StatsEvent & { site_id: string }>): VisitGroup[] {
  const groups = new Map<string, VisitGroup>();
  for (const event of events) {
    if (event.type === 'sdk_dropped') continue;
    const id = `${event.site_id}\u0000${event.session_id}`;
    const group = groups.get(id);
    if (group) group.events.push(event);
    else groups.set(id, { site: event.site_id, session: event.session_id, events: [event] });
  }
  return [...groups.values()];
}

/** Reads a visit's stored row: `SELECT … WHERE site_id = ? AND session_id = ?`. */
export const READ_VISIT_SQL = `SELECT s.state, v.start_ts, v.visitor_id, v.bot FROM visit_states s
  JOIN visits v ON v.site_id = s.site_id AND v.session_id = s.session_id WHERE s.site_id = ? AND s.session_id = ?`;

const VISITOR_KEY_INSERT = 'INSERT OR IGNORE INTO visitor_keys (site_id, visitor_id) VALUES (?, ?)';

const VISIT_UPSERT = `INSERT INTO visits (site_id, session_id, visitor_id, start_ts, end_ts, pageviews, bounce, duration_s,
  entry_page, exit_page, source, referrer, utm_source, utm_medium, utm_campaign, country, device, browser, os, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id) DO UPDATE SET visitor_id = excluded.visitor_id, visitor_key = excluded.visitor_key, start_ts = excluded.start_ts,
  end_ts = excluded.end_ts, pageviews = excluded.pageviews, bounce = excluded.bounce, duration_s = excluded.duration_s,
  entry_page = excluded.entry_page, exit_page = excluded.exit_page, source = excluded.source, referrer = excluded.referrer,
  utm_source = excluded.utm_source, utm_medium = excluded.utm_medium, utm_campaign = excluded.utm_campaign,
  country = excluded.country, device = excluded.device, browser = excluded.browser, os = excluded.os, bot = excluded.bot`;
const STATE_UPSERT = `INSERT INTO visit_states (site_id, session_id, state) VALUES (?, ?, ?)
  ON CONFLICT (site_id, session_id) DO UPDATE SET state = excluded.state`;
const REVENUE_UPSERT = `INSERT INTO visit_revenue (site_id, session_id, name, currency, events, micros, start_ts, visitor_id, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id, name, currency) DO UPDATE SET events = events + excluded.events, micros = micros + excluded.micros`;
const SEQ_UPSERT = `INSERT INTO visit_seq (site_id, session_id, block, max_seq, events, ts) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (site_id, session_id, block) DO UPDATE SET max_seq = max(max_seq, excluded.max_seq),
  events = events + excluded.events, ts = max(ts, excluded.ts)`;
const TYPE_UPSERT = `INSERT INTO visit_types (site_id, session_id, type, events, times, start_ts, visitor_id, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id, type) DO UPDATE SET events = events + excluded.events, times = times || ',' || excluded.times`;
const VITAL_UPSERT = `INSERT INTO visit_vitals (site_id, session_id, name, metric_id, value, r_ts, r_seq, r_id, start_ts, visitor_id, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id, name, metric_id) DO UPDATE SET value = excluded.value, r_ts = excluded.r_ts,
  r_seq = excluded.r_seq, r_id = excluded.r_id
  WHERE (excluded.r_ts, excluded.r_seq, excluded.r_id) > (visit_vitals.r_ts, visit_vitals.r_seq, visit_vitals.r_id)`;

/** The child rollups, each carrying its visit's visitor, start and bot verdict. */
export const VISIT_CHILD_TABLES = [
  'visit_pages',
  'visit_types',
  'visit_vitals',
  'visit_goal_props',
  'visit_links',
  'visit_revenue',
] as const;

/** Every table of the rollups kept per visit: visits, their children, sequence numbers. */
const VISIT_TABLES = ['visits', 'visit_states', ...VISIT_CHILD_TABLES, 'visit_seq'] as const;

/** Every table of the rollups: the per-visit ones, drop reports and the visitors' keys. */
export const ROLLUP_TABLES = [...VISIT_TABLES, 'drop_reports', 'visitor_keys'] as const;

/** Event types kept in `visit_types`: every one a funnel step or a goal can name. */
const keepsType = (type: string) => type !== 'pageview' && type !== 'page_leave' && type !== 'heartbeat';

/**
 * The statements that bring a visit's rollup rows up to date with its new events (`stored`: its row before, if
 * any). Runs in the transaction that stored the events, after them.
 */
export function visitRollupStatements(group: VisitGroup, stored: StoredVisit | undefined, country = countryLookup()): SqlStatement[] {
  let state: VisitState | undefined = stored ? (JSON.parse(stored.state) as VisitState) : undefined;
  for (const event of group.events) state = foldVisit(state, event);
  if (!state) return [];
  const row = visitColumns(state, country);
  const { site, session } = group;
  const d = row.dims;
  const visitorKey = [site, row.visitor_id];
  const out: SqlStatement[] = [];
  if (stored?.visitor_id !== row.visitor_id) out.push({ sql: VISITOR_KEY_INSERT, params: visitorKey });
  out.push(
    {
      sql: VISIT_UPSERT,
      params: [
        site,
        session,
        row.visitor_id,
        row.start_ts,
        row.end_ts,
        row.pageviews,
        row.bounce,
        row.duration_s,
        d.entry_page,
        d.exit_page,
        d.source,
        d.referrer,
        d.utm_source,
        d.utm_medium,
        d.utm_campaign,
        d.country,
        d.device,
        d.browser,
        d.os,
        row.bot,
        ...visitorKey,
      ],
    },
    { sql: STATE_UPSERT, params: [site, session, JSON.stringify(state)] },
  );
  if (stored && (stored.start_ts !== row.start_ts || stored.visitor_id !== row.visitor_id || stored.bot !== row.bot)) {
    for (const table of VISIT_CHILD_TABLES) {
      out.push({
        sql: `UPDATE ${table} SET start_ts = ?, visitor_id = ?, bot = ?, visitor_key = ${VISITOR_KEY_OF} WHERE site_id = ? AND session_id = ?`,
        params: [row.start_ts, row.visitor_id, row.bot, ...visitorKey, site, session],
      });
    }
  }
  const copied = [row.start_ts, row.visitor_id, row.bot, ...visitorKey];
  const pages = new Map<string, { times: number[]; scroll: number; engaged: number }>();
  const types = new Map<string, number[]>();
  const counts = new Map<string, { params: Array<string | number>; sql: string; events: number; micros: number }>();
  const count = (sql: string, params: Array<string | number>, micros = 0) => {
    const key = `${sql}${JSON.stringify(params)}`;
    const entry = counts.get(key);
    if (entry) {
      entry.events++;
      entry.micros += micros;
    } else counts.set(key, { sql, params, events: 1, micros });
  };
  const vitals = new Map<string, { name: string; id: string; value: number; event: StatsEvent }>();
  for (const event of group.events) {
    if (event.path !== undefined) {
      const depth = scrollDepthOf(event);
      const engaged = engagedMsOf(event);
      if (event.type === 'pageview' || depth !== undefined || engaged !== undefined) {
        let page = pages.get(event.path);
        if (!page) {
          page = { times: [], scroll: 0, engaged: 0 };
          pages.set(event.path, page);
        }
        // The reference keys pages by path; a pageview without one is counted in the visit, not in pages.
        if (event.type === 'pageview') page.times.push(event.ts);
        if (depth !== undefined && depth > page.scroll) page.scroll = depth;
        page.engaged += engaged ?? 0;
      }
    }
    if (keepsType(event.type)) push(types, event.type, event.ts);
    if (isGoal(event.type)) {
      for (const [prop, raw] of Object.entries(event.props ?? {})) {
        const value = propText(raw);
        if (value !== undefined) count(GOAL_PROP_UPSERT, [event.type, prop, value]);
      }
      const revenue = revenueOf(event.props);
      if (revenue) count(REVENUE_UPSERT, [event.type, revenue.currency], revenueMicros(revenue.amount));
    }
    for (const link of linkOf(event)) count(LINK_UPSERT, [link.kind, link.url]);
    if (event.type === 'web_vital') {
      const name = event.props?.name;
      const value = event.props?.value;
      if (typeof name !== 'string' || typeof value !== 'number' || !Number.isFinite(value)) continue;
      const id = typeof event.props?.id === 'string' ? event.props.id : event.event_id;
      const key = `${name}\u0000${id}`;
      const seen = vitals.get(key);
      if (!seen || before(keyOf(seen.event), keyOf(event))) vitals.set(key, { name, id, value, event });
    }
  }
  for (const [path, page] of pages) {
    out.push({
      sql: PAGE_UPSERT,
      params: [site, session, path, page.times.length, page.times.join(','), page.scroll, page.engaged, ...copied],
    });
  }
  for (const [type, times] of types)
    out.push({ sql: TYPE_UPSERT, params: [site, session, type, times.length, times.join(','), ...copied] });
  for (const { sql, params, events, micros } of counts.values()) {
    out.push({ sql, params: [site, session, ...params, events, ...(sql === REVENUE_UPSERT ? [micros] : []), ...copied] });
  }
  for (const { name, id, value, event } of vitals.values()) {
    out.push({ sql: VITAL_UPSERT, params: [site, session, name, id, value, event.ts, event.seq ?? 0, event.event_id, ...copied] });
  }
  return out;
}

/** The sequence numbers events add to their sessions' `visit_seq` rows (drop reports' included). */
export function seqStatements(events: Iterable<StatsEvent & { site_id: string }>): SqlStatement[] {
  const blocks = new Map<string, { params: [string, string, number]; max: number; events: number; ts: number }>();
  for (const event of events) {
    const seq = event.seq;
    if (seq === undefined || !Number.isInteger(seq) || seq < 1) continue;
    const block = Math.floor((seq - 1) / 1000);
    const key = `${event.site_id}\u0000${event.session_id}\u0000${block}`;
    const entry = blocks.get(key);
    if (entry) {
      entry.events++;
      entry.max = Math.max(entry.max, seq);
      entry.ts = Math.max(entry.ts, event.ts);
    } else blocks.set(key, { params: [event.site_id, event.session_id, block], max: seq, events: 1, ts: event.ts });
  }
  return [...blocks.values()].map(({ params, max, events, ts }) => ({ sql: SEQ_UPSERT, params: [...params, max, events, ts] }));
}

/** What the SDK's drop reports among newly stored events add to `drop_reports`. */
export function dropStatements(events: Iterable<StatsEvent & { site_id: string }>): SqlStatement[] {
  const out: SqlStatement[] = [];
  for (const event of events) {
    if (event.type !== 'sdk_dropped') continue;
    for (const [reason, dropped] of dropCounts(event.props))
      out.push({ sql: DROP_UPSERT, params: [event.site_id, event.ts, reason, dropped] });
  }
  return out;
}

/** The above and the visitors' identities (`persons.ts`), for newly stored events (in the insert transaction). */
export function eventRollupStatements(events: ReadonlyArray<StatsEvent & { site_id: string }>): SqlStatement[] {
  return [...seqStatements(events), ...dropStatements(events), ...identityStatements(events)];
}

/** The statements emptying one visit's rollup rows (D1 rebuilds a visit from all its events). */
export function clearVisitStatements(site: string, session: string): SqlStatement[] {
  return VISIT_TABLES.map((table) => ({
    sql: `DELETE FROM ${table} WHERE site_id = ? AND session_id = ?`,
    params: [site, session],
  }));
}

const keyOf = (event: StatsEvent) => ({ ts: event.ts, seq: event.seq ?? 0, id: event.event_id });

function push(map: Map<string, number[]>, key: string, value: number) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
