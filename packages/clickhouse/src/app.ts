import { createKeyring, createRateLimiter, refuseUnread, type SiteConfig, siteCors, validateSites } from '@trailmark/node-http';
import { countryLookup, MAX_EVENT_AGE_MS, routeIndexResponse, STATS_PANELS, type StatsPanel, statsResponse } from '@trailmark/protocol';
import { Hono } from 'hono';
import { handleBatch } from './batch-route.js';
import type { NodeContext } from './context.js';
import type { EventLog } from './event-log.js';
import { authorize, fail, json, unavailable } from './http.js';
import { recentIds } from './recent-ids.js';
import { statsPanelSql } from './stats-queries.js';
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
  clock?: () => number;
  say?: (line: string) => void;
}

/** A node's request handler. */
export interface ClickhouseNode {
  fetch(request: Request): Promise<Response>;
  readonly counters: NodeContext['counters'];
}

const CH_AUTH = 'write: the write key (?key=, X-Trailmark-Key or Authorization: Bearer); stats: only the read key, as Bearer';

/** Builds a node's handler: ingest (`/v1/batch`, with a log), the stats read API, `/health` (and `/healthz`), `GET /`. */
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
  const app = new Hono();
  app.use('*', siteCors({ keys: ctx.keys, refuse: (_request, error) => fail('origin_not_allowed', error) }));
  app.post('/v1/batch', (c) => handleBatch(ctx, c.req.raw));
  app.all('/v1/batch', (c) => refuseUnread(c.req.raw, fail('method_not_allowed', 'use POST', { allow: 'POST, OPTIONS' })));
  app.get(`/v1/stats/:panel{${STATS_PANELS.join('|')}}`, async (c) => {
    const auth = await authorize(ctx, c.req.raw, 'read');
    if (!auth.ok) return auth.response;
    const result = statsPanelSql(ctx.store, auth.grant.site.id, new URL(c.req.url), ctx.clock());
    if (typeof result === 'string') return fail('invalid_request', result);
    try {
      const data = await result;
      // Any panel answers CSV too (`format=csv`); the route's pattern admits only the stats panels.
      return statsResponse(c.req.param('panel') as StatsPanel, auth.grant.site.id, data, new URL(c.req.url).searchParams);
    } catch (error) {
      ctx.counters.storeErrors++;
      ctx.say(`read failed: ${(error as Error).message}`);
      return unavailable(ctx, 'ClickHouse is unavailable');
    }
  });
  // The protocol's common routes (batch, stats, health) are all a node serves.
  app.get('/', () => routeIndexResponse('trailmark clickhouse', CH_AUTH, {}));
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
