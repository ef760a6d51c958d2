import {
  agentClass,
  createRedactor,
  type PropValue,
  type Redactor,
  redactDropStatements,
  redactVisitStatements,
  type SqlStatement,
  type StoredVisitRows,
  type TrailmarkEvent,
  VISIT_TEXT_TABLES,
  visitFirstEventId,
  visitRowsFrom,
} from '@trailmark/protocol';
import type { Database, Statement } from 'better-sqlite3';
import { rebuildIdentities } from './identities.js';
import { createVisitRollups, storedStatsEvent } from './visit-rollups.js';

/** What a run over stored data changed. */
export interface RedactStoredResult {
  /** Events read, and those whose JSON or user agent changed. */
  events: number;
  eventsChanged: number;
  /**
   * Hourly rollup rows whose key (a props dimension's value) was redacted, merged into the redacted key's row, and
   * drop reports whose reason was.
   */
  rollupsChanged: number;
  /**
   * Visits whose per-visit rollups (`visits`, `visit_states`, `visit_pages`, `visit_links`, `visit_goal_props`) held
   * a value the rules change: rebuilt from their redacted events, or redacted column by column where retention took
   * their first events.
   */
  visitsChanged: number;
  /**
   * Identities (`visitor_users`) whose user id the rules now redact: each derived again from the visitor's events as
   * now stored (its earliest identification the rules leave whole), or removed.
   */
  identitiesChanged: number;
}

/** Rows read and rewritten per transaction: a large store is redacted without holding one long write lock. */
const CHUNK = 1000;

/**
 * Today's rules over data stored before them (`trailmark-receiver redact`): every event's JSON through the
 * protocol's redactor, its user agent as its class (`agentClass`), every rollup key of a props dimension through
 * the same rules, its count merged into the redacted key's, every visit's rollups (after the events: a visit whose
 * rows the rules change is rebuilt from its redacted events, as the store keeps it, or redacted column by column
 * where retention took its first events: `redactVisitStatements`), the drop reports' reasons, and every identity's
 * user id (`visitor_users`: a redacted user id identifies no one). Idempotent: a second run changes nothing.
 */
export function redactStored(db: Database): RedactStoredResult {
  const redactor = createRedactor();
  const result: RedactStoredResult = { events: 0, eventsChanged: 0, rollupsChanged: 0, visitsChanged: 0, identitiesChanged: 0 };
  const read = db.prepare('SELECT id, data, user_agent FROM events WHERE id > ? ORDER BY id LIMIT ?');
  const write = db.prepare('UPDATE events SET data = ?, user_agent = ? WHERE id = ?');
  let after = 0;
  for (;;) {
    const rows = read.all(after, CHUNK) as Array<{ id: number; data: string; user_agent: string | null }>;
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const row of rows) {
        const data = JSON.stringify(redactor.event(JSON.parse(row.data) as TrailmarkEvent));
        const agent = agentClass(row.user_agent);
        if (data !== row.data || agent !== row.user_agent) {
          write.run(data, agent, row.id);
          result.eventsChanged++;
        }
      }
    })();
    result.events += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  const keys = db.prepare("SELECT site_id, hour, dimension, key, count FROM rollups WHERE dimension LIKE 'dim:%'").all() as Array<{
    site_id: string;
    hour: number;
    dimension: string;
    key: string;
    count: number;
  }>;
  const remove = db.prepare('DELETE FROM rollups WHERE site_id = ? AND hour = ? AND dimension = ? AND key = ?');
  const merge = db.prepare(
    `INSERT INTO rollups (site_id, hour, dimension, key, count) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (site_id, hour, dimension, key) DO UPDATE SET count = rollups.count + excluded.count`,
  );
  db.transaction(() => {
    for (const row of keys) {
      const key = redactor.value(row.key) as string;
      if (key === row.key) continue;
      remove.run(row.site_id, row.hour, row.dimension, row.key);
      merge.run(row.site_id, row.hour, row.dimension, key, row.count);
      result.rollupsChanged++;
    }
  })();
  result.visitsChanged = redactVisits(db, redactor);
  result.rollupsChanged += redactDrops(db, redactor);
  result.identitiesChanged = redactIdentities(db, redactor.value);
  return result;
}

/** Visits rebuilt from their events per pass over the events (their events are held in memory meanwhile). */
const REBUILD_CHUNK = 5000;

/**
 * Every visit's rollups, a chunk of visits (by key) per transaction: one whose rows the rules change is rebuilt from
 * its events when its first event is still stored (retention deletes by time, so then they all are), else its rows
 * are redacted column by column. Returns the visits changed.
 */
