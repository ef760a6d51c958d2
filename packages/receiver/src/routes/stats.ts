import {
  isStatsPanel,
  LIVE_WINDOW_MS,
  liveCountOf,
  MAX_FUTURE_SKEW_MS,
  panelAnswer,
  panelPlan,
  panelSql,
  parseStatsQuery,
  rangeTooLarge,
  rangeVisitsSql,
  readWithinBudget,
  STATS_RETRY_AFTER_S,
  type StatsRead,
  statsEventOf,
  statsResponse,
} from '@trailmark/protocol';
import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { authorize, fail } from '../http.js';

const PAGE = 5000;

/**
 * The dashboard's read contract, `GET /v1/stats/:panel` (see `parseStatsQuery` in @trailmark/protocol): each panel
 * is one query over the per-visit rollups the store keeps as events arrive (migration 005); live visitors are
 * counted from the last five minutes of raw events.
 */
export function statsRoutes(app: Hono, ctx: ReceiverContext): void {
  app.get('/v1/stats/:panel', async (c) => {
    const request = c.req.raw;
    const auth = await authorize(ctx, request, 'read');
    if (!auth.ok) return auth.response;
    const siteId = auth.grant.site.id;
    const panel = c.req.param('panel');
    if (!isStatsPanel(panel)) return fail(ctx, request, 'not_found', `no stats panel ${panel.slice(0, 64)}`, { siteId });
    const now = ctx.clock();
    const params = new URL(request.url).searchParams;
    const query = parseStatsQuery(params, now);
    if (typeof query === 'string') return fail(ctx, request, 'invalid_request', query, { siteId });
    const retryAfter = (seconds: number) => ({ 'retry-after': String(seconds) });
    if (panel === 'live') {
      const read = await readEvents(ctx, siteId, now - LIVE_WINDOW_MS, now + MAX_FUTURE_SKEW_MS);
      if (!read.ok) return fail(ctx, request, 'unavailable', read.error, { siteId, headers: retryAfter(read.retryAfterSeconds) });
      return statsResponse(panel, siteId, liveCountOf(read.events, now), params);
    }
    // A rollup panel reads the range's visit rows: bounded like a raw read (issue 27) by counting them first.
    const { maxEvents } = ctx.statsBudget;
    const range = (await ctx.store.readVisitRows(rangeVisitsSql(siteId, query, maxEvents + 1)))[0];
    const visits = Number(range?.n ?? 0);
    if (visits > maxEvents)
      return fail(ctx, request, 'unavailable', rangeTooLarge(maxEvents, 'visits'), { siteId, headers: retryAfter(STATS_RETRY_AFTER_S) });
    const data = panelAnswer(panel, query, await ctx.store.readVisitRows(panelSql(panel, siteId, query, panelPlan(query, range))));
    return statsResponse(panel, siteId, data, params);
  });
}

/**
 * Every event of a site in a time range, a page at a time, within the receiver's stats budget: the store reads
 * synchronously, so the event loop gets a turn between pages (ingest and health answer meanwhile).
 */
function readEvents(ctx: ReceiverContext, siteId: string, fromTs: number, toTs: number): Promise<StatsRead> {
  return readWithinBudget<{ ts: number; id: number }>(
    (after) => {
      const page = ctx.store.listEvents({ siteId, fromTs, toTs, limit: PAGE, order: 'newest', after });
      return {
        events: page.events.map((stored) => statsEventOf(stored.event, stored.ts, stored.userAgent)),
        next: page.nextCursor ?? undefined,
      };
    },
    ctx.statsBudget,
    ctx.clock,
  );
}
