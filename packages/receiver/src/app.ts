import { createKeyring, createRateLimiter, type SiteConfig, siteCors, validateSites } from '@trailmark/node-http';
import { errorResponse, HEALTH_PATHS, routeIndexResponse, STATS_BUDGET, type StatsBudget } from '@trailmark/protocol';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createCommitQueue } from './commit-queue.js';
import type { ReceiverContext } from './context.js';
import { StorageError } from './errors.js';
import { fail, failUnread, json } from './http.js';
import { createLiveBus } from './live-bus.js';
import { createRejectionLog } from './rejection-log.js';
import { type RetentionOptions, type RetentionResult, runRetention, scheduleRetention } from './retention.js';
import type { RollupDimensions } from './rollup-keys.js';
import { batchRoutes } from './routes/batch.js';
import { inspectRoutes } from './routes/inspect.js';
import { liveRoutes } from './routes/live.js';
import { statsRoutes } from './routes/stats.js';
import { trackRoutes } from './routes/track.js';
import { type EventStore, openStore } from './store.js';

/** Options of `createReceiver()`. */
export interface ReceiverOptions {
  sites: SiteConfig[];
  /** Directory of the database (default `.data/receiver` under the working directory). */
  dataDir?: string;
  /** Keep everything in memory. */
  memory?: boolean;
  /** Use this store instead of opening one (it is closed with the receiver). */
  store?: EventStore;
  /** Inspection endpoints (`/_trailmark/*`) and an open live page. */
  dev?: boolean;
  /** Accept requests from any origin. */
  corsAny?: boolean;
  /** Per-key token bucket (default 50 requests/s, bursts of 200); `perSecond: 0` turns it off. */
  rateLimit?: { perSecond: number; burst: number };
  retention?: RetentionOptions;
  rollupDimensions?: RollupDimensions;
  /**
   * Commit the batches of concurrent requests in one transaction (default true): one fsync for all of them.
   * Off, every request is its own transaction.
   */
  groupCommit?: boolean;
  /** Run the redaction rules over stored text (default true). */
  redact?: boolean;
  /** Oldest event a request may carry, ms (default: the protocol's 7 days). */
  maxEventAgeMs?: number;
  /** What one `/v1/stats` request may read and spend (default: the protocol's `STATS_BUDGET`). */
  statsBudget?: Partial<StatsBudget>;
  /** Threads that read the stats panels of a file database (default one per core, at most 4; 0: the main thread). */
  readThreads?: number;
  /** Server clock (tests inject one). */
  clock?: () => number;
  /** Where operational messages go (default stderr). */
  log?: (line: string) => void;
}

/** A receiver: a pure `fetch` handler over its store, plus maintenance. */
export interface Receiver {
  fetch(request: Request): Promise<Response>;
  readonly store: EventStore;
  readonly sites: readonly SiteConfig[];
  /** Runs the retention cleanup now (it also runs on its own timer). */
  runRetention(now?: number): Promise<RetentionResult>;
  /** Ends the live streams (the first step of a shutdown: they never end on their own). */
  endStreams(): void;
  /** Ends live streams, stops the timer and closes the store. */
  close(): Promise<void>;
}

const RECEIVER_AUTH = 'write routes: the write key (?key=, X-Trailmark-Key or Authorization: Bearer); read routes: only the read key';

/** The receiver's own routes, for `GET /` (the protocol adds the batch, stats and health routes). */
function receiverRoutes(dev: boolean): Record<string, string> {
  return {
    'GET /': 'the live page (to a browser; this list otherwise)',
    'POST /api/analytics/track': 'one event or an array (docs/receiver.md), write key',
    'GET /api/analytics/track': 'stored events, newest first, read key',
    'GET /api/analytics/rollups': 'hourly rollups, read key',
    'GET /api/live/summary': "the live page's data, read key",
    'GET /api/live/stream': "the live page's event stream (server-sent events), read key",
    ...(dev
      ? {
          'GET /_trailmark/events': 'dev mode: every stored event',
          'GET /_trailmark/rejections': 'dev mode: the last refusals and why',
          'POST /_trailmark/reset': 'dev mode: empties the store',
          'GET /_trailmark/stats': 'dev mode: counts',
        }
      : {}),
  };
}

