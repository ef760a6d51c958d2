import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiscardPolicy } from '@nats-io/jetstream';
import { startClickhouse, startNatsNode } from '@trailmark/clickhouse';
import { ensureBundle, seedSite, startWorker } from '@trailmark/d1-worker/scripts/local.mjs';
import { type Db, manageSchema, openDatabase, startIngest } from '@trailmark/pg-ingest';
import { type EventStore, openStore, StorageError, startReceiver } from '@trailmark/receiver';
import Database from 'better-sqlite3';
import { type BackendOptions, d1Worker, postgresIngest, referenceReceiver, type Transport } from 'trailmark';
import { emptyDataDir } from '../../pg-ingest/test/pglite-template.js';

/** The site every backend serves, and a second site whose key must not write into the first. */
export const SITE = { id: 'contract', writeKey: 'pk_contract_site', readKey: 'sk_contract_site', origin: 'https://app.example' };
export const OTHER = { id: 'other', writeKey: 'pk_other_site', readKey: 'sk_other_site', origin: 'https://other.example' };

/** A backend answering "later" (429 or 503 with `Retry-After`) on `endpoint` until it heals. */
export interface Refusal {
  status: 429 | 503;
  endpoint: string;
  /** Makes the next batch request be refused. */
  trip(): Promise<void>;
  /** Ends the refusal (a 429's bucket refills by itself). */
  heal(): Promise<void>;
  close(): Promise<void>;
}

/** One backend as the contract suite sees it: its SDK adapter, its read side, and ways to make it refuse. */
export interface Backend {
  name: string;
  /** Base URL of the running server. */
  endpoint: string;
  /** Path of the batch endpoint. */
  batchPath: string;
  /** Every other route (write, read, health), and one that does not exist: the hostile cases hit them all. */
  routes: string[];
  /** The backend's SDK adapter (`referenceReceiver`, `postgresIngest`, `d1Worker`). */
  adapter(options: BackendOptions): Transport;
  /** The stored events of one session, read back through the backend's read API or database. */
  session(sessionId: string): Promise<Record<string, unknown>[]>;
  /** Every stored `event_id` of the site, one entry per stored row (a double store shows twice). */
  storedIds(): Promise<string[]>;
  /** Status of the backend's health endpoint. */
  health(): Promise<number>;
  /** The refusals this backend can produce, by status. */
  refusals(): Promise<Refusal[]>;
  /** Waits until what was stored is readable through the stats API (the Postgres ETL runs; others need nothing). */
  settle?(): Promise<void>;
  /** Every route that stores what a client sends (the batch endpoint, legacy routes, pings): the privacy suite's. */
  writeRoutes: string[];
  /** Every row of every table of the store, as text (what `sqlite3 .dump` or `pg_dump` would show). */
  dump(): Promise<string>;
  close(): Promise<void>;
}

