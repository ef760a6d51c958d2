import { randomUUID } from 'node:crypto';
import type { TrailmarkEvent } from '@trailmark/protocol';
import { createIngest, type Ingest, type IngestOptions } from '../src/app.js';
import { type Db, manageSchema, openDatabase } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { insertEvents } from '../src/store.js';
import { emptyDataDir } from './pglite-template.js';

/** PostgreSQL when DATABASE_URL is set (CI), PGlite always. */
export const DATABASE_URL = process.env.DATABASE_URL;
export const BACKENDS: Array<'pglite' | 'postgres'> = DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** A migrated database of one kind, isolated in its own schema on PostgreSQL; `drop()` removes it. */
export interface TestDb {
  db: Db;
  schema: string | undefined;
  /** Another pool on the same schema (a second "process"); PGlite has one connection, so it is the same db. */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

export async function createTestDb(kind: 'pglite' | 'postgres', { migrated = true } = {}): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = await openDatabase({ loadDataDir: await emptyDataDir() });
    if (migrated) await migrate(db);
    return { db, schema: undefined, open: async () => db, drop: () => db.close() };
  }
  const url = DATABASE_URL as string;
  const schema = `tm_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await manageSchema(url, 'create', schema);
  const extra: Db[] = [];
  const db = await openDatabase({ databaseUrl: url, schema });
  if (migrated) await migrate(db);
  return {
    db,
    schema,
    async open() {
      const other = await openDatabase({ databaseUrl: url, schema });
      extra.push(other);
      return other;
    },
    async drop() {
      for (const other of extra) await other.close().catch(() => undefined);
      await db.close().catch(() => undefined);
      await manageSchema(url, 'drop', schema);
    },
  };
}

/** Empties every table the server writes, between tests sharing one database. */
export async function resetDb(db: Db): Promise<void> {
  await db.exec('TRUNCATE events_log, user_sessions, pageviews, user_events, form_submissions, daily_site_metrics');
}

export const SITE = { id: 'demo', writeKey: 'pk_demo_key', readKey: 'sk_demo_key', origins: ['http://127.0.0.1:8080'] };
export const OTHER_SITE = { id: 'other', writeKey: 'pk_other_key', readKey: 'sk_other_key', origins: ['https://other.example'] };

/** An ingest handler on a test database, ETL timer off unless asked. */
export function testIngest(db: Db, options: Partial<IngestOptions> = {}): Promise<Ingest> {
  return createIngest({ db, sites: [SITE, OTHER_SITE], etlIntervalMs: 0, log: () => undefined, ...options });
}

let seq = 0;

/** A valid event (pageview by default) `ms` milliseconds from now. */
export function event(overrides: Partial<TrailmarkEvent> = {}, at: number = Date.now()): TrailmarkEvent {
  return {
    event_id: randomUUID(),
    type: 'pageview',
    ts: at,
    site_id: SITE.id,
    visitor_id: 'v1',
    session_id: 's1',
    seq: ++seq,
    url: 'https://shop.example/',
    path: '/',
    ...overrides,
  };
}

/** Stores fixture events straight into events_log (bypassing HTTP, so fixtures may be older than 7 days). */
export async function store(db: Db, events: TrailmarkEvent[]): Promise<Set<string>> {
  return insertEvents(db, events, { skewMs: 0, userAgent: 'test-agent', ip: null });
}

/** A POST of a batch to the handler. */
export function post(ingest: Ingest, body: unknown, init: { key?: string; headers?: Record<string, string>; raw?: string } = {}) {
  const key = init.key ?? SITE.writeKey;
  return ingest.fetch(
    new Request(`http://127.0.0.1/v1/batch?key=${encodeURIComponent(key)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.raw ?? JSON.stringify(body),
    }),
    { remoteAddress: '203.0.113.77' },
  );
}

/** A GET on the read API with a bearer key. */
export function read(ingest: Ingest, path: string, key: string = SITE.readKey, headers: Record<string, string> = {}) {
  return ingest.fetch(new Request(`http://127.0.0.1${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } }));
}

/** Midnight UTC `daysAgo` days back, ms. */
export function utcMidnight(daysAgo: number): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - daysAgo * 86_400_000;
}

export const MINUTE = 60_000;
