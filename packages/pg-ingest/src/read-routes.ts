import type { SiteConfig } from '@trailmark/node-http';
import { isStatsPanel, statsResponse } from '@trailmark/protocol';
import type { Hono } from 'hono';
import type { IngestContext, RequestEnv } from './context.js';
import { utcDay } from './etl.js';
import { authorize, fail, json, queryDay, queryInt } from './http.js';
import { activeSessions, campaigns, dailyMetrics, formFunnel, pagePerformance, topPages, trafficSources } from './queries.js';
import { StatsRefusal } from './stats-budget.js';
import { STATS_ROUTE } from './stats-queries.js';
import { budgetedStats } from './stats-route.js';

type ReadHandler = (site: SiteConfig, url: URL) => Promise<unknown> | string;

/**
 * The read API: secret read key only (a write key gets 403), one site per key, JSON out.
 * A handler returns the data, or a string naming a bad query parameter (400 `invalid_request`).
 */
export function mountReadRoutes(app: Hono<{ Bindings: RequestEnv }>, ctx: IngestContext): void {
  const route = (path: string, handler: ReadHandler) => {
    app.get(path, async (c) => {
      const auth = await authorize(ctx, c.req.raw, 'read');
      if (!auth.ok) return auth.response;
      const url = new URL(c.req.url);
      const result = handler(auth.grant.site, url);
      if (typeof result === 'string') return fail('invalid_request', result);
      try {
        const data = await result;
        // The stats panels answer CSV too (`format=csv`); the other read endpoints JSON only.
        const panel = url.pathname.startsWith('/v1/stats/') ? url.pathname.slice(10) : undefined;
        if (panel !== undefined && isStatsPanel(panel)) return statsResponse(panel, auth.grant.site.id, data, url.searchParams);
        return json({ ok: true, site_id: auth.grant.site.id, data });
      } catch (error) {
        if (error instanceof StatsRefusal) {
          ctx.log(`stats request refused: ${error.message}`);
          return fail('unavailable', error.message, { 'retry-after': String(error.retryAfterSeconds) });
        }
        ctx.counters.storageErrors++;
        ctx.log(`read failed: ${(error as Error).message}`);
        const seconds = String(ctx.retryAfterSeconds);
        return fail('unavailable', `the database is unavailable; retry after ${seconds} s`, { 'retry-after': seconds });
      }
    });
  };
  const days = (url: URL, fallback: number) => queryInt(url, 'days', { min: 1, max: 366, fallback });
  const limit = (url: URL) => queryInt(url, 'limit', { min: 1, max: 1000, fallback: 100 });

  route('/v1/metrics/daily', (site, url) => {
    const today = utcDay(ctx.clock());
    const from = queryDay(url, 'from', utcDay(ctx.clock() - 29 * 86_400_000));
    const to = queryDay(url, 'to', today);
    if (typeof from === 'string') return from;
    if (typeof to === 'string') return to;
    if (to.day < from.day) return 'from must not be after to';
    return dailyMetrics(ctx.db, site.id, from.day, to.day);
  });
  route('/v1/pages/top', (site, url) => {
    const d = days(url, 7);
    const n = queryInt(url, 'limit', { min: 1, max: 1000, fallback: 10 });
    if (typeof d === 'string') return d;
    if (typeof n === 'string') return n;
    return topPages(ctx.db, site.id, { days: d, limit: n });
  });
  route('/v1/pages/performance', (site, url) => {
    const n = limit(url);
    return typeof n === 'string' ? n : pagePerformance(ctx.db, site.id, { limit: n });
  });
  route('/v1/sources', (site) => trafficSources(ctx.db, site.id));
  route('/v1/sessions/active', (site, url) => {
    const n = limit(url);
    return typeof n === 'string' ? n : activeSessions(ctx.db, site.id, { limit: n });
  });
  route('/v1/campaigns', (site, url) => {
    const d = days(url, 30);
    return typeof d === 'string' ? d : campaigns(ctx.db, site.id, { days: d });
  });
  route(STATS_ROUTE, (site, url) => budgetedStats(ctx, site.id, url));
  route('/v1/funnel', (site, url) => {
    const interestPath = url.searchParams.get('interest');
    const formPath = url.searchParams.get('form');
    const d = days(url, 30);
    if (!interestPath || !formPath) return 'interest and form (page paths) are required';
    if (interestPath.length > 2048 || formPath.length > 2048) return 'paths must be at most 2048 characters';
    if (`${interestPath}${formPath}`.includes('\u0000')) return 'paths must not contain U+0000';
    if (typeof d === 'string') return d;
    return formFunnel(ctx.db, site.id, { interestPath, formPath, days: d });
  });
}
