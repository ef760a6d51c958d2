import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPragmas, migrate, openStore, type RunningReceiver } from '../src/index.js';
import { makeEvent, post, read, start, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dataDir(): string {
  const temp = tempDir();
  cleanups.push(temp.remove);
  return temp.dir;
}

async function startOn(dir: string): Promise<RunningReceiver> {
  const server = await start({ memory: false, dataDir: dir });
  cleanups.push(() => server.close());
  return server;
}

describe('storage', () => {
  it('loses nothing across a stop and start on the same data directory', async () => {
    const dir = dataDir();
    const events = Array.from({ length: 100 }, (_, seq) => makeEvent({ seq }));
    const first = await startOn(dir);
    expect((await post(first.url, '/v1/batch', { events })).status).toBe(200);
    await first.close();

    const second = await startOn(dir);
    const listed = (await (await fetch(`${second.url}/_trailmark/events`)).json()) as { events: Array<{ event_id: string }> };
    expect(listed.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
    const rollups = (await (await read(second.url, '/api/analytics/rollups?hours=2')).json()) as { total_events: number };
    expect(rollups.total_events).toBe(100);
    // Still idempotent after the restart.
    const again = (await (await post(second.url, '/v1/batch', { events })).json()) as { accepted: string[]; duplicates: string[] };
    expect(again.accepted).toEqual([]);
    expect(again.duplicates).toHaveLength(100);
  });

  it('uses WAL with synchronous=FULL and records applied migrations once', () => {
    const dir = dataDir();
    openStore({ dataDir: dir }).close();
    openStore({ dataDir: dir }).close();
    const db = new Database(join(dir, 'receiver.db'));
    cleanups.push(() => {
      db.close();
    });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const names = (db.prepare('SELECT name FROM schema_migrations ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
    expect(names).toEqual([
      '001_events.sql',
      '002_rollups.sql',
      '003_user_agent.sql',
      '005_visit_rollups.sql',
      '006_visitor_keys.sql',
      '007_visitor_users.sql',
      '008_grouped_reports.sql',
      '009_dimension_indexes.sql',
    ]);
    expect(migrate(db)).toEqual([]);
    applyPragmas(db);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('stores nothing of a batch whose transaction fails half way, and answers 503 with Retry-After', async () => {
    const dir = dataDir();
    const server = await startOn(dir);
    // A second connection installs a trigger that fails the insert of one event, as a full disk would mid-batch.
    const db = new Database(join(dir, 'receiver.db'));
    cleanups.push(() => {
      db.close();
    });
    db.exec("CREATE TRIGGER explode BEFORE INSERT ON events WHEN NEW.type = 'explode' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    const events = [makeEvent(), makeEvent({ type: 'explode' }), makeEvent()];
    const response = await post(server.url, '/v1/batch', { events });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { code: string }).code).toBe('unavailable');
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM rollups').get()).toEqual({ n: 0 });
    // The same batch goes through once storage recovers.
    db.exec('DROP TRIGGER explode');
    expect((await post(server.url, '/v1/batch', { events })).status).toBe(200);
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 3 });
  });

  it('answers 503, not a crash, when the database is gone', async () => {
    const server = await start();
    cleanups.push(() => server.close());
    server.receiver.store.close();
    const response = await post(server.url, '/v1/batch', { events: [makeEvent()] });
    expect(response.status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  });
});
