import {
  countryLookup,
  dropStatements,
  groupByVisit,
  identityStatements,
  type SqlStatement,
  type StatsEvent,
  type StoredVisit,
  seqStatements,
  statsEventOf,
  type TrailmarkEvent,
  visitRollupStatements,
} from '@trailmark/protocol';
import type { IngestContext } from './store-events.js';

/**
 * The incremental visit rollups on D1 (migration 0013), as the reference receiver keeps them: a visit's stored fold
 * state plus its new events, never its old ones. D1 has no transaction that spans a read and a write, and a visit's
 * columns are not all foldable in SQL (its source is classified from the first event's referrer and the entry
 * page's URL together; its bot verdict from the whole fold), so the fold is the shared JS one, made safe this way:
 * 1. the batch that stores events also queues the ones it stored in `visit_pending` (`queueStoredStatement`): one
 *    transaction, so duplicates are never queued and a stored event is never left unqueued;
 * 2. `foldVisits` reads the visits' states and queued events (O(the queued events)), folds them, and writes the
 *    rollups, deletes the queue rows and bumps each visit's `version` in one batch, guarded: the batch fails and
 *    rolls back when a visit's version moved (another fold or a rebuild wrote it since the read) or a queued row it
 *    read is gone (another fold took it), and is read and folded again. A fold that loses every attempt leaves its
 *    rows queued for the next fold of the visit or the sweep (`foldPendingStep`); nothing is counted twice or lost.
 */

const ATTEMPTS = 4;
/** Visits one sweep step folds. */
const SWEEP_VISITS = 100;

type SiteEvent = StatsEvent & { site_id: string };

const VERSION_GUARD = `INSERT INTO visit_guard (k) SELECT NULL
  WHERE coalesce((SELECT version FROM visits WHERE site_id = ? AND session_id = ?), 0) <> ?`;
const CLAIM_GUARD = `INSERT INTO visit_guard (k) SELECT NULL WHERE (SELECT count(*) FROM visit_pending
  WHERE site_id = ?1 AND session_id = ?2 AND event_rowid IN (SELECT value FROM json_each(?3))) <> ?4`;
const CLAIM_DELETE =
  'DELETE FROM visit_pending WHERE site_id = ?1 AND session_id = ?2 AND event_rowid IN (SELECT value FROM json_each(?3))';

/** Whether a batch failed on a guard of `visit_guard` (another writer got there first). */
export const guardFailed = (error: unknown) => String((error as Error)?.message ?? error).includes('visit_guard');

const prepare = (db: D1Database, { sql, params }: SqlStatement) => db.prepare(sql).bind(...params);

/**
 * The statement that queues the events *this request* stored for their visits' fold, found as the visitor upserts
 * find them (`upsertVisitorsStatement`: the last `rowCount` rowids, this request's `ingest_id`). Runs in the insert's
 * `batch()`, after the inserts.
 */
