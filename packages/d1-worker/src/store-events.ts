import type { TrailmarkEvent } from '@trailmark/protocol';
import type { Enrichment } from './enrich.js';

/** One event row as it is written to `events`. */
export interface EventRow {
  event_id: string;
  site_id: string;
  visitor_id: string;
  session_id: string;
  type: string;
  /** Server time (client `ts` plus the batch's clock skew), ms. */
  ts: number;
  engaged_ms: number;
  payload: string;
}

/** The per-request values every row shares: bound once as ?1–?3 and ?5. */
export interface IngestContext {
  ingestId: string;
  apiKey: string;
  receivedAt: number;
  /** The class of the request's User-Agent (`agentClass`: `Chrome; Windows; desktop`), or null; never the raw string. */
  userAgent?: string | null;
}

const ROW_COLUMNS = ['event_id', 'site_id', 'visitor_id', 'session_id', 'type', 'ts', 'engaged_ms', 'payload'] as const;

// Heartbeats report engaged time; one event may add at most an hour so a lying client cannot add years.
const ENGAGED_TYPES = new Set(['heartbeat', 'page_visibility']);
const MAX_ENGAGED_MS_PER_EVENT = 60 * 60 * 1000;

/** The row an event is stored as. */
export function eventRow(event: TrailmarkEvent, skewMs: number): EventRow {
  return {
    event_id: event.event_id,
    site_id: event.site_id,
    visitor_id: event.visitor_id,
    session_id: event.session_id,
    type: event.type,
    ts: event.ts + skewMs,
    engaged_ms: engagedMs(event),
    payload: JSON.stringify(event),
  };
}

function engagedMs(event: TrailmarkEvent): number {
  if (!ENGAGED_TYPES.has(event.type)) return 0;
  const value = event.props?.engaged_ms;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.round(value), MAX_ENGAGED_MS_PER_EVENT);
}

/**
 * Rows per insert statement. Each statement's rows travel as one JSON parameter, so D1's 100-parameter limit
 * never applies; the chunk keeps that one value far under D1's 2 MB limit on a string (a 512 KiB request of
 * quote-heavy text can nearly double once its payloads are escaped again) and each statement short.
 */
export const INSERT_CHUNK_ROWS = 250;

/**
 * `INSERT … SELECT FROM json_each(?) … ON CONFLICT DO NOTHING RETURNING event_id`, one statement per
 * `INSERT_CHUNK_ROWS` rows, all meant for one `batch()`: the ids they return are the events this request
 * stored (the others were already there). Measured against multi-row INSERTs chunked under the parameter
 * limit (12 rows each) and one-row INSERTs, it was the fastest (bench/d1-worker.mjs).
 */
export function insertEventsStatements(db: D1Database, context: IngestContext, rows: readonly EventRow[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    statements.push(insertEventsStatement(db, context, rows.slice(start, start + INSERT_CHUNK_ROWS)));
  }
  return statements;
}

/** One chunk's insert statement (see `insertEventsStatements`). */
function insertEventsStatement(db: D1Database, context: IngestContext, rows: readonly EventRow[]): D1PreparedStatement {
  const picks = ROW_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ');
  return db
    .prepare(
      `INSERT INTO events (ingest_id, api_key, received_at, user_agent, ${ROW_COLUMNS.join(', ')})
       SELECT ?1, ?2, ?3, ?5, ${picks} FROM json_each(?4) WHERE true
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    )
    .bind(
      context.ingestId,
      context.apiKey,
      context.receivedAt,
      JSON.stringify(rows.map((row) => ROW_COLUMNS.map((column) => row[column]))),
      context.userAgent?.slice(0, 512) ?? null,
    );
}

/**
 * One statement upserting every visitor of the request from the events *this request* stored, so a resent
 * event never counts twice. Run in the same `batch()` as the insert: a failure rolls both back, and the
 * retry counts again from scratch.
 *
 * The stored rows are found by rowid: SQLite gives a new row the largest rowid plus one, and the batch is
 * one write transaction, so the rows this request inserted are among the last `rowCount` rowids; the
 * `ingest_id` picks them out of that range. A range scan on the rowid measured a little faster than
 * looking each event id up again.
 */
export function upsertVisitorsStatement(
  db: D1Database,
  context: IngestContext,
  rowCount: number,
  enrichment: Enrichment,
  website: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO visitors (api_key, visitor_id, company, location, last_role, website, page_views, first_seen_at, last_seen_at, total_time_seconds)
       SELECT ?1, visitor_id, ?3, ?4, ?5, ?6,
         SUM(type = 'pageview'),
         strftime('%Y-%m-%d %H:%M:%S', MIN(ts) / 1000.0, 'unixepoch'),
         strftime('%Y-%m-%d %H:%M:%S', MAX(ts) / 1000.0, 'unixepoch'),
         CAST(ROUND(SUM(engaged_ms) / 1000.0) AS INTEGER)
       FROM events
       WHERE rowid > (SELECT MAX(rowid) FROM events) - ?2 AND ingest_id = ?7
       GROUP BY visitor_id
       ON CONFLICT (api_key, visitor_id) DO UPDATE SET
         page_views = COALESCE(visitors.page_views, 0) + excluded.page_views,
         first_seen_at = MIN(COALESCE(visitors.first_seen_at, excluded.first_seen_at), excluded.first_seen_at),
         last_seen_at = MAX(COALESCE(visitors.last_seen_at, excluded.last_seen_at), excluded.last_seen_at),
         total_time_seconds = COALESCE(visitors.total_time_seconds, 0) + excluded.total_time_seconds,
         company = excluded.company,
         location = excluded.location,
         last_role = excluded.last_role,
         website = excluded.website`,
    )
    .bind(context.apiKey, rowCount, enrichment.company, enrichment.location, enrichment.lastRole, website, context.ingestId);
}

/**
 * One statement adding the events *this request* stored to `visitor_days` (per visitor and UTC day of the event,
 * its page views), found as `upsertVisitorsStatement` finds them; for the stats timeline.
 */
export function upsertVisitorDaysStatement(db: D1Database, context: IngestContext, rowCount: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO visitor_days (api_key, visitor_id, day, page_views)
       SELECT ?1, visitor_id, DATE(ts / 1000, 'unixepoch'), SUM(type = 'pageview')
       FROM events
       WHERE rowid > (SELECT MAX(rowid) FROM events) - ?2 AND ingest_id = ?3
       GROUP BY visitor_id, DATE(ts / 1000, 'unixepoch')
       ON CONFLICT (api_key, visitor_id, day) DO UPDATE SET page_views = visitor_days.page_views + excluded.page_views`,
    )
    .bind(context.apiKey, rowCount, context.ingestId);
}

/** The ids the insert statements returned: the events newly stored. */
export function insertedIds(results: readonly (D1Result | undefined)[]): Set<string> {
  const ids = new Set<string>();
  for (const result of results) {
    for (const row of (result?.results ?? []) as { event_id?: unknown }[]) {
      if (typeof row.event_id === 'string') ids.add(row.event_id);
    }
  }
  return ids;
}
