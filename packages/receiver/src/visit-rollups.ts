import {
  countryLookup,
  eventRollupStatements,
  groupByVisit,
  READ_VISIT_SQL,
  type SqlStatement,
  type StatsEvent,
  type StoredVisit,
  statsEventOf,
  type TrailmarkEvent,
  VISIT_CHILD_TABLES,
  visitRollupStatements,
} from '@trailmark/protocol';
import type { Database, Statement } from 'better-sqlite3';

/** Keeps the per-visit rollups (migration 005) of the events a transaction stores. */
export interface VisitRollups {
  /** Folds newly stored events (server-time `ts`, their request's user agent) into their visits' rows. */
  add(events: ReadonlyArray<StatsEvent & { site_id: string }>): void;
  /**
   * Writes a visit's rows again from its stored events (all of them: a caller checks its first is still stored),
   * its sequence numbers aside (`visit_seq` holds no text). The redact command's rebuild of a visit it redacted.
   */
  rebuild(site: string, session: string, events: ReadonlyArray<StatsEvent & { site_id: string }>): void;
}

/** The rollup writer over one database, with its statements prepared once each. */
export function createVisitRollups(db: Database): VisitRollups {
  const prepared = new Map<string, Statement>();
  const statement = (sql: string) => {
    let found = prepared.get(sql);
    if (!found) {
      found = db.prepare(sql);
      prepared.set(sql, found);
    }
    return found;
  };
  const country = countryLookup();
  return {
    add(events) {
      for (const { sql, params } of eventRollupStatements(events)) statement(sql).run(...params);
      for (const group of groupByVisit(events)) {
        const stored = statement(READ_VISIT_SQL).get(group.site, group.session) as StoredVisit | undefined;
        for (const { sql, params } of visitRollupStatements(group, stored, country) as SqlStatement[]) statement(sql).run(...params);
      }
    },
    rebuild(site, session, events) {
      for (const table of ['visits', 'visit_states', ...VISIT_CHILD_TABLES]) {
        statement(`DELETE FROM ${table} WHERE site_id = ? AND session_id = ?`).run(site, session);
      }
      const group = { site, session, events: events.filter((event) => event.type !== 'sdk_dropped') };
      for (const { sql, params } of visitRollupStatements(group, undefined, country)) statement(sql).run(...params);
    },
  };
}

/** The stats' view of a stored event, with its site. */
export function storedStatsEvent(
  event: TrailmarkEvent,
  ts: number,
  userAgent: string | null | undefined,
): StatsEvent & { site_id: string } {
  return { ...statsEventOf(event, ts, userAgent), site_id: event.site_id };
}

/**
 * Fills the rollups from the events already stored (run by migration 005 in its transaction), a page of events
 * at a time in storage order, so memory stays bounded whatever the table holds.
 */
export function backfillVisitRollups(db: Database, page = 20_000): void {
  const rollups = createVisitRollups(db);
  const read = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?');
  let after = 0;
  for (;;) {
    const rows = read.all(after, page) as Array<{ id: number; data: string; ts: number; user_agent?: string | null }>;
    if (rows.length === 0) return;
    // After migration 004 of issue 26 there may be no user_agent column: its rows then fold without one.
    rollups.add(rows.map((row) => storedStatsEvent(JSON.parse(row.data) as TrailmarkEvent, row.ts, row.user_agent)));
    after = (rows[rows.length - 1] as { id: number }).id;
  }
}
