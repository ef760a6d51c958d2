import type { TrailmarkEvent } from '@trailmark/protocol';
import type { Queryable } from './db.js';

/** Request-wide facts stored beside each event. */
export interface InsertMeta {
  /** Server clock minus client clock (ms), added to every `ts`. */
  skewMs: number;
  userAgent: string | null;
  /** Already truncated as configured. */
  ip: string | null;
}

/** How one request's events reach `events_log`: both are a single statement. */
export type InsertStrategy = 'unnest' | 'json';

/**
 * Thrown when the database could not store a batch (unreachable, failing, timed out). The server answers 503 with
 * `Retry-After`: the batch is one statement, so nothing of it was stored and the client may send it again.
 */
export class StorageError extends Error {
  override name = 'StorageError';
}

const COLUMNS = 'event_id, event_type, session_id, visitor_id, site_id, "timestamp", url, path, user_agent, ip_address, raw_event_data';

// Rows go in event_id order: two requests carrying overlapping ids (two tabs sending one queue) then take the
// unique-index entries in the same order and wait for each other instead of deadlocking.
const UNNEST_SQL = `INSERT INTO events_log (${COLUMNS})
SELECT t.event_id, t.event_type, t.session_id, t.visitor_id, t.site_id, t.at, t.url, t.path, $9, $10::inet, t.raw
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $11::jsonb[])
  AS t(event_id, event_type, session_id, visitor_id, site_id, at, url, path, raw)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text`;

const JSON_SQL = `INSERT INTO events_log (${COLUMNS})
SELECT (e->>'event_id')::uuid, e->>'type', e->>'session_id', e->>'visitor_id', e->>'site_id',
       to_timestamp(((e->>'ts')::numeric + $2) / 1000.0), e->>'url', e->>'path', $3, $4::inet, e
FROM jsonb_array_elements($1::jsonb) AS e
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text`;

/**
 * Inserts validated events into `events_log` in ONE statement with `ON CONFLICT (event_id) DO NOTHING`, and
 * returns the ids (lower case) this call stored; every other id was there already. Throws `StorageError`.
 */
export async function insertEvents(
  db: Queryable,
  events: readonly TrailmarkEvent[],
  meta: InsertMeta,
  strategy: InsertStrategy = 'unnest',
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const sorted = events
    .map((event) => ({ key: event.event_id.toLowerCase(), event }))
    .sort((a, b) => compare(a.key, b.key))
    .map((entry) => entry.event);
  let rows: Array<{ event_id: string }>;
  try {
    rows = strategy === 'json' ? await insertJson(db, sorted, meta) : await insertUnnest(db, sorted, meta);
  } catch (error) {
    throw new StorageError(`storing ${events.length} events failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return new Set(rows.map((row) => row.event_id));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Which of these (lower-cased) event ids `events_log` holds for the site: the answer to the SDK's check. Ids that are
 * not UUIDs cannot be stored here, so they are not asked about. Throws `StorageError`.
 */
export async function storedIds(db: Queryable, siteId: string, ids: readonly string[]): Promise<string[]> {
  const uuids = ids.filter((id) => UUID.test(id));
  if (uuids.length === 0) return [];
  try {
    const rows = await db.query<{ event_id: string }>(
      'SELECT event_id::text FROM events_log WHERE site_id = $1 AND event_id = ANY($2::uuid[])',
      [siteId, uuids],
    );
    return rows.map((row) => row.event_id);
  } catch (error) {
    throw new StorageError(`checking ${uuids.length} event ids failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

function insertUnnest(db: Queryable, events: readonly TrailmarkEvent[], meta: InsertMeta) {
  const column = <T>(pick: (event: TrailmarkEvent) => T) => events.map(pick);
  return db.query<{ event_id: string }>(UNNEST_SQL, [
    column((e) => e.event_id),
    column((e) => e.type),
    column((e) => e.session_id),
    column((e) => e.visitor_id),
    column((e) => e.site_id),
    column((e) => new Date(e.ts + meta.skewMs).toISOString()),
    column((e) => e.url),
    column((e) => e.path),
    meta.userAgent,
    meta.ip,
    column((e) => JSON.stringify(e)),
  ]);
}

function insertJson(db: Queryable, events: readonly TrailmarkEvent[], meta: InsertMeta) {
  return db.query<{ event_id: string }>(JSON_SQL, [JSON.stringify(events), meta.skewMs, meta.userAgent, meta.ip]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
