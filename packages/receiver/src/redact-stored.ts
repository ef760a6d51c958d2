import { agentClass, createRedactor, type TrailmarkEvent } from '@trailmark/protocol';
import type { Database } from 'better-sqlite3';

/** What a run over stored data changed. */
export interface RedactStoredResult {
  /** Events read, and those whose JSON or user agent changed. */
  events: number;
  eventsChanged: number;
  /** Rollup rows whose key (a props dimension's value) was redacted, merged into the redacted key's row. */
  rollupsChanged: number;
}

/** Rows read and rewritten per transaction: a large store is redacted without holding one long write lock. */
const CHUNK = 1000;

/**
 * Today's rules over data stored before them (`trailmark-receiver redact`): every event's JSON through the
 * protocol's redactor, its user agent as its class (`agentClass`), and every rollup key of a props dimension through
 * the same rules, its count merged into the redacted key's. Idempotent: a second run changes nothing.
 */
export function redactStored(db: Database): RedactStoredResult {
  const redactor = createRedactor();
  const result: RedactStoredResult = { events: 0, eventsChanged: 0, rollupsChanged: 0 };
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
  return result;
}
