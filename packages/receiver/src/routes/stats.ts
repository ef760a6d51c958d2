import {
  isStatsPanel,
  LIVE_WINDOW_MS,
  liveCountOf,
  MAX_FUTURE_SKEW_MS,
  panelAnswer,
  panelSql,
  parseStatsQuery,
  type StatsEvent,
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
    const data =
      panel === 'live'
        ? liveCountOf(readEvents(ctx, siteId, now - LIVE_WINDOW_MS, now + MAX_FUTURE_SKEW_MS), now)
        : panelAnswer(panel, query, ctx.store.visitRows(panelSql(panel, siteId, query)));
    return statsResponse(panel, siteId, data, params);
  });
}

/** Every event of a site in a time range, a page at a time. */
function readEvents(ctx: ReceiverContext, siteId: string, fromTs: number, toTs: number): StatsEvent[] {
  const out: StatsEvent[] = [];
  let after: { ts: number; id: number } | undefined;
  do {
    const page = ctx.store.listEvents({ siteId, fromTs, toTs, limit: PAGE, order: 'newest', after });
    for (const stored of page.events) out.push(statsEventOf(stored.event, stored.ts, stored.userAgent));
    after = page.nextCursor ?? undefined;
  } while (after);
  return out;
}