/** Builds the receiver: validates the sites, opens and migrates the store, wires the routes. */
export function createReceiver(options: ReceiverOptions): Receiver {
  const sites = validateSites(options.sites);
  const clock = options.clock ?? Date.now;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store =
    options.store ??
    openStore({
      dataDir: options.dataDir,
      memory: options.memory ?? false,
      rollupDimensions: options.rollupDimensions,
      readThreads: options.readThreads,
    });
  const ctx: ReceiverContext = {
    store,
    keys: createKeyring(sites),
    limiter: createRateLimiter({ ...(options.rateLimit ?? { perSecond: 50, burst: 200 }), clock }),
    rejections: createRejectionLog(),
    bus: createLiveBus(),
    ...(options.groupCommit === false ? {} : { commits: createCommitQueue(store) }),
    clock,
    dev: options.dev ?? false,
    corsAny: options.corsAny ?? false,
    redact: options.redact ?? true,
    maxEventAgeMs: options.maxEventAgeMs ?? 7 * 86_400_000,
    statsBudget: { ...STATS_BUDGET, ...options.statsBudget },
    startedAt: clock(),
    counters: { internalErrors: 0, storageErrors: 0 },
    log,
  };

  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
  });
  app.use(
    '*',
    siteCors({
      keys: ctx.keys,
      anyOrigin: ctx.corsAny,
      ownPages: true,
      refuse: (request, error) => fail(ctx, request, 'origin_not_allowed', error),
    }),
  );
  for (const path of HEALTH_PATHS)
    app.get(path, () => {
      ctx.store.ping();
      return json({ ok: true, uptime_s: Math.round((clock() - ctx.startedAt) / 1000) });
    });
  // `GET /` is the live page for a browser; a client that asks for no page (curl, scripts) gets the route list.
  app.get('/', async (c, next) => {
    if ((c.req.header('accept') ?? '').includes('text/html')) return next();
    return routeIndexResponse('trailmark reference receiver', RECEIVER_AUTH, receiverRoutes(ctx.dev));
  });
  batchRoutes(app, ctx);
  trackRoutes(app, ctx);
  statsRoutes(app, ctx);
  if (ctx.dev) inspectRoutes(app, ctx);
  const endStreams = liveRoutes(app, ctx);

  const known = [...HEALTH_PATHS, '/v1/batch', '/api/analytics/track', '/api/analytics/rollups', '/api/live/summary', '/api/live/stream'];
  if (ctx.dev) known.push('/_trailmark/events', '/_trailmark/rejections', '/_trailmark/reset', '/_trailmark/stats');
  for (const path of known) {
    app.all(path, (c) =>
      failUnread(ctx, c.req.raw, 'method_not_allowed', `${c.req.method} is not allowed on ${path}`, {
        headers: { allow: 'GET, POST, OPTIONS' },
      }),
    );
  }
  app.notFound((c) => failUnread(ctx, c.req.raw, 'not_found', `no endpoint at ${new URL(c.req.url).pathname.slice(0, 200)}`));
  app.onError((error, c) => {
    if (error instanceof StorageError) {
      ctx.counters.storageErrors++;
      log(`trailmark-receiver: ${error.message}`);
      return errorResponse('unavailable', 'storage is unavailable; nothing was stored, retry later', { 'retry-after': '5' });
    }
    if (error instanceof HTTPException && error.status < 500) {
      return fail(ctx, c.req.raw, 'invalid_request', error.message || 'the request could not be used');
    }
    // Input is validated before anything can throw on it, so this is a receiver bug: logged and counted,
    // and answered as a refusal of the request rather than a 5xx (the contract: bad input never gets a 5xx).
    ctx.counters.internalErrors++;
    log(`trailmark-receiver: unexpected error on ${c.req.method} ${c.req.path}: ${(error as Error)?.stack ?? error}`);
    return fail(ctx, c.req.raw, 'invalid_request', 'the request could not be processed');
  });

  const retention = options.retention ?? {};
  const timer = scheduleRetention(store, clock, retention, (error) => log(`trailmark-receiver: retention cleanup failed: ${error}`));
  let closed = false;
  return {
    fetch: async (request) => app.fetch(request),
    store,
    sites,
    runRetention: (now = clock()) => runRetention(store, now, retention),
    endStreams,
    async close() {
      if (closed) return;
      closed = true;
      timer.stop();
      endStreams();
      store.close();
    },
  };
}
