import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBundle, startWorker } from '../scripts/local.mjs';
import { applyMigrations, migrationNames, splitStatements } from '../scripts/migrations.mjs';

type Started = Awaited<ReturnType<typeof startWorker>>;
let started: Started;

beforeAll(async () => {
  await ensureBundle();
  started = await startWorker({ migrate: false });
});
afterAll(async () => {
  await started?.mf.dispose();
});

const OLD_ROWS = [
  [
    'demo_key',
    'visitor_1760622894858_0frlowozn',
    'automate8.swipepages.net Visitor',
    'Australia/Sydney',
    'Mac - Edge',
    'automate8.swipepages.net',
    6,
    '2025-10-22 12:00:15',
    '2025-10-22 12:02:33',
    0,
  ],
  [
    'demo_key',
    'visitor_test_001',
    'Acme Corporation',
    'Unknown Location',
    'Windows - Chrome',
    'example.com',
    2,
    '2025-10-22 11:39:52',
    '2025-10-22 11:40:15',
    45,
  ],
  [
    'other_key',
    'visitor_test_001',
    'example.com Visitor',
    'Unknown Location',
    'Unknown Device - Unknown Browser',
    'example.com',
    1,
    '2025-10-21 09:00:00',
    '2025-10-21 09:00:00',
    0,
  ],
  // The old check-then-insert could race: the same visitor twice under one key.
  [
    'demo_key',
    'visitor_raced',
    'Raced Inc',
    'Berlin, DE',
    'Linux - Firefox',
    'example.com',
    3,
    '2025-10-20 08:00:00',
    '2025-10-20 08:10:00',
    10,
  ],
  [
    'demo_key',
    'visitor_raced',
    'Raced Inc',
    'Berlin, DE',
    'Linux - Firefox',
    'example.com',
    4,
    '2025-10-20 07:00:00',
    '2025-10-20 09:00:00',
    5,
  ],
] as const;

