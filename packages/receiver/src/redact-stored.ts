import { agentClass, createRedactor, type PropValue, type TrailmarkEvent } from '@trailmark/protocol';
import type { Database } from 'better-sqlite3';
import { rebuildIdentities } from './identities.js';

/** What a run over stored data changed. */
export interface RedactStoredResult {
  /** Events read, and those whose JSON or user agent changed. */
  events: number;
  eventsChanged: number;
  /** Rollup rows whose key (a props dimension's value) was redacted, merged into the redacted key's row. */
  rollupsChanged: number;
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
 * the same rules, its count merged into the redacted key's, and every identity's user id (`visitor_users`, after the
 * events: a redacted user id identifies no one). Idempotent: a second run changes nothing.
 */
export function redactStored(db: Database): RedactStoredResult {
  const redactor = createRedactor();
  const result: RedactStoredResult = { events: 0, eventsChanged: 0, rollupsChanged: 0, identitiesChanged: 0 };
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
  result.identitiesChanged = redactIdentities(db, redactor.value);
  return result;
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
