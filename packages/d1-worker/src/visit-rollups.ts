import {
  clearVisitStatements,
  countryLookup,
  dropStatements,
  identityStatements,
  type SqlStatement,
  type StatsEvent,
  seqStatements,
  statsEventOf,
  type TrailmarkEvent,
  visitRollupStatements,
} from '@trailmark/protocol';
import { claimStatements, guardFailed, storedEvent } from './visit-fold.js';

/**
 * Rebuilding visits from all their stored events (migration 0008), where the incremental fold (`visit-fold.ts`)
 * cannot serve: the backfill of events stored before 0008, and the redaction of a visit's rows. One `batch()` per
 * rebuild empties the visit's rows and writes them again, guarded by the visit's `version` (a concurrent rebuild or
 * fold of the same visit fails the guard, rolls back, and is read and written again). The events of the visit
 * still queued for the fold (`visit_pending`) are part of the rebuild: their queue rows are claimed in the same
 * batch, and their drop reports counted.
 */

type SiteEvent = StatsEvent & { site_id: string };

const GUARD_SQL = `INSERT INTO visit_guard (k) SELECT NULL
  WHERE coalesce((SELECT version FROM visits WHERE site_id = ? AND session_id = ?), 0) <> ?`;
const ATTEMPTS = 4;

const prepare = (db: D1Database, { sql, params }: SqlStatement) => db.prepare(sql).bind(...params);

/** A site's visits' stored events, versions and queued rows (the sessions given as a JSON array), in one snapshot. */
async function readVisits(db: D1Database, site: string, sessions: readonly string[]) {
  const list = JSON.stringify(sessions);
  const [events, versions, queued] = await db.batch([
    db
      .prepare('SELECT rowid, ts, payload, user_agent FROM events WHERE site_id = ?1 AND session_id IN (SELECT value FROM json_each(?2))')
      .bind(site, list),
    db
      .prepare('SELECT session_id, version FROM visits WHERE site_id = ?1 AND session_id IN (SELECT value FROM json_each(?2))')
      .bind(site, list),
    db
      .prepare('SELECT session_id, event_rowid FROM visit_pending WHERE site_id = ?1 AND session_id IN (SELECT value FROM json_each(?2))')
      .bind(site, list),
  ]);
  const pending = new Map<string, number[]>();
  for (const row of (queued?.results ?? []) as Array<{ session_id: string; event_rowid: number }>) {
    const rowids = pending.get(row.session_id);
    if (rowids) rowids.push(row.event_rowid);
    else pending.set(row.session_id, [row.event_rowid]);
  }
  const queuedRows = new Set([...pending.values()].flat());
  const bySession = new Map<string, SiteEvent[]>();
  /** Per session, its events still queued for the fold: the rebuild counts their drop reports. */
  const queuedEvents = new Map<string, SiteEvent[]>();
  for (const row of (events?.results ?? []) as Array<{ rowid: number; ts: number; payload: string; user_agent: string | null }>) {
    const stats = storedEvent(row);
    push(bySession, stats.session_id, stats);
    if (queuedRows.has(row.rowid)) push(queuedEvents, stats.session_id, stats);
  }
  const version = new Map(
    ((versions?.results ?? []) as Array<{ session_id: string; version: number }>).map((row) => [row.session_id, row.version]),
  );
  return { bySession, version, pending, queuedEvents };
}