describe('migrations', () => {
  it('are numbered files applied in order', () => {
    expect(migrationNames()).toEqual([
      '0001_api_keys_and_visitor_sessions.sql',
      '0002_rename_visitor_sessions_to_visitors.sql',
      '0003_events_and_unique_visitors.sql',
      '0004_video_sessions.sql',
      '0005_visitor_days.sql',
      '0006_event_user_agent.sql',
      '0008_visit_rollups.sql',
      '0009_visitor_keys.sql',
      '0010_visitor_users.sql',
      '0011_grouped_reports.sql',
      '0012_dimension_indexes.sql',
      '0013_visit_pending.sql',
    ]);
    expect(splitStatements('-- note\nCREATE TABLE a (x);\nINSERT INTO a VALUES (1);')).toEqual([
      'CREATE TABLE a (x)',
      'INSERT INTO a VALUES (1)',
    ]);
  });

  it('renames visitor_sessions to visitors keeping every row, id, count and timestamp', async () => {
    const { db } = started;
    expect(await applyMigrations(db, { until: '0001' })).toEqual(['0001_api_keys_and_visitor_sessions.sql']);
    // D1 enforces foreign keys, so the old table could only hold rows of registered keys (the seed's complaint).
    await db
      .prepare(
        "INSERT INTO api_keys (api_key, kind, site_id, website, owner) VALUES ('demo_key', 'write', 'demo', 'https://example.com', 'tippen'), ('other_key', 'write', 'other', '*', 'tippen')",
      )
      .run();
    const insert = db.prepare(
      `INSERT INTO visitor_sessions (api_key, visitor_id, company, location, last_role, website, page_views, first_seen_at, last_seen_at, total_time_seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    await db.batch(OLD_ROWS.map((row) => insert.bind(...row)));
    const before = await db.prepare('SELECT * FROM visitor_sessions ORDER BY id').all();
    expect(before.results).toHaveLength(5);

    expect(await applyMigrations(db, { until: '0003' })).toEqual([
      '0002_rename_visitor_sessions_to_visitors.sql',
      '0003_events_and_unique_visitors.sql',
    ]);
    // An invitation made before video_sessions existed becomes that table's first row.
    await db
      .prepare(
        "UPDATE visitors SET video_status = 'accepted', video_session_id = 'vs_old', video_invited_at = '2026-01-01 10:00:00', video_accepted_at = '2026-01-01 10:01:00' WHERE visitor_id = 'visitor_raced'",
      )
      .run();
    expect(await applyMigrations(db)).toEqual([
      '0004_video_sessions.sql',
      '0005_visitor_days.sql',
      '0006_event_user_agent.sql',
      '0008_visit_rollups.sql',
      '0009_visitor_keys.sql',
      '0010_visitor_users.sql',
      '0011_grouped_reports.sql',
      '0012_dimension_indexes.sql',
      '0013_visit_pending.sql',
    ]);
    // Visitors known only from pings keep their page views, on the day of their last visit.
    const days = await db.prepare("SELECT day, page_views FROM visitor_days WHERE visitor_id = 'visitor_raced'").all();
    expect(days.results).toHaveLength(1);
    const sessions = await db.prepare('SELECT video_session_id, status, invited_at, accepted_at FROM video_sessions').all();
    expect(sessions.results).toEqual([
      { video_session_id: 'vs_old', status: 'accepted', invited_at: '2026-01-01 10:00:00', accepted_at: '2026-01-01 10:01:00' },
    ]);

    const tables = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
    const names = tables.results.map((t) => t.name);
    expect(names).toContain('visitors');
    expect(names).toContain('events');
    expect(names).not.toContain('visitor_sessions');
    const indexes = await db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visitors'")
      .all<{ name: string }>();
    expect(indexes.results.map((i) => i.name)).toEqual(
      expect.arrayContaining(['idx_visitor_api_key', 'idx_visitor_id', 'idx_last_seen', 'idx_visitors_key_visitor']),
    );
    const foreignKeys = await db.prepare("SELECT COUNT(*) AS n FROM pragma_foreign_key_list('visitors')").first<{ n: number }>();
    expect(foreignKeys?.n).toBe(0);

    const after = await db.prepare('SELECT * FROM visitors ORDER BY id').all<Record<string, unknown>>();
    // The three distinct visitors are exactly as they were, video columns empty.
    for (const old of before.results.slice(0, 3) as Record<string, unknown>[]) {
      const row = after.results.find((r) => r.id === old.id);
      expect(row).toEqual({ ...old, video_session_id: null, video_invited_at: null, video_accepted_at: null, video_status: null });
    }
    // The raced pair is folded into the oldest row: counts summed, first/last seen widened.
    const raced = after.results.filter((r) => r.visitor_id === 'visitor_raced');
    expect(raced).toHaveLength(1);
    expect(raced[0]).toMatchObject({
      id: 4,
      page_views: 7,
      total_time_seconds: 15,
      first_seen_at: '2025-10-20 07:00:00',
      last_seen_at: '2025-10-20 09:00:00',
    });
    const totals = await db.prepare('SELECT COUNT(*) AS n, SUM(page_views) AS views FROM visitors').first();
    expect(totals).toEqual({ n: 4, views: 16 });
  });

  it('records what ran in d1_migrations, as wrangler does, and applies nothing twice', async () => {
    const { db } = started;
    expect(await applyMigrations(db)).toEqual([]);
    const ran = await db.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>();
    expect(ran.results.map((r) => r.name)).toEqual(migrationNames());
  });

  it('makes the visitor upsert work on migrated rows', async () => {
    const res = await started.mf.dispatchFetch(`${started.url.href}track/visitor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tippen-api-key': 'demo_key' },
      body: JSON.stringify({
        event: 'pageview',
        visitor: { visitorId: 'visitor_test_001', url: 'https://example.com/' },
        website: 'example.com',
      }),
    });
    expect(await res.json()).toEqual({ success: true, sessionId: 'visitor_test_001' });
    const row = await started.db
      .prepare("SELECT id, page_views FROM visitors WHERE api_key = 'demo_key' AND visitor_id = 'visitor_test_001'")
      .first();
    expect(row).toEqual({ id: 2, page_views: 3 });
  });
});
