import { identityRebuildStatements, type SqliteEventColumns } from '@trailmark/protocol';

/** The Worker's events: the visitor id a column, the event's JSON in `payload`. */
const EVENTS: SqliteEventColumns = { visitor: 'visitor_id', json: 'payload' };
/** Identities read per statement: their JSON list stays far under D1's 2 MB limit on a bound string. */
export const IDENTITY_CHUNK = 500;

/**
 * Derives the identities of `visitors` of `site` again from the identifying events stored at or after `since`
 * (migration 0010's table; `identityRebuildStatements`), in one D1 batch (one transaction).
 */
export async function rebuildIdentities(db: D1Database, site: string, visitors: readonly string[], since: number): Promise<void> {
  const statements = identityRebuildStatements(
    EVENTS,
    visitors.map((visitor) => [site, visitor] as const),
    since,
  );
  if (statements.length > 0) await db.batch(statements.map(({ sql, params }) => db.prepare(sql).bind(...params)));
}

/**
 * One site's identities after `after` (by visitor id), a chunk, with the visitors of those `doomed` chooses derived
 * again from the events stored at or after `since`. Returns the chunk's last visitor id (undefined at the end), how
 * many rows it read and how many it derived again: a caller walks the table once, whatever the number it changes.
 */
export async function identityStep(
  db: D1Database,
  site: string,
  after: string,
  since: number,
  doomed: (row: { visitor_id: string; user_id: string; ts: number }) => boolean,
): Promise<{ next: string | undefined; read: number; changed: number }> {
  const rows = await db
    .prepare('SELECT visitor_id, user_id, ts FROM visitor_users WHERE site_id = ?1 AND visitor_id > ?2 ORDER BY visitor_id LIMIT ?3')
    .bind(site, after, IDENTITY_CHUNK)
    .all<{ visitor_id: string; user_id: string; ts: number }>();
  const chosen = rows.results.filter(doomed).map((row) => row.visitor_id);
  await rebuildIdentities(db, site, chosen, since);
  const next = rows.results.length < IDENTITY_CHUNK ? undefined : rows.results[rows.results.length - 1]?.visitor_id;
  return { next, read: rows.results.length, changed: chosen.length };
}