function push<T>(map: Map<string, T[]>, key: string, value: T) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Rebuilds the rollups of a site's visits from their stored events, with `extra` statements in the same batch
 * (the drop reports of the events just stored, the backfill's progress): written once, or not at all.
 */
export async function rebuildVisits(
  db: D1Database,
  site: string,
  sessions: readonly string[],
  extra: readonly SqlStatement[] = [],
): Promise<void> {
  if (sessions.length === 0 && extra.length === 0) return;
  const country = countryLookup();
  for (let attempt = 1; ; attempt++) {
    const { bySession, version, pending, queuedEvents } = await readVisits(db, site, sessions);
    const statements: SqlStatement[] = [];
    for (const session of sessions) {
      const read = version.get(session) ?? 0;
      const events = bySession.get(session) ?? [];
      statements.push({ sql: GUARD_SQL, params: [site, session, read] }, ...clearVisitStatements(site, session));
      statements.push(
        ...visitRollupStatements({ site, session, events: events.filter((e) => e.type !== 'sdk_dropped') }, undefined, country),
      );
      // The visitor's identity (migration 0010): an upsert that keeps the earliest, so a rebuild repeats it harmlessly.
      statements.push(...seqStatements(events), ...identityStatements(events));
      statements.push({ sql: 'UPDATE visits SET version = ? WHERE site_id = ? AND session_id = ?', params: [read + 1, site, session] });
      // Its events still queued are folded by this rebuild: their rows claimed, their drop reports counted here.
      const rowids = pending.get(session);
      if (rowids) statements.push(...claimStatements(site, session, rowids), ...dropStatements(queuedEvents.get(session) ?? []));
    }
    statements.push(...extra);
    try {
      await db.batch(statements.map((statement) => prepare(db, statement)));
      return;
    } catch (error) {
      if (!guardFailed(error) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** Events stored before migration 0008 whose visits one backfill step rebuilds. */
const BACKFILL_ROWS = 2000;

/**
 * One step of the backfill of events stored before migration 0008: the visits of the next rows rebuilt, and the
 * progress moved in the same batch (guarded: a concurrent step of the same rows fails and leaves it to this one).
 * Returns whether rows are left.
 */
export async function backfillStep(db: D1Database): Promise<boolean> {
  const state = await db
    .prepare('SELECT next_rowid, end_rowid FROM visit_backfill WHERE id = 1')
    .first<{ next_rowid: number; end_rowid: number }>();
  if (!state || state.next_rowid >= state.end_rowid) return false;
  const upTo = Math.min(state.next_rowid + BACKFILL_ROWS, state.end_rowid);
  const { results } = await db
    .prepare('SELECT site_id, session_id, type, ts, payload FROM events WHERE rowid > ?1 AND rowid <= ?2')
    .bind(state.next_rowid, upTo)
    .all<{ site_id: string; session_id: string; type: string; ts: number; payload: string }>();
  const bySite = new Map<string, { sessions: Set<string>; drops: SiteEvent[] }>();
  for (const row of results) {
    let site = bySite.get(row.site_id);
    if (!site) {
      site = { sessions: new Set(), drops: [] };
      bySite.set(row.site_id, site);
    }
    site.sessions.add(row.session_id);
    if (row.type === 'sdk_dropped')
      site.drops.push({ ...statsEventOf(JSON.parse(row.payload) as TrailmarkEvent, row.ts), site_id: row.site_id });
  }
  const progress: SqlStatement[] = [
    {
      sql: 'INSERT INTO visit_guard (k) SELECT NULL WHERE (SELECT next_rowid FROM visit_backfill WHERE id = 1) <> ?',
      params: [state.next_rowid],
    },
    { sql: 'UPDATE visit_backfill SET next_rowid = ? WHERE id = 1', params: [upTo] },
  ];
  // The drop reports and the progress go with the last site's rebuild: a failure before it repeats the step, whose
  // rebuilds are idempotent, and nothing is counted twice.
  const sites = [...bySite];
  const last = [...sites.flatMap(([, { drops }]) => dropStatements(drops)), ...progress];
  if (sites.length === 0) await db.batch(last.map((statement) => prepare(db, statement)));
  for (const [index, [site, { sessions }]] of sites.entries()) {
    await rebuildVisits(db, site, [...sessions], index === sites.length - 1 ? last : []).catch((error) => {
      if (!guardFailed(error)) throw error;
    });
  }
  return upTo < state.end_rowid;
}
