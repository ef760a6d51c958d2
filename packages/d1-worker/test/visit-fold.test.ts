import {
  clearVisitStatements,
  groupByVisit,
  identityStatements,
  seqStatements,
  statsEventOf,
  type TrailmarkEvent,
  VISIT_CHILD_TABLES,
  visitRollupStatements,
} from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSite, startWorker } from '../scripts/local.mjs';
import { applyMigrations } from '../scripts/migrations.mjs';
import type { SiteKey } from '../src/keys.js';
import { trackBatch } from '../src/track-batch.js';
import { rebuildVisits } from '../src/visit-rollups.js';
import { batchInit, event, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

const HOUR = 3_600_000;
const KEY: SiteKey = { key: SITE.writeKey, kind: 'write', siteId: SITE.site, origins: [SITE.website], registered: true };
type Db = TestWorker['db'];

/** `db` with the rows D1 reports read (`meta.rows_read`) summed over every `batch()` (all the ingest path runs). */
function metered(db: Db): { db: Db; rowsRead: () => number } {
  let rows = 0;
  // A plain object, not a Proxy: Miniflare's binding is itself a proxy to workerd. The ingest path prepares and batches.
  const wrapper = {
    prepare: (sql: string) => db.prepare(sql),
    async batch(statements: Parameters<Db['batch']>[0]) {
      const results = await db.batch(statements);
      for (const result of results) rows += result.meta?.rows_read ?? 0;
      return results;
    },
  };
  return { db: wrapper as unknown as Db, rowsRead: () => rows };
}

const post = (events: unknown[]) => new Request('http://localhost/track/batch', batchInit(events) as RequestInit);

/** Every rollup row of a visit, order-free (the times lists sorted: a fold appends them in arrival order). */
async function visitRows(db: Db, session: string) {
  const rows: Record<string, unknown[]> = {};
  for (const table of ['visits', 'visit_states', ...VISIT_CHILD_TABLES, 'visit_seq']) {
    const { results } = await db.prepare(`SELECT * FROM ${table} WHERE site_id = ?1 AND session_id = ?2`).bind(SITE.site, session).all();
    rows[table] = results
      .map((row: Record<string, unknown>) => {
        const { version: _version, ...rest } = row;
        if (typeof rest.times === 'string') rest.times = rest.times.split(',').sort().join(',');
        if (typeof rest.state === 'string') rest.state = JSON.parse(rest.state);
        return rest;
      })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return rows;
}

/** The visit's rows as the ingest folded them equal its rows rebuilt from all its stored events. */
async function expectFoldEqualsRebuild(db: Db, session: string) {
  const folded = await visitRows(db, session);
  expect(folded.visits).toHaveLength(1);
  await rebuildVisits(db as unknown as D1Database, SITE.site, [session]);
  expect(await visitRows(db, session)).toEqual(folded);
}

/** Eight events of a long visit's `index`th batch, a minute apart from the last batch's. */
function sessionBatch(session: string, index: number, start: number) {
  const at = start + index * 60_000;
  const path = ['/', '/docs', '/pricing'][index % 3] as string;
  return [
    event({
      session_id: session,
      ts: at,
      seq: index * 8 + 1,
      path,
      url: `https://acme.example${path}`,
      referrer: 'https://www.google.com/',
    }),
    event({ session_id: session, ts: at + 5000, seq: index * 8 + 2, type: 'heartbeat', path, props: { engaged_ms: 5000 } }),
    event({ session_id: session, ts: at + 6000, seq: index * 8 + 3, type: 'scroll_depth', path, props: { milestone: 50 } }),
    event({ session_id: session, ts: at + 7000, seq: index * 8 + 4, type: 'click', path, props: { href: 'https://other.example/x' } }),
    event({ session_id: session, ts: at + 8000, seq: index * 8 + 5, type: 'signup', path, props: { plan: 'pro' } }),
    event({
      session_id: session,
      ts: at + 9000,
      seq: index * 8 + 6,
      type: 'web_vital',
      path,
      props: { name: 'LCP', value: 900 + index, id: `v-${index}` },
    }),
    event({ session_id: session, ts: at + 10_000, seq: index * 8 + 7, type: 'heartbeat', path, props: { engaged_ms: 5000 } }),
    event({ session_id: session, ts: at + 20_000, seq: index * 8 + 8, type: 'page_leave', path, props: { engaged_ms: 15_000 } }),
  ];
}

describe('d1 incremental visit fold', () => {
  let worker: TestWorker;
  const now = Date.now();
  beforeAll(async () => {
    worker = await startTestWorker();
  });
  afterAll(async () => {
    await worker?.mf.dispose();
  });

  it('reads no more rows for the 30th batch of a visit than for its 4th (a batch costs its own events)', async () => {
    const start = now - 3 * HOUR;
    const reads: number[] = [];
    for (let index = 0; index < 30; index++) {
      const meter = metered(worker.db);
      const answer = await trackBatch(post(sessionBatch('long', index, start)), meter.db as unknown as D1Database, KEY);
      expect(answer).not.toBeInstanceOf(Response);
      reads.push(meter.rowsRead());
    }
    const stored = await worker.db.prepare("SELECT count(*) AS n FROM events WHERE session_id = 'long'").first<{ n: number }>();
    expect(stored?.n).toBe(240);
    // Measured: 154 rows for the first batch, 159 for each later one. Rebuilding the visit from all its events on
    // each batch (before migration 0013) read 8 more rows a batch: 232 more by the 30th.
    expect(reads[29]).toBeLessThanOrEqual(reads[3] as number);
    await expectFoldEqualsRebuild(worker.db, 'long');
  }, 120_000);

  it('counts each event once when one batch is sent five times at once and two batches of its visit race', async () => {
    const start = now - 2 * HOUR;
    const first = sessionBatch('raced', 0, start);
    const second = sessionBatch('raced', 1, start);
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => worker.call('/track/batch', batchInit(first))),
      worker.call('/track/batch', batchInit(second)),
      worker.call('/track/batch', batchInit([...second, ...first])),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(await worker.db.prepare('SELECT count(*) AS n FROM visit_pending').first()).toEqual({ n: 0 });
    const visit = await worker.db
      .prepare("SELECT pageviews, bounce, duration_s, entry_page, exit_page, source FROM visits WHERE session_id = 'raced'")
      .first();
    expect(visit).toEqual({ pageviews: 2, bounce: 0, duration_s: 80, entry_page: '/', exit_page: '/docs', source: 'search' });
    const seq = await worker.db.prepare("SELECT sum(events) AS n FROM visit_seq WHERE session_id = 'raced'").first();
    expect(seq).toEqual({ n: 16 });
    await expectFoldEqualsRebuild(worker.db, 'raced');
  });

  it('leaves the events of a fold that failed queued, and the next stats read folds them', async () => {
    const events = sessionBatch('failed', 0, now - HOUR);
    let batches = 0;
    // The second batch() of the request is the fold's write: it fails, after the events were stored and queued.
    const failing = {
      prepare: (sql: string) => worker.db.prepare(sql),
      batch: (statements: Parameters<Db['batch']>[0]) =>
        ++batches === 2 ? Promise.reject(new Error('D1 down')) : worker.db.batch(statements),
    };
    const answer = await trackBatch(post(events), failing as unknown as D1Database, KEY);
    expect(answer).not.toBeInstanceOf(Response);
    expect(await worker.db.prepare("SELECT count(*) AS n FROM visit_pending WHERE session_id = 'failed'").first()).toEqual({ n: 8 });
    expect(await worker.db.prepare("SELECT count(*) AS n FROM visits WHERE session_id = 'failed'").first()).toEqual({ n: 0 });
    const read = await worker.call(`/v1/stats/summary?from=${now - 2 * HOUR + 1}&to=${now + HOUR}`, { headers: secret() });
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ visits: 1, pageviews: 1 });
    expect(await worker.db.prepare('SELECT count(*) AS n FROM visit_pending').first()).toEqual({ n: 0 });
    await expectFoldEqualsRebuild(worker.db, 'failed');
  });
});

