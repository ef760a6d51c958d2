import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { fail, json, queryNumber } from '../http.js';

/**
 * Inspection for tests and local development (only with `dev`), like Snowplow Micro: what was stored, what was
 * refused and why, a reset between tests, and counts. Open without a key: never enable it on a shared network.
 */
export function inspectRoutes(app: Hono, ctx: ReceiverContext): void {
  app.get('/_trailmark/events', async (c) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const limit = queryNumber(url, 'limit', { min: 1, max: 10_000, fallback: 1000, integer: true });
    const min = queryNumber(url, 'min', { min: 0, max: 10_000, fallback: 0, integer: true });
    const timeout = queryNumber(url, 'timeout', { min: 0, max: 30_000, fallback: 5000, integer: true });
    for (const problem of [limit, min, timeout]) {
      if (typeof problem === 'string') return fail(ctx, request, 'invalid_request', problem);
    }
    const param = (name: string) => url.searchParams.get(name) || undefined;
    const list = () =>
      ctx.store.listEvents({
        type: param('type'),
        sessionId: param('session_id'),
        siteId: param('site_id'),
        eventId: param('event_id'),
        limit: limit as number,
        order: 'arrival',
      }).events;
    // `min=N` waits (up to `timeout` ms) until N matching events are stored: tests need no polling loop.
    let events = list();
    const deadline = Date.now() + (timeout as number);
    while (events.length < (min as number) && Date.now() < deadline && !request.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = list();
    }
    return json({ ok: true, count: events.length, events: events.map((stored) => stored.event) });
  });

  app.get('/_trailmark/rejections', (c) => {
    const request = c.req.raw;
    const limit = queryNumber(new URL(request.url), 'limit', { min: 1, max: 10_000, fallback: 1000, integer: true });
    if (typeof limit === 'string') return fail(ctx, request, 'invalid_request', limit);
    const rejections = ctx.rejections.list(limit);
    return json({ ok: true, count: rejections.length, total: ctx.rejections.total, rejections });
  });

  app.post('/_trailmark/reset', async (c) => {
    await c.req.raw.body?.cancel().catch(() => undefined);
    ctx.store.reset();
    ctx.rejections.clear();
    ctx.limiter.reset();
    return json({ ok: true });
  });

  app.get('/_trailmark/stats', () => {
    const byType = ctx.store.typeCounts();
    return json({
      ok: true,
      events: Object.values(byType).reduce((sum, n) => sum + n, 0),
      by_type: byType,
      rejections: ctx.rejections.total,
      sites: ctx.keys.sites.map((site) => site.id),
      storage: ctx.store.location,
      live_clients: ctx.bus.size,
      uptime_s: Math.round((ctx.clock() - ctx.startedAt) / 1000),
      internal_errors: ctx.counters.internalErrors,
      storage_errors: ctx.counters.storageErrors,
    });
  });
}
