import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { MIGRATIONS_DIR } from './paths.js';

/**
 * Applies every `NNN_name.sql` file not yet recorded in `schema_migrations`, in name order, each in its
 * own transaction together with its record (and the step in `after` that fills what it created), so a crash mid-migration leaves the previous schema intact.
 * Returns the names applied by this call.
 */
export function migrate(db: Database, dir: string = MIGRATIONS_DIR, after: Record<string, (db: Database) => void> = {}): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT name FROM schema_migrations').all() as Array<{ name: string }>).map((row) => row.name));
  const files = readdirSync(dir)
    .filter((name) => /^\d+_.+\.sql$/.test(name))
    .sort();
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  const applied: string[] = [];
  for (const name of files) {
    if (done.has(name)) continue;
    const sql = readFileSync(`${dir}/${name}`, 'utf8');
    db.transaction(() => {
      db.exec(sql);
      after[name]?.(db);
      record.run(name, Date.now());
    })();
    applied.push(name);
  }
  return applied;
}
