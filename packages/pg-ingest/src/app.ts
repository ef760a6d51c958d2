import {
  createKeyring,
  createRateLimiter,
  createSlots,
  refuseUnread,
  type SiteConfig,
  siteCors,
  validateSites,
} from '@trailmark/node-http';
import { MAX_EVENT_AGE_MS, routeIndexResponse } from '@trailmark/protocol';
import { Hono } from 'hono';
import { handleBatch } from './batch-route.js';
import type { IpMode } from './client-ip.js';
import type { RequestEnv as Env, IngestContext } from './context.js';
import { type Db, openDatabase } from './db.js';
import { type EtlLoop, type EtlResult, startEtlLoop } from './etl.js';
import { fail, json } from './http.js';
import { migrate } from './migrate.js';
import { createAnalyzer } from './pglite-analyze.js';
import { createGate } from './rate-limit.js';
import { mountReadRoutes } from './read-routes.js';
import { type PgStatsBudget, statsBudgetFor } from './stats-budget.js';
import type { InsertStrategy } from './store.js';

/** Options of `createIngest()`. */
export interface IngestOptions {
  sites: SiteConfig[];
  /** An open database; otherwise one is opened from `databaseUrl` / `dataDir` and closed by `close()`. */
  db?: Db;
  databaseUrl?: string | undefined;
  /** PGlite data directory when there is no `databaseUrl` (in memory when neither is given). */
  dataDir?: string | undefined;
  /** PostgreSQL schema (search_path) to use; tests isolate themselves with it. */
  schema?: string | undefined;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  /** In-process ETL period in ms; 0 turns it off (run `trailmark-pg etl` from cron instead). Default 10000. */
  etlIntervalMs?: number;
  /** Raw events per `process_events_batch` call (default 5000). */
  etlBatchSize?: number;
  /** Per-key requests per second (0, the default, turns it off) and burst. */
  rateLimit?: { perSecond: number; burst: number };
  /** Most batch writes waiting on the database at once before 429 (default 64; 0 = no bound). */
  maxInFlight?: number;
  /** How the client IP is stored: truncated to /24 (IPv4) or /48 (IPv6) by default. */
  ip?: IpMode;
  /** Header set by a trusted reverse proxy with the client address, e.g. `x-forwarded-for`. */
  trustProxyHeader?: string | undefined;
  insertStrategy?: InsertStrategy;
  /** Oldest event accepted, ms (protocol default 7 days). */
  maxEventAgeMs?: number;
  /**
   * What one stats request may cost (issue 27), over the defaults of the database kind (`PGLITE_STATS_BUDGET`,
   * `POSTGRES_STATS_BUDGET`): past it, 503 with `Retry-After`.
   */
  statsBudget?: Partial<PgStatsBudget>;
  /** `Retry-After` of a 503 (default 5 s). */
  retryAfterSeconds?: number;
  clock?: () => number;
  log?: (line: string) => void;
}

/** A running ingest handler: a pure `fetch` plus its database and ETL. */
export interface Ingest {
  /** Answers one request. `remoteAddress` is the socket peer (the Node server passes it; tests may). */
  fetch(request: Request, env?: Env): Promise<Response>;
  readonly db: Db;
  /** Runs one ETL pass now (process, close idle sessions, recent daily metrics). */
  runEtl(): Promise<EtlResult>;
  readonly counters: IngestContext['counters'];
  /** Stops the ETL and, when it opened the database, closes it. */
  close(): Promise<void>;
}

