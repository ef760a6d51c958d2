import { isStatsPanel, parseStatsQuery, readWithinBudget, type StatsRead, statsEventOf, statsFromEvents } from '@trailmark/protocol';
import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { authorize, fail, json } from '../http.js';

const PAGE = 5000;

/**
 * The dashboard's read contract, `GET /v1/stats/:panel` (see `parseStatsQuery` in @trailmark/protocol): the
 * events around the range are read from the store and the panel is computed by the protocol's reference code.
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
    const query = parseStatsQuery(new URL(request.url).searchParams, now);
    if (typeof query === 'string') return fail(ctx, request, 'invalid_request', query, { siteId });
    let refused: Extract<StatsRead, { ok: false }> | undefined;
    const data = await statsFromEvents(panel, query, now, async (fromTs, toTs) => {
      const read = await readEvents(ctx, siteId, fromTs, toTs);
      if (read.ok) return read.events;
      refused = read;
      return [];
    });
    if (refused) {
      const headers = { 'retry-after': String(refused.retryAfterSeconds) };
      return fail(ctx, request, 'unavailable', refused.error, { siteId, headers });
    }
    return json({ ok: true, site_id: siteId, data });
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
