import { afterEach, describe, expect, it } from 'vitest';
import { manageSchema } from '../src/db.js';
import { appliedMigrations, migrate } from '../src/migrate.js';
import { BACKENDS, createTestDb, type TestDb } from './helpers.js';

const ALL = ['01_init.sql', '02_analytics.sql', '03_procedures.sql'];

describe.each(BACKENDS)('migrations on %s', (kind) => {
  let t: TestDb | undefined;
  afterEach(async () => {
    await t?.drop();
    t = undefined;
  });

  it('applies every file in order, records it, and applies nothing the second time', async () => {
    t = await createTestDb(kind, { migrated: false });
    expect(await appliedMigrations(t.db)).toEqual([]);
    expect(await migrate(t.db)).toEqual(ALL);
    expect(await appliedMigrations(t.db)).toEqual(ALL);
    expect(await migrate(t.db)).toEqual([]);
    // event_id is unique: the idempotency key every retry relies on.
    const insert = `INSERT INTO events_log (event_id, event_type, session_id, visitor_id, site_id, "timestamp", raw_event_data)
      VALUES ('0190a0b0-0000-7000-8000-0000000000aa', 'pageview', 's', 'v', 'demo', NOW(), '{}')`;
    await t.db.exec(insert);
    await expect(t.db.exec(insert)).rejects.toThrow(/duplicate key|unique/);
    const relations = await t.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
       WHERE c.relkind IN ('r', 'v') AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
       ORDER BY 1`,
    );
    expect(relations.map((row) => row.name)).toEqual([
      'active_sessions',
      'daily_site_metrics',
      'events_log',
      'form_submissions',
      'page_performance',
      'pageviews',
      'schema_migrations',
      'traffic_platforms',
      'traffic_sources',
      'user_events',
      'user_sessions',
    ]);
    const procedures = await t.db.query<{ name: string }>(
      `SELECT proname AS name FROM pg_proc WHERE prokind = 'p'
       AND pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1`,
    );
    expect(procedures.map((row) => row.name)).toEqual([
      'calculate_daily_metrics',
      'cleanup_processed_events',
      'process_events_batch',
      'update_active_sessions',
    ]);
  });

  it('applies each file once when two processes migrate at the same time (advisory lock)', async () => {
    t = await createTestDb(kind, { migrated: false });
    const second = await t.open();
    const [a, b] = await Promise.all([migrate(t.db), migrate(second)]);
    expect([...a, ...b].sort()).toEqual(ALL);
    expect(await appliedMigrations(t.db)).toEqual(ALL);
  });
});

describe('manageSchema', () => {
  it('refuses a schema name that is not a plain identifier, before connecting anywhere', async () => {
    for (const name of ['public; DROP TABLE events_log', 'Upper', '1abc', 'a'.repeat(64), ''])
      await expect(manageSchema('postgres://127.0.0.1:1/none', 'create', name)).rejects.toThrow(/invalid schema name/);
  });
});