/** Builds the ingest handler: opens (and migrates) the database, starts the ETL timer. */
export async function createIngest(options: IngestOptions): Promise<Ingest> {
  const sites = validateSites(options.sites);
  const log = options.log ?? ((line: string) => console.error(`[trailmark-pg] ${line}`));
  const ownDb = !options.db;
  const statsBudget = statsBudgetFor(options.db?.kind ?? (options.databaseUrl ? 'postgres' : 'pglite'), options.statsBudget);
  const db =
    options.db ??
    (await openDatabase({
      databaseUrl: options.databaseUrl,
      dataDir: options.dataDir,
      schema: options.schema,
      onError: (error) => log(`database connection error: ${error.message}`),
    }));
  try {
    if (options.migrate !== false) await migrate(db);
  } catch (error) {
    if (ownDb) await db.close().catch(() => undefined);
    throw error;
  }
  const ctx: IngestContext = {
    db,
    keys: createKeyring(sites),
    limiter: createRateLimiter(options.rateLimit ?? { perSecond: 0, burst: 0 }),
    gate: createGate(options.maxInFlight ?? 64),
    ipMode: options.ip ?? 'truncate',
    trustProxyHeader: options.trustProxyHeader?.toLowerCase(),
    insertStrategy: options.insertStrategy ?? 'json',
    maxEventAgeMs: options.maxEventAgeMs ?? MAX_EVENT_AGE_MS,
    retryAfterSeconds: options.retryAfterSeconds ?? 5,
    clock: options.clock ?? Date.now,
    counters: { accepted: 0, duplicates: 0, rejected: 0, storageErrors: 0, overloaded: 0 },
    stats: { budget: statsBudget, slots: createSlots(statsBudget.concurrency, statsBudget.maxWaiting) },
    log,
  };
  const app = buildApp(ctx);
  const analyzer = db.kind === 'pglite' ? createAnalyzer(db, { onError: (error) => log(`ANALYZE failed: ${error.message}`) }) : undefined;
  const etl: EtlLoop = startEtlLoop(db, {
    intervalMs: options.etlIntervalMs ?? 10_000,
    batchSize: options.etlBatchSize ?? 5000,
    clock: ctx.clock,
    onRun: (result) => analyzer?.after(result.processed),
    onError: (error) => log(`ETL failed (retried at the next tick): ${error.message}`),
  });
  return {
    fetch: async (request, env) => app.fetch(request, env),
    db,
    async runEtl() {
      const result = await etl.runNow();
      await analyzer?.after(result.processed);
      return result;
    },
    counters: ctx.counters,
    async close() {
      await etl.stop();
      if (ownDb) await db.close();
    },
  };
}

const PG_AUTH = 'write: the write key (?key=, X-Trailmark-Key or Authorization: Bearer); read routes: only the read key, as Bearer';

/** The server's own read routes, for `GET /` (the protocol adds the batch, stats and health routes). */
const PG_ROUTES: Record<string, string> = {
  'GET /v1/metrics/daily': 'visitors, visits, pageviews per day (?from=&to=), read key',
  'GET /v1/pages/top': 'the most viewed pages (?days=&limit=), read key',
  'GET /v1/pages/performance': 'web vitals per page (?limit=), read key',
  'GET /v1/sources': 'visits by source and platform, read key',
  'GET /v1/sessions/active': 'the sessions active now (?limit=), read key',
  'GET /v1/campaigns': 'visits by UTM campaign (?days=), read key',
  'GET /v1/funnel': 'a form funnel (?interest=&form=), read key',
};

function buildApp(ctx: IngestContext): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.use('*', siteCors({ keys: ctx.keys, refuse: (_request, error) => fail('origin_not_allowed', error) }));
  app.post('/v1/batch', (c) => {
    const env = c.env as Env | undefined;
    return handleBatch(ctx, c.req.raw, env?.remoteAddress ?? env?.incoming?.socket?.remoteAddress);
  });
  app.all('/v1/batch', (c) => refuseUnread(c.req.raw, fail('method_not_allowed', 'use POST', { allow: 'POST, OPTIONS' })));
  mountReadRoutes(app, ctx);
  app.get('/', () => routeIndexResponse('trailmark pg-ingest', PG_AUTH, PG_ROUTES));
  app.get('/:health{health|healthz}', async (c) => {
    // Ok or not to anyone (load balancers, uptime checks); the ingest counters only with a site's secret read key.
    const key = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const detailed = ctx.keys.lookup(key)?.kind === 'read';
    try {
      await ctx.db.query('SELECT 1');
      return json(detailed ? { ok: true, database: ctx.db.kind, counters: ctx.counters } : { ok: true });
    } catch (error) {
      const reason = detailed ? `the database is unavailable: ${(error as Error).message}` : 'the database is unavailable';
      return fail('unavailable', reason, { 'retry-after': String(ctx.retryAfterSeconds) });
    }
  });
  app.notFound((c) => refuseUnread(c.req.raw, fail('not_found', 'no such endpoint')));
  app.onError((error) => {
    // Reached only by a bug: bad input is answered with a 4xx before this. Logged, answered as retryable.
    ctx.log(`internal error: ${error.stack ?? error.message}`);
    return fail('unavailable', 'internal error; nothing was stored', { 'retry-after': String(ctx.retryAfterSeconds) });
  });
  return app;
}
