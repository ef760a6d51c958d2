import {
  createKeyring,
  createRateLimiter,
  createSlots,
  refuseUnread,
  type SiteConfig,
  siteCors,
  validateSites,
} from '@trailmark/node-http';
import { countryLookup, MAX_EVENT_AGE_MS, routeIndexResponse, STATS_PANELS, type StatsPanel, statsResponse } from '@trailmark/protocol';
import { Hono } from 'hono';
import { handleBatch } from './batch-route.js';
import type { NodeContext } from './context.js';
import type { EventLog } from './event-log.js';
import { authorize, fail, json, unavailable } from './http.js';
import { activeSessions, exportEvents } from './read-routes.js';
import { recentIds } from './recent-ids.js';
import { type ChStatsBudget, chStatsBudget, overBudget, readPlanner, StatsRefusal } from './stats-budget.js';
import { answerStats, statsRequestOf } from './stats-queries.js';
import type { ChStore } from './store.js';

/** Options of `createNode()`. */
export interface NodeOptions {
  sites: SiteConfig[];
  /** The ClickHouse this node reads (and looks ids up in). */
  store: ChStore;
  /** The log: an ingest node publishes to it; without one, `/v1/batch` is not served (a read-only node). */
  log?: EventLog | undefined;
  /** Per-key requests per second (0, the default, turns it off) and burst. */
  rateLimit?: { perSecond: number; burst: number };
  /** Oldest event accepted, ms (protocol default 7 days). */
  maxEventAgeMs?: number;
  /** `Retry-After` of a 503 (default 5 s). */
  retryAfterSeconds?: number;
  /** What one stats request may cost (`ChStatsBudget`; defaults by the store's kind). */
  statsBudget?: Partial<ChStatsBudget>;
  clock?: () => number;
  say?: (line: string) => void;
}

/** A node's request handler. */
export interface ClickhouseNode {
  fetch(request: Request): Promise<Response>;
  readonly counters: NodeContext['counters'];
}

const CH_ROUTES: Record<string, string> = {
  'GET /v1/events': 'stored events, oldest first (?since=&until=&visitor_id=&session_id=&type=&limit=&after=), read key',
  'GET /v1/sessions/active': 'the visits with an event in the last five minutes (?limit=), read key',
};

/** A read route's JSON answer. */
const readAnswer = (siteId: string, data: unknown): Response => json({ ok: true, site_id: siteId, data });

const CH_AUTH = 'write: the write key (?key=, X-Trailmark-Key or Authorization: Bearer); stats: only the read key, as Bearer';

/**
 * Builds a node's handler: ingest (`/v1/batch`, with a log), the read API (stats panels, events, active visits),
 * `/health` (and `/healthz`), `GET /`.
 */
export function createNode(options: NodeOptions): ClickhouseNode {
  const sites = validateSites(options.sites);
  const ctx: NodeContext = {
    keys: createKeyring(sites),
    limiter: createRateLimiter(options.rateLimit ?? { perSecond: 0, burst: 0 }),
    log: options.log,
    store: options.store,
    recent: recentIds(),
    country: countryLookup(),
    maxEventAgeMs: options.maxEventAgeMs ?? MAX_EVENT_AGE_MS,
    retryAfterSeconds: options.retryAfterSeconds ?? 5,
    clock: options.clock ?? Date.now,
    counters: { accepted: 0, duplicates: 0, rejected: 0, logErrors: 0, storeErrors: 0 },
    say: options.say ?? ((line) => console.error(`[trailmark-clickhouse] ${line}`)),
  };
  const planner = readPlanner();
  const budget = chStatsBudget(options.store.kind, options.statsBudget);
  const statsSlots = createSlots(budget.concurrency, budget.maxWaiting);
  const app = new Hono();
  app.use('*', siteCors({ keys: ctx.keys, refuse: (_request, error) => fail('origin_not_allowed', error) }));
  app.post('/v1/batch', (c) => handleBatch(ctx, c.req.raw));
  app.all('/v1/batch', (c) => refuseUnread(c.req.raw, fail('method_not_allowed', 'use POST', { allow: 'POST, OPTIONS' })));
  /** A read route: the secret read key only, a string result is a 400, a failing ClickHouse a 503. */
  const read = (
    path: string,
    handler: (siteId: string, url: URL) => Promise<unknown> | string,
    answer: (siteId: string, data: unknown, url: URL) => Response = readAnswer,
  ) => {
    app.get(path, async (c) => {
      const auth = await authorize(ctx, c.req.raw, 'read');
      if (!auth.ok) return auth.response;
      const url = new URL(c.req.url);
      const result = handler(auth.grant.site.id, url);
      if (typeof result === 'string') return fail('invalid_request', result);
      try {
        return answer(auth.grant.site.id, await result, url);
      } catch (error) {
        if (error instanceof StatsRefusal) {
          return fail('unavailable', error.message, { 'retry-after': String(error.retryAfterSeconds) });
        }
        ctx.counters.storeErrors++;
        ctx.say(`read failed: ${(error as Error).message}`);
        return unavailable(ctx, 'ClickHouse is unavailable');
      }
    });
  };
  // Any panel answers CSV too (`format=csv`); the route's pattern admits only the stats panels. Each request waits
  // for one of the budget's places, and runs under its limits: past them, 503 with Retry-After (issue 27).
  read(
    `/v1/stats/:panel{${STATS_PANELS.join('|')}}`,
    (siteId, url) => {
      const now = ctx.clock();
      const request = statsRequestOf(url, now);
      if (typeof request === 'string') return request;
      return (async () => {
        const release = await statsSlots.take(budget.waitMs);
        if (!release)
          throw new StatsRefusal(`${statsSlots.busy} stats requests are running and ${statsSlots.waiting} waiting; retry later`);
        try {
          return await answerStats(ctx.store, siteId, request, now, { planner, budget });
        } catch (error) {
          throw overBudget(error, budget) ?? error;
        } finally {
          release();
        }
      })();
    },
    (siteId, data, url) =>
      statsResponse(url.pathname.slice(url.pathname.lastIndexOf('/') + 1) as StatsPanel, siteId, data, url.searchParams),
  );
  read('/v1/events', (siteId, url) => exportEvents(ctx.store, siteId, url.searchParams));
  read('/v1/sessions/active', (siteId, url) => activeSessions(ctx.store, siteId, url.searchParams, ctx.clock()));
  app.get('/', () => routeIndexResponse('trailmark clickhouse', CH_AUTH, CH_ROUTES));
  app.get('/:health{health|healthz}', async () => {
    // An ingest node is healthy when it can reach the log (what a 200 depends on); a read node when ClickHouse answers.
    try {
      if (ctx.log) {
        if (ctx.log.nc.isClosed()) throw new Error('the log connection is closed');
        // A flush waits for the server's answer, which a disconnected client gets only after it reconnects: bounded.
        await Promise.race([
          ctx.log.nc.flush(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('the log did not answer within 2 s')), 2000).unref()),
        ]);
      } else {
        await ctx.store.query('SELECT 1');
      }
      return json({ ok: true });
    } catch {
      return unavailable(ctx, ctx.log ? 'the log is unavailable' : 'ClickHouse is unavailable');
    }
  });
  app.notFound((c) => refuseUnread(c.req.raw, fail('not_found', 'no such endpoint')));
  app.onError((error) => {
    // Reached only by a bug: bad input is answered with a 4xx before this. Logged, answered as retryable.
    ctx.say(`internal error: ${error.stack ?? error.message}`);
    return unavailable(ctx, 'internal error; nothing was accepted');
  });
  return { fetch: async (request) => app.fetch(request), counters: ctx.counters };
}