describe('d1 migration 0013 (visit_pending)', () => {
  let started: Awaited<ReturnType<typeof startWorker>>;
  beforeAll(async () => {
    started = await startWorker({ migrate: false });
  });
  afterAll(async () => {
    await started?.mf.dispose();
  });

  it('continues the visits written before it from their stored state', async () => {
    const { db } = started;
    await applyMigrations(db, { until: '0012' });
    await seedSite(db, SITE);
    const start = Date.now() - 2 * HOUR;
    // A visit as the Worker before 0013 left it: its events stored and its rows rebuilt from all of them.
    const old = [...sessionBatch('old', 0, start), ...sessionBatch('old', 1, start)] as unknown as TrailmarkEvent[];
    const stats = old.map((e) => ({ ...statsEventOf(e, e.ts, 'Chrome; Windows; desktop'), site_id: e.site_id }));
    const statements = [
      ...old.map((e) =>
        db
          .prepare(
            `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, payload, user_agent)
             VALUES (?1, 'old', ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, 'Chrome; Windows; desktop')`,
          )
          .bind(e.event_id, SITE.writeKey, SITE.site, e.visitor_id, e.session_id, e.type, e.ts, JSON.stringify(e)),
      ),
      ...[
        ...clearVisitStatements(SITE.site, 'old'),
        ...groupByVisit(stats).flatMap((group) => visitRollupStatements(group, undefined)),
        ...seqStatements(stats),
        ...identityStatements(stats),
        { sql: "UPDATE visits SET version = 3 WHERE session_id = 'old'", params: [] },
      ].map(({ sql, params }) => db.prepare(sql).bind(...params)),
    ];
    await db.batch(statements);
    expect(await applyMigrations(db)).toEqual(['0013_visit_pending.sql']);
    const next = sessionBatch('old', 2, start);
    const answer = await started.mf.dispatchFetch(`${started.url.href}track/batch`, batchInit(next));
    expect(answer.status).toBe(200);
    await answer.text();
    const visit = await db.prepare("SELECT pageviews, duration_s, version FROM visits WHERE session_id = 'old'").first();
    expect(visit).toEqual({ pageviews: 3, duration_s: 140, version: 4 });
    await expectFoldEqualsRebuild(db, 'old');
  });
});
