import { identityRebuildStatements, type SqliteEventColumns } from '@trailmark/protocol';
import type { Database } from 'better-sqlite3';

/** The receiver's events: the visitor id inside the JSON (`data`). */
const EVENTS: SqliteEventColumns = { visitor: "json_extract(data, '$.visitor_id')", json: 'data' };

/**
 * Derives the identities of `visitors` again from the identifying events stored at or after `since` (migration 007's
 * table; `identityRebuildStatements`), in the caller's transaction: retention's, where a row's identification is as
 * old as the visits kept, and the redact job's, where today's rules redact a row's user id.
 */
export function rebuildIdentities(db: Database, visitors: ReadonlyArray<readonly [string, string]>, since: number): void {
  for (const { sql, params } of identityRebuildStatements(EVENTS, visitors, since)) db.prepare(sql).run(...params);
}
