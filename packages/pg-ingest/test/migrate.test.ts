import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manageSchema } from '../src/db.js';
import { processEventsBatch } from '../src/etl.js';
import { appliedMigrations, MIGRATIONS_DIR, migrate } from '../src/migrate.js';
import { BACKENDS, createTestDb, event, MINUTE, store, type TestDb } from './helpers.js';

const ALL = [
  '01_init.sql',
  '02_analytics.sql',
  '03_procedures.sql',
  '04_visit_rollups.sql',
  '05_report_rollups.sql',
  '06_visitor_users.sql',
  '07_identity_retention.sql',
  '08_seq_gaps.sql',
  '09_session_panels.sql',
  '10_grouped_panels.sql',
  '11_visit_dimensions.sql',
];

/** Applies the first `count` migrations only, as a database made before the later ones. */
async function migrateFirst(t: TestDb, count: number): Promise<void> {
  const before = mkdtempSync(join(tmpdir(), 'tm-migrations-'));
  try {
    for (const name of ALL.slice(0, count)) cpSync(join(MIGRATIONS_DIR, name), join(before, name));
    expect(await migrate(t.db, before)).toEqual(ALL.slice(0, count));
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
}

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
      'drop_reports',
      'events_log',
      'form_submissions',
      'page_performance',
      'pageviews',
      'schema_migrations',
      'traffic_platforms',
      'traffic_sources',
      'user_events',
      'user_sessions',
      'visit_goal_props',
      'visit_links',
      'visit_pages',
      'visit_revenue',
      'visit_seq',
      'visit_signals',
      'visit_vitals',
      'visitor_users',
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

  it('fills visit_pages and visit_vitals from the events of a database migrated before they existed', async () => {
    t = await createTestDb(kind, { migrated: false });
    await migrateFirst(t, 3);
    const at = Date.now() - 60 * MINUTE;
    await store(t.db, [
      event({ session_id: 'old', path: '/a' }, at),
      event({ session_id: 'old', path: '/a' }, at + MINUTE),
      event({ session_id: 'old', path: '/b' }, at + 2 * MINUTE),
      event({ session_id: 'old', type: 'web_vital', props: { name: 'LCP', value: 1500, id: 'v5-1' } }, at + 3 * MINUTE),
      event({ session_id: 'old', type: 'web_vital', props: { name: 'LCP', value: 1700, id: 'v5-1' } }, at + 4 * MINUTE),
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(5);
    expect(await migrate(t.db)).toEqual(ALL.slice(3));
    expect(await t.db.query('SELECT path, visitor_id, session_start, views FROM visit_pages ORDER BY path')).toEqual([
      { path: '/a', visitor_id: 'v1', session_start: new Date(at), views: 2 },
      { path: '/b', visitor_id: 'v1', session_start: new Date(at), views: 1 },
    ]);
    expect(await t.db.query('SELECT name, metric_id, value, session_start FROM visit_vitals')).toEqual([
      { name: 'LCP', metric_id: 'v5-1', value: 1700, session_start: new Date(at) },
    ]);
  });

  it('fills visitor_users from the events of a database migrated before it, and then keeps it from new events', async () => {
    t = await createTestDb(kind, { migrated: false });
    await migrateFirst(t, 5);
    const at = Date.now() - 60 * MINUTE;
    // v1 logs in as u-1 midway (then, on a shared computer, as u-2: the first stands); v2's e-mail id was redacted.
    await store(t.db, [
      event({ session_id: 'a', visitor_id: 'v1' }, at),
      event({ session_id: 'a', visitor_id: 'v1', user_id: 'u-2' }, at + 2 * MINUTE),
      event({ session_id: 'a', visitor_id: 'v1', user_id: 'u-1' }, at + MINUTE),
      event({ session_id: 'b', visitor_id: 'v2', user_id: '[redacted:email]' }, at),
    ]);
    expect(await migrate(t.db)).toEqual(ALL.slice(5));
    const users = () => t?.db.query('SELECT site_id, visitor_id, user_id FROM visitor_users ORDER BY visitor_id');
    expect(await users()).toEqual([{ site_id: 'demo', visitor_id: 'v1', user_id: 'u-1' }]);
    // Later batches: an earlier identification replaces the row, a later one and a repeat leave it.
    await store(t.db, [event({ session_id: 'c', visitor_id: 'v3', user_id: 'u-3' }, at + 5 * MINUTE)]);
    await store(t.db, [event({ session_id: 'c', visitor_id: 'v3', user_id: 'u-4' }, at + 4 * MINUTE)]);
    await store(t.db, [event({ session_id: 'c', visitor_id: 'v3', user_id: 'u-5' }, at + 6 * MINUTE)]);
    expect(await users()).toEqual([
      { site_id: 'demo', visitor_id: 'v1', user_id: 'u-1' },
      { site_id: 'demo', visitor_id: 'v3', user_id: 'u-4' },
    ]);
  });

  it('derives again, when migrated, the identities kept past the events they came from', async () => {
    t = await createTestDb(kind, { migrated: false });
    await migrateFirst(t, 6);
    const at = Date.now() - 60 * MINUTE;
    // The laptop identified twice, the phone once; 06's cleanup then deleted both first identifications.
    const first = [
      event({ session_id: 'a', visitor_id: 'laptop', user_id: 'u-1' }, at),
      event({ session_id: 'b', visitor_id: 'phone', user_id: 'u-2' }, at),
    ];
    const again = event({ session_id: 'c', visitor_id: 'laptop', user_id: 'u-1' }, at + MINUTE);
    await store(t.db, [...first, again]);
    await t.db.query('DELETE FROM events_log WHERE event_id = ANY($1::uuid[])', [first.map((e) => e.event_id)]);
    expect(await t.db.query('SELECT visitor_id FROM visitor_users ORDER BY visitor_id')).toEqual([
      { visitor_id: 'laptop' },
      { visitor_id: 'phone' },
    ]);
    expect(await migrate(t.db)).toEqual(ALL.slice(6));
    expect(await t.db.query('SELECT visitor_id, user_id, event_id FROM visitor_users')).toEqual([
      { visitor_id: 'laptop', user_id: 'u-1', event_id: again.event_id },
    ]);
  });

  it('counts a js_error or an identify as no interaction: a one-page visit with either bounces', async () => {
    t = await createTestDb(kind);
    const at = Date.now() - 60 * MINUTE;
    await store(t.db, [
      event({ session_id: 'error' }, at),
      event({ session_id: 'error', type: 'js_error', props: { message: 'boom' } }, at + 1000),
      event({ session_id: 'login', user_id: 'u-1' }, at),
      event({ session_id: 'login', type: 'identify', user_id: 'u-1', props: { plan: 'pro' } }, at + 1000),
      event({ session_id: 'form' }, at),
      event({ session_id: 'form', type: 'form_start', props: { field: 'name' } }, at + 1000),
    ]);
    expect(await processEventsBatch(t.db, 100)).toBe(6);
    expect(await t.db.query('SELECT session_id, bounce FROM user_sessions ORDER BY session_id')).toEqual([
      { session_id: 'error', bounce: true },
      { session_id: 'form', bounce: false },
      { session_id: 'login', bounce: true },
    ]);
  });

  it('fills the report rollups and judges bots from the events of a database migrated before 05', async () => {
    t = await createTestDb(kind, { migrated: false });
    await migrateFirst(t, 4);
    const at = Date.now() - 60 * MINUTE;
    const revenue = { amount: 19.5, currency: 'EUR' };
    await store(t.db, [
      event({ session_id: 'p', seq: 1, path: '/a' }, at),
      event({ session_id: 'p', seq: 2, type: 'scroll_depth', path: '/a', props: { milestone: 75 } }, at + 1000),
      event({ session_id: 'p', seq: 5, type: 'page_leave', path: '/a', props: { engaged_ms: 1200.5 } }, at + 2000),
      event({ session_id: 'p', seq: 6, type: 'click', props: { href: 'https://other.example/x', outbound: true } }, at + 3000),
      event({ session_id: 'p', seq: 7, type: 'signup', props: { plan: 'pro', seats: 3, revenue } }, at + 4000),
      event({ session_id: 'p', seq: 8, type: 'sdk_dropped', props: { queue_full: 2 } }, at + 5000),
      ...Array.from({ length: 10 }, (_, i) => event({ session_id: 'fast', visitor_id: 'v2', path: `/${i}` }, at + i * 100)),
    ]);
    await processEventsBatch(t.db, 100);
    expect(await migrate(t.db)).toEqual(ALL.slice(4));
    expect(await t.db.query('SELECT session_id, bot FROM user_sessions ORDER BY session_id')).toEqual([
      { session_id: 'fast', bot: 'behaviour' },
      { session_id: 'p', bot: null },
    ]);
    expect(await t.db.query("SELECT path, views, scroll, engaged_ms::int AS engaged_ms FROM visit_pages WHERE session_id = 'p'")).toEqual([
      { path: '/a', views: 1, scroll: 75, engaged_ms: 1201 },
    ]);
    expect(await t.db.query("SELECT DISTINCT bot FROM visit_pages WHERE session_id = 'fast'")).toEqual([{ bot: 'behaviour' }]);
    expect(await t.db.query('SELECT prop, value, events FROM visit_goal_props ORDER BY prop')).toEqual([
      { prop: 'plan', value: 'pro', events: 1 },
      { prop: 'seats', value: '3', events: 1 },
    ]);
    expect(await t.db.query('SELECT kind, url, events FROM visit_links')).toEqual([
      { kind: 'outbound', url: 'https://other.example/x', events: 1 },
    ]);
    expect(await t.db.query('SELECT name, currency, micros::int AS micros FROM visit_revenue')).toEqual([
      { name: 'signup', currency: 'EUR', micros: 19_500_000 },
    ]);
    expect(await t.db.query("SELECT block::int AS block, max_seq::int AS max_seq, events FROM visit_seq WHERE session_id = 'p'")).toEqual([
      { block: 0, max_seq: 8, events: 6 },
    ]);
    expect(await t.db.query('SELECT reason, dropped::int AS dropped FROM drop_reports')).toEqual([{ reason: 'queue_full', dropped: 2 }]);
  });

  it("fills a visit's channel, country and device for the visits stored before migration 11, as the ETL writes them after", async () => {
    t = await createTestDb(kind, { migrated: false });
    await migrateFirst(t, 10);
    const at = Date.now() - 60 * MINUTE;
    // The same first events as visits `old-*`, written before the migration, and `new-*`, after it.
    const firsts = [
      { referrer: 'https://www.google.com/', timezone: 'Europe/Berlin', screen_w: 390 },
      { referrer: 'https://www.linkedin.com/', utm_medium: 'cpc', timezone: 'America/New_York', screen_w: 1366 },
      {
        url: 'https://shop.example/?utm_source=newsletter&utm_medium=email',
        utm_source: 'newsletter',
        utm_medium: 'email',
        screen_w: 2560,
      },
      { referrer: 'https://blog.example.org/a', timezone: 'UTC', screen_w: 0 },
      { timezone: 'Asia/Kolkata' },
    ];
    const visits = (prefix: string) =>
      firsts.flatMap((first, i) => [
        event({ session_id: `${prefix}-${i}`, visitor_id: `v${i}`, ...first }, at),
        event({ session_id: `${prefix}-${i}`, visitor_id: `v${i}`, path: '/b' }, at + MINUTE),
      ]);
    await store(t.db, visits('old'));
    expect(await processEventsBatch(t.db, 100)).toBe(10);
    expect(await migrate(t.db)).toEqual(ALL.slice(10));
    await store(t.db, visits('new'));
    expect(await processEventsBatch(t.db, 100)).toBe(10);
    const rows = await t.db.query<{ session_id: string; channel: string; country: string | null; device: string | null }>(
      'SELECT session_id, channel, country, device FROM user_sessions ORDER BY session_id',
    );
    const of = (prefix: string) =>
      rows.filter((row) => row.session_id.startsWith(prefix)).map(({ channel, country, device }) => ({ channel, country, device }));
    expect(of('old')).toEqual(of('new'));
    expect(of('new')).toEqual([
      { channel: 'search', country: 'DE', device: 'Mobile' },
      { channel: 'paid_social', country: 'US', device: 'Laptop' },
      { channel: 'email', country: null, device: 'Desktop' },
      { channel: 'referral', country: null, device: null },
      { channel: 'direct', country: 'IN', device: null },
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
