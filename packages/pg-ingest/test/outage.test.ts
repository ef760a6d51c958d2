import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngest, type Ingest } from '../src/app.js';
import type { Db, Queryable } from '../src/db.js';
import { createTestDb, DATABASE_URL, event, post, SITE, type TestDb, testIngest } from './helpers.js';

/** A TCP relay in front of PostgreSQL that can be cut and restored: the database "goes away" for real. */
function relay(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        const address = server?.address();
        port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  return {
    up: listen,
    async down() {
      await new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    url: () => {
      const url = new URL(target.href);
      url.host = `127.0.0.1:${port}`;
      return url.href;
    },
  };
}

/** PGlite cannot be unplugged: this wraps it so every call fails while `down`, as an unreachable server's would. */
function unpluggable(db: Db) {
  let down = false;
  const guard = <T>(run: () => Promise<T>) => (down ? Promise.reject(new Error('connect ECONNREFUSED (simulated)')) : run());
  const wrapped: Db = {
    kind: db.kind,
    query: <R>(sql: string, params?: readonly unknown[]) => guard(() => db.query<R>(sql, params)),
    exec: (sql: string) => guard(() => db.exec(sql)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => guard(() => db.transaction(fn)),
    close: () => db.close(),
  };
  return {
    db: wrapped,
    down: async () => {
      down = true;
    },
    up: async () => {
      down = false;
    },
  };
}

const storedIds = async (db: Db) =>
  new Set((await db.query<{ id: string }>('SELECT event_id::text AS id FROM events_log')).map((row) => row.id));

async function outageScenario(direct: Db, ingest: Ingest, cut: () => Promise<void>, restore: () => Promise<void>) {
  const before = [event(), event()];
  expect((await post(ingest, { events: before })).status).toBe(200);

  await cut();
  const during = [event({ session_id: 'during' }), event({ session_id: 'during', path: '/2' })];
  const refused = await post(ingest, { events: during });
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await refused.json()).toMatchObject({ ok: false, code: 'unavailable' });
  const health = await ingest.fetch(new Request('http://127.0.0.1/health'));
  expect(health.status).toBe(503);
  const readRefused = await ingest.fetch(
    new Request('http://127.0.0.1/v1/sources', { headers: { authorization: `Bearer ${SITE.readKey}` } }),
  );
  expect(readRefused.status).toBe(503);
  await expect(ingest.runEtl()).rejects.toThrow();

  await restore();
  // The SDK retries the same batch: every event is new to the store (nothing was half-stored), none lost.
  const retried = await post(ingest, { events: during });
  expect(retried.status).toBe(200);
  expect(await retried.json()).toMatchObject({ accepted: during.map((e) => e.event_id), duplicates: [] });
  const ids = await storedIds(direct);
  for (const e of [...before, ...during]) expect(ids.has(e.event_id)).toBe(true);
  expect(ids.size).toBe(4);
  expect((await ingest.runEtl()).processed).toBe(4);
}

describe('database outage on pglite', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('pglite');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('answers 503 with Retry-After while the database fails, stores nothing, then recovers with nothing lost', async () => {
    const plug = unpluggable(t.db);
    const ingest = await testIngest(plug.db);
    await outageScenario(t.db, ingest, plug.down, plug.up);
    await ingest.close();
  });
});

// Only where a real server runs (DATABASE_URL); the PGlite run above covers the same path without one.
if (DATABASE_URL)
  describe('database outage on postgres', () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await createTestDb('postgres');
    });
    afterAll(async () => {
      await t?.drop();
    });

    it('answers 503 with Retry-After while PostgreSQL is unreachable, stores nothing, then recovers with nothing lost', async () => {
      const proxy = relay(new URL(DATABASE_URL as string));
      await proxy.up();
      const ingest = await createIngest({
        databaseUrl: proxy.url(),
        schema: t.schema,
        sites: [SITE],
        etlIntervalMs: 0,
        log: () => undefined,
      });
      try {
        await outageScenario(t.db, ingest, proxy.down, proxy.up);
      } finally {
        await ingest.close();
        await proxy.down();
      }
    });
  });