function redactVisits(db: Database, redactor: Redactor): number {
  const read = db.prepare(
    'SELECT site_id, session_id, state FROM visit_states WHERE (site_id, session_id) > (?, ?) ORDER BY site_id, session_id LIMIT ?',
  );
  const stored = db.prepare('SELECT 1 FROM events WHERE event_id = ?');
  const tables = VISIT_TEXT_TABLES.map(
    (table) => [table, db.prepare(`SELECT * FROM ${visitRowsFrom(table)} WHERE site_id = ? AND session_id = ?`)] as const,
  );
  const rebuild = visitRebuilder(db);
  const run = statementRunner(db);
  let changed = 0;
  for (let after: [string, string] = ['', '']; ; ) {
    const rows = read.all(...after, CHUNK) as Array<{ site_id: string; session_id: string; state: string }>;
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const { site_id: site, session_id: session, state } of rows) {
        const visit = Object.fromEntries(tables.map(([table, select]) => [table, select.all(site, session)])) as unknown as StoredVisitRows;
        const statements = redactVisitStatements(site, session, visit, redactor);
        if (statements.length === 0) continue;
        changed++;
        if (stored.get(visitFirstEventId(state))) rebuild.add(site, session);
        else run(statements);
      }
    })();
    const last = rows[rows.length - 1] as { site_id: string; session_id: string };
    after = [last.site_id, last.session_id];
  }
  rebuild.flush();
  return changed;
}

/**
 * Rebuilds visits from their events, `REBUILD_CHUNK` visits per pass over the events: the events table has no index
 * by session, and a visit's time range holds every visit open at the same time (one range scan per visit would
 * read a busy site's events once per visit).
 */
function visitRebuilder(db: Database): { add(site: string, session: string): void; flush(): void } {
  const rollups = createVisitRollups(db);
  const pending: Array<[string, string]> = [];
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS redact_visits (site_id TEXT NOT NULL, session_id TEXT NOT NULL,
    PRIMARY KEY (site_id, session_id)) WITHOUT ROWID`);
  const insert = db.prepare('INSERT OR IGNORE INTO temp.redact_visits (site_id, session_id) VALUES (?, ?)');
  const read = db.prepare(`SELECT e.data, e.ts, e.user_agent FROM events e WHERE EXISTS (SELECT 1 FROM temp.redact_visits r
    WHERE r.site_id = e.site_id AND r.session_id = e.session_id) ORDER BY e.id`);
  const flush = () => {
    if (pending.length === 0) return;
    db.transaction(() => {
      db.exec('DELETE FROM temp.redact_visits');
      for (const [site, session] of pending) insert.run(site, session);
      const bySession = new Map<string, Array<ReturnType<typeof storedStatsEvent>>>();
      for (const row of read.all() as Array<{ data: string; ts: number; user_agent: string | null }>) {
        const event = storedStatsEvent(JSON.parse(row.data) as TrailmarkEvent, row.ts, row.user_agent);
        const key = `${event.site_id}\u0000${event.session_id}`;
        const list = bySession.get(key);
        if (list) list.push(event);
        else bySession.set(key, [event]);
      }
      for (const [site, session] of pending) rollups.rebuild(site, session, bySession.get(`${site}\u0000${session}`) ?? []);
    })();
    pending.length = 0;
  };
  return {
    add(site, session) {
      pending.push([site, session]);
      if (pending.length >= REBUILD_CHUNK) flush();
    },
    flush,
  };
}

/** The drop reports' reasons (per site and time, no visit), a chunk of rows per transaction. */
function redactDrops(db: Database, redactor: Redactor): number {
  const read = db.prepare(
    'SELECT site_id, ts, reason, dropped FROM drop_reports WHERE (site_id, ts, reason) > (?, ?, ?) ORDER BY site_id, ts, reason LIMIT ?',
  );
  const run = statementRunner(db);
  let changed = 0;
  for (let after: [string, number, string] = ['', 0, '']; ; ) {
    const rows = read.all(...after, CHUNK) as Array<{ site_id: string; ts: number; reason: string; dropped: number }>;
    if (rows.length === 0) return changed;
    const statements = redactDropStatements(rows, redactor);
    db.transaction(() => run(statements))();
    changed += statements.length / 2;
    const last = rows[rows.length - 1] as { site_id: string; ts: number; reason: string };
    after = [last.site_id, last.ts, last.reason];
  }
}

/** Runs statements, each prepared once. */
function statementRunner(db: Database): (statements: readonly SqlStatement[]) => void {
  const prepared = new Map<string, Statement>();
  return (statements) => {
    for (const { sql, params } of statements) {
      let statement = prepared.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        prepared.set(sql, statement);
      }
      statement.run(...params);
    }
  };
}

/** The identities whose user id the rules change, derived again from the (redacted) events, a chunk at a time. */
function redactIdentities(db: Database, value: (input: string) => PropValue): number {
  const read = db.prepare(
    'SELECT site_id, visitor_id, user_id FROM visitor_users WHERE (site_id, visitor_id) > (?, ?) ORDER BY site_id, visitor_id LIMIT ?',
  );
  let changed = 0;
  for (let after: [string, string] = ['', '']; ; ) {
    const rows = read.all(...after, CHUNK) as Array<{ site_id: string; visitor_id: string; user_id: string }>;
    if (rows.length === 0) return changed;
    const doomed = rows.filter((row) => value(row.user_id) !== row.user_id).map((row) => [row.site_id, row.visitor_id] as const);
    db.transaction(() => rebuildIdentities(db, doomed, 0))();
    changed += doomed.length;
    const last = rows[rows.length - 1] as { site_id: string; visitor_id: string };
    after = [last.site_id, last.visitor_id];
  }
}