/** Every row of every table of a SQLite file, as text (the receiver's store, read as `sqlite3 .dump` reads it). */
function sqliteDump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
    return tables
      .flatMap(({ name }) => [
        `-- ${name}`,
        ...db
          .prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`)
          .all()
          .map((row) => JSON.stringify(row)),
      ])
      .join('\n');
  } finally {
    db.close();
  }
}

const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

/** The reference receiver on SQLite in a temporary directory (so the privacy suite can read its file), dev mode (inspection endpoints are its read side), no rate limit. */
export async function referenceBackend(): Promise<Backend> {
  const sites = [SITE, OTHER].map(({ id, writeKey, readKey, origin }) => ({ id, writeKey, readKey, origins: [origin] }));
  let failing = false;
  // On disk (a temporary directory) so the privacy suite can read the SQLite file as `sqlite3 .dump` would.
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-contract-'));
  const real = openStore({ dataDir });
  // A fake only at the edge it replaces: the real store, except that inserts fail while `failing` is set.
  const store: EventStore = Object.assign(Object.create(real) as EventStore, {
    insert: (...args: Parameters<EventStore['insert']>) => {
      if (failing) throw new StorageError('contract: storage made to fail');
      return real.insert(...args);
    },
    insertBatches: (...args: Parameters<EventStore['insertBatches']>) => {
      if (failing) throw new StorageError('contract: storage made to fail');
      return real.insertBatches(...args);
    },
    close: () => undefined,
  });
  const server = await startReceiver({ port: 0, store, dev: true, sites, rateLimit: { perSecond: 0, burst: 0 }, log: () => undefined });
  const get = async (query: string) => json(await fetch(`${server.url}/_trailmark/events?site_id=${SITE.id}&limit=10000${query}`));
  return {
    name: 'reference receiver',
    endpoint: server.url,
    batchPath: '/v1/batch',
    // The live stream is left out: in dev mode it is open and never ends, so it cannot answer a hostile request.
    routes: ['/api/analytics/track', '/api/analytics/rollups', '/api/live/summary', '/healthz', '/_trailmark/events', '/no/such/route'],
    writeRoutes: ['/v1/batch', '/api/analytics/track'],
    dump: async () => sqliteDump(join(dataDir, 'receiver.db')),
    adapter: referenceReceiver,
    session: async (id) => (await get(`&session_id=${encodeURIComponent(id)}`)).events as Record<string, unknown>[],
    storedIds: async () => ((await get('')).events as Array<{ event_id: string }>).map((event) => event.event_id),
    health: async () => (await fetch(`${server.url}/healthz`)).status,
    async refusals() {
      const limited = await startReceiver({ port: 0, store, sites, rateLimit: { perSecond: 1, burst: 1 }, log: () => undefined });
      return [
        bucketSpent(limited.url, () => limited.close()),
        {
          status: 503,
          endpoint: server.url,
          trip: async () => {
            failing = true;
          },
          heal: async () => {
            failing = false;
          },
          close: async () => undefined,
        },
      ];
    },
    async close() {
      await server.close();
      real.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A 429: a server whose per-key bucket holds one request, spent by `trip()` (the bucket is taken before the body is read). */
function bucketSpent(endpoint: string, close: () => Promise<void>): Refusal {
  return {
    status: 429,
    endpoint,
    async trip() {
      const response = await fetch(`${endpoint}/v1/batch?key=${SITE.writeKey}`, { method: 'POST', body: '{}' });
      await response.arrayBuffer();
    },
    heal: async () => undefined,
    close,
  };
}

/** A 503: the events table renamed away, which is what a failed or half-migrated database looks like to the INSERT. */
function tableGone(endpoint: string, exec: (sql: string) => Promise<unknown>, table: string): Refusal {
  let gone = false;
  return {
    status: 503,
    endpoint,
    async trip() {
      if (!gone) await exec(`ALTER TABLE ${table} RENAME TO ${table}_away`);
      gone = true;
    },
    async heal() {
      if (gone) await exec(`ALTER TABLE ${table}_away RENAME TO ${table}`);
      gone = false;
    },
    close: async () => undefined,
  };
}

/**
 * The Postgres ingest server over HTTP: PGlite in memory, or PostgreSQL (`databaseUrl`) in a schema of its
 * own that `close()` drops.
 */
export async function postgresBackend(databaseUrl?: string): Promise<Backend> {
  const schema = databaseUrl ? `tm_contract_${Math.random().toString(36).slice(2, 12)}` : undefined;
  if (databaseUrl && schema) await manageSchema(databaseUrl, 'create', schema);
  // PGlite from a copy of an empty database's files, initdb skipped (packages/pg-ingest/test/pglite-template.ts).
  const db: Db = await openDatabase(databaseUrl ? { databaseUrl, schema } : { loadDataDir: await emptyDataDir() });
  const sites = [SITE, OTHER].map(({ id, writeKey, readKey, origin }) => ({ id, writeKey, readKey, origins: [origin] }));
  const common = { db, sites, etlIntervalMs: 0, retryAfterSeconds: 1, log: () => undefined };
  const server = await startIngest({ ...common, maxInFlight: 0 });
  return {
    name: databaseUrl ? 'postgres ingest (PostgreSQL)' : 'postgres ingest (PGlite)',
    endpoint: server.url,
    batchPath: '/v1/batch',
    routes: ['/v1/metrics/daily', '/v1/pages/top', '/v1/sources', '/v1/sessions/active', '/v1/funnel', '/health', '/no/such/route'],
    writeRoutes: ['/v1/batch'],
    async dump() {
      await server.ingest.runEtl();
      const tables = await db.query<{ name: string }>(
        `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables
         WHERE table_schema = current_schema() ORDER BY table_name`,
      );
      const parts: string[] = [];
      for (const { name } of tables) {
        const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
        parts.push(`-- ${name}`, ...rows.map((r) => r.row));
      }
      return parts.join('\n');
    },
    adapter: postgresIngest,
    session: async (id) =>
      (
        await db.query<{ raw_event_data: Record<string, unknown> | string }>(
          'SELECT raw_event_data FROM events_log WHERE site_id = $1 AND session_id = $2 ORDER BY id',
          [SITE.id, id],
        )
      ).map((row) => (typeof row.raw_event_data === 'string' ? JSON.parse(row.raw_event_data) : row.raw_event_data)),
    storedIds: async () =>
      (await db.query<{ id: string }>('SELECT event_id::text AS id FROM events_log WHERE site_id = $1', [SITE.id])).map((row) => row.id),
    health: async () => (await fetch(`${server.url}/health`)).status,
    settle: async () => {
      await server.ingest.runEtl();
    },
    async refusals() {
      // A second server on the same database, as a load balancer would run it, with a one-request bucket.
      const limited = await startIngest({ ...common, migrate: false, rateLimit: { perSecond: 1, burst: 1 } });
      return [bucketSpent(limited.url, () => limited.close()), tableGone(server.url, (sql) => db.exec(sql), 'events_log')];
    },
    async close() {
      await server.close();
      await db.close().catch(() => undefined);
      if (databaseUrl && schema) await manageSchema(databaseUrl, 'drop', schema);
    },
  };
}

/** The real Worker bundle (`packages/d1-worker/dist/worker.js`) under Miniflare, with D1 and the live Durable Object. */
export async function d1Backend(): Promise<Backend> {
  await ensureBundle();
  // While its events table is made to fail, the Worker logs the storage error it answers 503 for: that output is
  // expected, and kept here instead of printed (a little past the heal, as the runtime's output arrives late).
  let failing = false;
  const expectedOutput: string[] = [];
  const { mf, db, url } = await startWorker({
    output: (text, stream) => (failing ? expectedOutput.push(text) : process[stream].write(text)),
  });
  for (const site of [SITE, OTHER]) {
    await seedSite(db, { site: site.id, writeKey: site.writeKey, secretKey: site.readKey, website: site.origin });
  }
  const endpoint = url.origin;
  return {
    name: 'd1 worker (Miniflare)',
    endpoint,
    batchPath: '/track/batch',
    routes: [
      '/v1/batch',
      '/track/visitor',
      '/api/visitors',
      '/api/visitors/v1',
      '/api/visitors/v1/video',
      '/api/stats',
      '/api/video/acceptance',
      '/api/events',
      '/api/live',
      '/health',
      '/no/such/route',
    ],
    writeRoutes: ['/track/batch', '/v1/batch', '/track/visitor'],
    async dump() {
      // D1's own bookkeeping (`_cf_*`) is not readable, and holds nothing a client sent.
      const tables = await db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name")
        .all<{ name: string }>();
      const parts: string[] = [];
      for (const { name } of tables.results) {
        const rows = await db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all();
        parts.push(`-- ${name}`, ...rows.results.map((row: unknown) => JSON.stringify(row)));
      }
      return parts.join('\n');
    },
    adapter: d1Worker,
    async session(id) {
      const response = await fetch(`${endpoint}/api/events?limit=1000&session_id=${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${SITE.readKey}` },
      });
      return (await json(response)).events as Record<string, unknown>[];
    },
    async storedIds() {
      const result = await db.prepare('SELECT event_id FROM events WHERE site_id = ?').bind(SITE.id).all<{ event_id: string }>();
      return result.results.map((row: { event_id: string }) => row.event_id);
    },
    health: async () => (await fetch(`${endpoint}/health`)).status,
    refusals: async () => {
      const gone = tableGone(endpoint, (sql) => db.exec(sql), 'events');
      return [
        {
          ...gone,
          async trip() {
            failing = true;
            await gone.trip();
          },
          async heal() {
            await gone.heal();
            setTimeout(() => {
              failing = false;
            }, 500);
          },
        },
      ];
    },
    close: () => mf.dispose(),
  };
}

/** A 503: the stream made full (`discard: new` at its current message count), so it cannot acknowledge a publish. */
function logFull(endpoint: string, jsm: import('@nats-io/jetstream').JetStreamManager, stream: string): Refusal {
  const update = async (full: boolean) => {
    const info = await jsm.streams.info(stream);
    await jsm.streams.update(stream, {
      ...info.config,
      max_msgs: full ? info.state.messages : -1,
      discard: full ? DiscardPolicy.New : DiscardPolicy.Old,
    });
  };
  return { status: 503, endpoint, trip: () => update(true), heal: () => update(false), close: async () => undefined };
}

/**
 * The ClickHouse backend: a nats-server of its own (JetStream, one node), an ingest node, a loader and the read API
 * in this process over embedded chDB. What got a 200 is in the log; the read side waits for the loader (`settle`).
 */
export async function clickhouseBackend(): Promise<Backend> {
  const nats = await startNatsNode();
  const sites = [SITE, OTHER].map(({ id, writeKey, readKey, origin }) => ({ id, writeKey, readKey, origins: [origin] }));
  const common = { sites, retryAfterSeconds: 1, say: () => undefined };
  const running = await startClickhouse({ ...common, log: { servers: [nats.url], ackWaitMs: 5000 }, loader: { lingerMs: 10 } }).catch(
    async (error) => {
      await nats.close();
      throw error;
    },
  );
  const { store } = running;
  const settled = async () => {
    await running.settle();
    return store;
  };
  return {
    name: 'clickhouse (JetStream + chDB)',
    endpoint: running.url,
    batchPath: '/v1/batch',
    routes: ['/v1/stats/summary', '/v1/stats/live', '/health', '/no/such/route'],
    writeRoutes: ['/v1/batch'],
    async dump() {
      // Every row of every table of the store, as JSON lines: what `clickhouse-client` would show of it.
      const tables = await (await settled()).query<{ name: string }>(
        'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
      );
      const parts: string[] = [];
      for (const { name } of tables) {
        const rows = await store.query<Record<string, unknown>>(`SELECT * FROM \`${name}\``);
        parts.push(`-- ${name}`, ...rows.map((row) => JSON.stringify(row)));
      }
      return parts.join('\n');
    },
    adapter: postgresIngest,
    session: async (id) =>
      (
        await (
          await settled()
        ).query<{ raw: string }>('SELECT raw FROM events FINAL WHERE site_id = {site:String} AND session_id = {id:String} ORDER BY ts', {
          site: SITE.id,
          id,
        })
      ).map((row) => JSON.parse(row.raw) as Record<string, unknown>),
    // FINAL: the rows a query sees, each (site, visit, event id) once however often a redelivery inserted it.
    storedIds: async () =>
      (
        await (
          await settled()
        ).query<{ id: string }>('SELECT toString(event_id) AS id FROM events FINAL WHERE site_id = {site:String}', {
          site: SITE.id,
        })
      ).map((row) => row.id),
    health: async () => (await fetch(`${running.url}/health`)).status,
    settle: () => running.settle(),
    async refusals() {
      // A second ingest node on the same log and store, as a load balancer would run it, with a one-request bucket.
      const limited = await startClickhouse({
        ...common,
        store,
        migrate: false,
        loaders: 0,
        log: { servers: [nats.url] },
        rateLimit: { perSecond: 1, burst: 1 },
      });
      const log = running.log as NonNullable<typeof running.log>;
      return [bucketSpent(limited.url, () => limited.close()), logFull(running.url, log.jsm, log.stream)];
    },
    async close() {
      await running.close();
      await nats.close();
    },
  };
}
