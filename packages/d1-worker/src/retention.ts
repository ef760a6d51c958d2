import { numberVar } from './env.js';
import { identityStep } from './identities.js';

const DAY_MS = 86_400_000;
/** The protocol accepts events up to 7 days old; the `events` table is what recognises such a late retry as a duplicate. */
export const MIN_RETENTION_DAYS = 8;
/** Rows deleted per statement, so one cleanup step never holds D1's single writer for long. */
const CHUNK = 5000;

/** What a cleanup removed. */
export interface RetentionResult {
  days: number;
  deleted: number;
  /** Identities (`visitor_users`) whose identification went with the events: derived again or removed. */
  identities: number;
}

/**
 * Deletes raw events older than `EVENT_RETENTION_DAYS` (default 30, at least 8; "0" keeps everything), site by
 * site through the `(site_id, ts)` index, a chunk per statement. An identity (`visitor_users`, migration 0010) goes
 * with the event it came from: one identified before the cutoff is derived again from the visitor's identifying
 * events still stored (a visitor identified again since keeps it), or removed, so a user id is kept no longer than
 * the events that carry it. Visitor rows and visit rollups are the long-term record and are kept. Runs from the
 * Worker's cron trigger (`scheduled`), never on a request's path.
 */
export async function runRetention(db: D1Database, retentionDays: string | undefined, now = Date.now()): Promise<RetentionResult> {
  const configured = numberVar(retentionDays, 30);
  if (configured === 0) return { days: 0, deleted: 0, identities: 0 };
  const days = Math.max(configured, MIN_RETENTION_DAYS);
  const before = now - days * DAY_MS;
  const sites = await db.prepare('SELECT DISTINCT site_id FROM api_keys').all<{ site_id: string }>();
  const remove = db.prepare('DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE site_id = ?1 AND ts < ?2 LIMIT ?3)');
  let deleted = 0;
  let identities = 0;
  for (const { site_id } of sites.results) {
    for (;;) {
      const result = await remove.bind(site_id, before, CHUNK).run();
      const changes = result.meta.changes ?? 0;
      deleted += changes;
      if (changes < CHUNK) break;
    }
    // One walk through the site's identities: a row derived again is newer than the cutoff.
    for (let after: string | undefined = ''; after !== undefined; ) {
      const step = await identityStep(db, site_id, after, before, (row) => row.ts < before);
      identities += step.changed;
      after = step.next;
    }
  }
  return { days, deleted, identities };
}
