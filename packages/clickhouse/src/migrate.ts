import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChStore } from './store.js';

/** The package's `migrations/` folder: plain, ordered `.sql` files. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** The names of the migrations applied to this store. */
export async function appliedMigrations(store: ChStore): Promise<string[]> {
  await store.command(
    'CREATE TABLE IF NOT EXISTS trailmark_migrations (name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY name',
  );
  const rows = await store.query<{ name: string }>('SELECT DISTINCT name FROM trailmark_migrations ORDER BY name');
  return rows.map((row) => row.name);
}

/**
 * Applies the pending migrations in name order, one statement at a time, and records each. Statements are
 * `CREATE … IF NOT EXISTS`, so two processes migrating at once (two loaders starting) both succeed.
 */
export async function migrate(store: ChStore, dir = MIGRATIONS_DIR): Promise<string[]> {
  const applied = new Set(await appliedMigrations(store));
  const pending = readdirSync(dir)
    .filter((name) => name.endsWith('.sql') && !applied.has(name))
    .sort();
  for (const name of pending) {
    const text = readFileSync(`${dir}/${name}`, 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('--'))
      .join('\n');
    for (const statement of text.split(/;\s*(?:\n|$)/)) if (statement.trim()) await store.command(statement);
    await store.insert('trailmark_migrations', [{ name }]);
  }
  return pending;
}