export function queueStoredStatement(db: D1Database, context: IngestContext, rowCount: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO visit_pending (site_id, session_id, event_rowid)
       SELECT site_id, session_id, rowid FROM events
       WHERE rowid > (SELECT MAX(rowid) FROM events) - ?1 AND ingest_id = ?2`,
    )
    .bind(rowCount, context.ingestId);
}

/** A visit's guard (its `version` is still `read`) and its bump, to put before and after a write of its rows. */
export function versionStatements(site: string, session: string, read: number): [SqlStatement, SqlStatement] {
  return [
    { sql: VERSION_GUARD, params: [site, session, read] },
    { sql: 'UPDATE visits SET version = version + 1 WHERE site_id = ? AND session_id = ?', params: [site, session] },
  ];
}

/** A queued row's visit's claim: the rows read (their rowids) and the events still stored among them. */
interface Claim {
  rowids: number[];
  events: SiteEvent[];
}

/** The statements that claim a visit's queued rows: guarded (they are all still queued) and deleted. */
export function claimStatements(site: string, session: string, rowids: readonly number[]): SqlStatement[] {
  const list = JSON.stringify(rowids);
  return [
    { sql: CLAIM_GUARD, params: [site, session, list, rowids.length] },
    { sql: CLAIM_DELETE, params: [site, session, list] },
  ];
}

/** The stats' view of a stored event row. */
export function storedEvent(row: { ts: number; payload: string; user_agent: string | null }): SiteEvent {
  const event = JSON.parse(row.payload) as TrailmarkEvent;
  return { ...statsEventOf(event, row.ts, row.user_agent), site_id: event.site_id };
}

/** The two reads of a site's visits' queued events and stored states, for one batch (one snapshot). */
function readStatements(db: D1Database, site: string, sessions: readonly string[]): D1PreparedStatement[] {
  const list = JSON.stringify(sessions);
  return [
    db
      .prepare(
        `SELECT p.session_id, p.event_rowid, e.ts, e.payload, e.user_agent FROM visit_pending p
         LEFT JOIN events e ON e.rowid = p.event_rowid
         WHERE p.site_id = ?1 AND p.session_id IN (SELECT value FROM json_each(?2))`,
      )
      .bind(site, list),
    db
      .prepare(
        `SELECT s.session_id, s.state, v.start_ts, v.visitor_id, v.bot, v.version FROM visit_states s
         JOIN visits v ON v.site_id = s.site_id AND v.session_id = s.session_id
         WHERE s.site_id = ?1 AND s.session_id IN (SELECT value FROM json_each(?2))`,
      )
      .bind(site, list),
  ];
}

/** What `readStatements` read: each visit's claim and stored row. */
function claimsOf([queued, states]: readonly (D1Result | undefined)[]) {
  const claims = new Map<string, Claim>();
  type QueuedRow = { session_id: string; event_rowid: number; ts: number | null; payload: string | null; user_agent: string | null };
  for (const row of (queued?.results ?? []) as QueuedRow[]) {
    let claim = claims.get(row.session_id);
    if (!claim) {
      claim = { rowids: [], events: [] };
      claims.set(row.session_id, claim);
    }
    claim.rowids.push(row.event_rowid);
    // A row whose event is gone (retention, redaction) is claimed and deleted, with nothing to fold.
    if (row.payload !== null && row.ts !== null)
      claim.events.push(storedEvent({ ts: row.ts, payload: row.payload, user_agent: row.user_agent }));
  }
  const stored = new Map<string, StoredVisit & { version: number }>();
  for (const row of (states?.results ?? []) as Array<StoredVisit & { session_id: string; version: number }>)
    stored.set(row.session_id, row);
  return { claims, stored };
}

/**
 * Folds the queued events of a site's visits into their rollups (see the module comment). Resolves once nothing of
 * theirs read is left queued, or after the last attempt lost to another writer (the rows stay queued). `read`: the
 * first attempt's reads (`readStatements`), when the caller ran them at the end of its own batch.
 */
export async function foldVisits(
  db: D1Database,
  site: string,
  sessions: readonly string[],
  read?: readonly (D1Result | undefined)[],
): Promise<void> {
  if (sessions.length === 0) return;
  const country = countryLookup();
  for (let attempt = 1; ; attempt++) {
    const { claims, stored } = claimsOf(attempt === 1 && read ? read : await db.batch(readStatements(db, site, sessions)));
    if (claims.size === 0) return;
    const statements: SqlStatement[] = [];
    const events: SiteEvent[] = [];
    for (const [session, claim] of claims) {
      const visit = stored.get(session);
      const [guard, bump] = versionStatements(site, session, visit?.version ?? 0);
      statements.push(guard, ...claimStatements(site, session, claim.rowids));
      for (const group of groupByVisit(claim.events)) statements.push(...visitRollupStatements(group, visit, country));
      statements.push(bump);
      for (const event of claim.events) events.push(event);
    }
    // Sequence numbers and drop reports add up, identities keep the earliest: each counts the claimed events once.
    statements.push(...seqStatements(events), ...dropStatements(events), ...identityStatements(events));
    try {
      await db.batch(statements.map((statement) => prepare(db, statement)));
      return;
    } catch (error) {
      if (!guardFailed(error)) throw error;
      if (attempt >= ATTEMPTS) {
        console.warn(`trailmark d1-worker: visit fold of ${claims.size} visits left queued after ${ATTEMPTS} attempts`);
        return;
      }
    }
  }
}

/** Sessions by site. */
function sessionsBySite(events: Iterable<{ site_id: string; session_id: string }>): Map<string, string[]> {
  const bySite = new Map<string, Set<string>>();
  for (const event of events) {
    const sessions = bySite.get(event.site_id);
    if (sessions) sessions.add(event.session_id);
    else bySite.set(event.site_id, new Set([event.session_id]));
  }
  return new Map([...bySite].map(([site, sessions]) => [site, [...sessions]]));
}

/** Folds the visits of these events (any sites). */
export async function foldStored(db: D1Database, stored: Iterable<{ site_id: string; session_id: string }>): Promise<void> {
  for (const [site, sessions] of sessionsBySite(stored)) await foldVisits(db, site, sessions);
}

/**
 * The fold of a batch's visits with its first reads taken at the end of the storing `batch()` (`statements`, after
 * the queue statement: the same snapshot, and no round trip of their own). `fold` is given those statements' results.
 */
export function foldAfterBatch(
  db: D1Database,
  events: Iterable<{ site_id: string; session_id: string }>,
): { statements: D1PreparedStatement[]; fold(results: readonly (D1Result | undefined)[]): Promise<void> } {
  const sites = [...sessionsBySite(events)];
  return {
    statements: sites.flatMap(([site, sessions]) => readStatements(db, site, sessions)),
    async fold(results) {
      for (const [index, [site, sessions]] of sites.entries())
        await foldVisits(db, site, sessions, results.slice(index * 2, index * 2 + 2));
    },
  };
}

/**
 * One sweep step: the visits of up to `SWEEP_VISITS` queued rows folded (those a failed or outrun fold left).
 * Returns whether rows were found (call again until false). Before each stats read and from the cron trigger.
 */
export async function foldPendingStep(db: D1Database): Promise<boolean> {
  const { results } = await db
    .prepare('SELECT DISTINCT site_id, session_id FROM visit_pending LIMIT ?1')
    .bind(SWEEP_VISITS)
    .all<{ site_id: string; session_id: string }>();
  if (results.length === 0) return false;
  await foldStored(db, results);
  return true;
}
