// Applies packages/d1-worker/migrations/*.sql to a D1 binding (from Miniflare's getD1Database), recording
// each in `d1_migrations` exactly as `wrangler d1 migrations apply` does, so both tools agree on what ran.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of the wrangler migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** Migration file names in the order they apply. */
export function migrationNames(dir = MIGRATIONS_DIR) {
  return readdirSync(dir)
    .filter((name) => /^\d{4}_.+\.sql$/.test(name))
    .sort();
}

/** Splits a migration file into statements: `--` comments dropped, `;` at a line end ends one. */
export function splitStatements(sql) {
  const text = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return text
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter(Boolean);
}

/**
 * Applies the migrations not yet recorded, each in one D1 batch (a transaction), up to and including
 * `until` when given (the rename test stops after 0001 to seed the old table). Returns the names applied.
 */
export async function applyMigrations(db, { dir = MIGRATIONS_DIR, until } = {}) {
  await db
    .prepare(
      'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
    )
    .run();
  const done = new Set((await db.prepare('SELECT name FROM d1_migrations').all()).results.map((row) => row.name));
  const applied = [];
  for (const name of migrationNames(dir)) {
    if (until && name.slice(0, 4) > String(until).slice(0, 4)) break;
    if (done.has(name)) continue;
    const statements = splitStatements(readFileSync(`${dir}${name}`, 'utf8')).map((sql) => db.prepare(sql));
    statements.push(db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(name));
    await db.batch(statements);
    applied.push(name);
  }
  return applied;
}
