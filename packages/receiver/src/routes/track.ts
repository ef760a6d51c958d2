import { MAX_BATCH_EVENTS, MAX_DRAIN_BYTES, MAX_FUTURE_SKEW_MS, MAX_REQUEST_BYTES, readJsonBody } from '@trailmark/protocol';
import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { authorize, fail, json, queryNumber } from '../http.js';
import { storeBatch, withTicket } from '../ingest.js';
import { HOUR_MS, hourOf } from '../rollup-keys.js';
import type { StoredEvent } from '../store.js';
import { toNativeEvent, trackReason } from '../track-event.js';
import { recordEventRejections } from './record.js';

const MAX_HOURS = 24 * 366;

/** The analytics-track API: `POST`/`GET /api/analytics/track` and `GET /api/analytics/rollups`. */
export function trackRoutes(app: Hono, ctx: ReceiverContext): void {
  app.post('/api/analytics/track', async (c) => {
    const request = c.req.raw;
    const auth = await authorize(ctx, request, 'write');
    if (!auth.ok) return auth.response;
    const siteId = auth.grant.site.id;
    return withTicket({ ...ctx, userAgent: request.headers.get('user-agent') }, async (deps) => {
      const body = await readJsonBody(request, MAX_REQUEST_BYTES, MAX_DRAIN_BYTES);
      if (!body.ok) return fail(ctx, request, body.code, body.error, { siteId, unread: body.unread });
      const single = !Array.isArray(body.value);
      const inputs = single ? [body.value] : (body.value as unknown[]);
      if (inputs.length === 0) return fail(ctx, request, 'invalid_request', 'the array holds no events', { siteId });
      if (inputs.length > MAX_BATCH_EVENTS) {
        return fail(ctx, request, 'payload_too_large', `at most ${MAX_BATCH_EVENTS} events per request; this one has ${inputs.length}`, {
          siteId,
        });
      }
      const now = ctx.clock();
      const events = inputs.map((input) => toNativeEvent(input, { siteId, now, ids: 'random' }));
      const admission = await storeBatch(deps, { events }, { siteId, source: 'track', maxAgeMs: ctx.maxEventAgeMs });
      if (!admission.ok) return fail(ctx, request, admission.code, admission.error, { siteId });
      const answer = admission.response;
      const rejected = answer.rejected.map((rejection) => ({ ...rejection, reason: trackReason(rejection.reason) }));
      recordEventRejections(ctx, request, siteId, rejected);
      const stored = new Set([...answer.accepted, ...answer.duplicates]);
      // In request order, each valid event's id once (a repeat is acknowledged like the first). An element that is
      // not an object (`null`, a number) has no id: it is only in `rejected`.
      const eventIds = [...new Set(events.map(idOf))].filter((id): id is string => typeof id === 'string' && stored.has(id));
      if (single) {
        const only = rejected[0];
        if (only) return fail(ctx, request, 'invalid_request', `the event was rejected: ${only.reason}`, { siteId, extra: { rejected } });
        return json({ ok: true, event_id: eventIds[0], duplicate: answer.duplicates.length > 0 });
      }
      if (eventIds.length === 0) {
        return fail(ctx, request, 'invalid_batch', 'no event in the request was valid', { siteId, extra: { rejected } });
      }
      return json({ ok: true, event_ids: eventIds, accepted: answer.accepted, duplicates: answer.duplicates, rejected });
    });
  });

  app.get('/api/analytics/track', async (c) => {
    const request = c.req.raw;
    const auth = await authorize(ctx, request, 'read');
    if (!auth.ok) return auth.response;
    const siteId = auth.grant.site.id;
    const url = new URL(request.url);
    const hours = queryNumber(url, 'hours', { min: 0, max: MAX_HOURS, fallback: 24 });
    const limit = queryNumber(url, 'limit', { min: 1, max: 1000, fallback: 100, integer: true });
    const cursor = decodeCursor(url.searchParams.get('cursor'));
    for (const problem of [hours, limit, cursor]) {
      if (typeof problem === 'string') return fail(ctx, request, 'invalid_request', problem, { siteId });
    }
    const type = url.searchParams.get('event_type') ?? undefined;
    const now = ctx.clock();
    const fromTs = now - (hours as number) * HOUR_MS;
    const toTs = now + MAX_FUTURE_SKEW_MS;
    const page = ctx.store.listEvents({
      siteId,
      type,
      fromTs,
      toTs,
      limit: limit as number,
      order: 'newest',
      after: cursor as { ts: number; id: number } | undefined,
    });
    const total = ctx.store.countEvents(siteId, fromTs, toTs, type);
    return json({
      ok: true,
      count: page.events.length,
      total_in_range: total,
      events: page.events.map(trackView),
      next_cursor: page.nextCursor ? encodeCursor(page.nextCursor) : null,
    });
  });

  app.get('/api/analytics/rollups', async (c) => {
    const request = c.req.raw;
    const auth = await authorize(ctx, request, 'read');
    if (!auth.ok) return auth.response;
    const siteId = auth.grant.site.id;
    const hours = queryNumber(new URL(request.url), 'hours', { min: 1, max: MAX_HOURS, fallback: 168, integer: true });
    if (typeof hours === 'string') return fail(ctx, request, 'invalid_request', hours, { siteId });
    const now = ctx.clock();
    const fromHour = hourOf(now) - (hours - 1) * HOUR_MS;
    const toHour = hourOf(now + MAX_FUTURE_SKEW_MS);
    const rows = ctx.store.rollups(siteId, fromHour, toHour);
    const rollups = rows.map((row) => ({
      hour: new Date(row.hour).toISOString(),
      event_counts: row.eventCounts,
      ...row.dimensions,
      unique_sessions: row.uniqueSessions,
      total_events: row.totalEvents,
    }));
    return json({
      ok: true,
      count: rollups.length,
      hours,
      total_events: rows.reduce((sum, row) => sum + row.totalEvents, 0),
      total_sessions: ctx.store.totalSessions(siteId, fromHour, toHour),
      rollups,
    });
  });
}

/** A stored event in the analytics-track API's shape (native events included). */
export function trackView(stored: StoredEvent): Record<string, unknown> {
  const { event } = stored;
  const props = event.props ?? {};
  const view: Record<string, unknown> = {
    event_id: event.event_id,
    event_type: event.type,
    session_id: event.session_id,
    user_id: event.user_id ?? null,
    visitor_id: event.visitor_id,
    site_id: event.site_id,
    timestamp: new Date(stored.ts).toISOString(),
    received_at: new Date(stored.receivedAt).toISOString(),
    tool_name: typeof props.tool_name === 'string' ? props.tool_name : null,
    action: typeof props.action === 'string' ? props.action : null,
    properties: props,
    source: stored.source,
  };
  if (typeof props.demo_mode === 'boolean') view.demo_mode = props.demo_mode;
  for (const key of ['url', 'path', 'referrer', 'title'] as const) {
    if (event[key]) view[key] = event[key];
  }
  return view;
}

function idOf(event: unknown): unknown {
  return typeof event === 'object' && event !== null ? (event as { event_id?: unknown }).event_id : undefined;
}

function encodeCursor(cursor: { ts: number; id: number }): string {
  return Buffer.from(`${cursor.ts}.${cursor.id}`).toString('base64url');
}

function decodeCursor(raw: string | null): { ts: number; id: number } | undefined | string {
  if (raw === null || raw === '') return undefined;
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!match) return 'cursor is not one this server gave out';
  return { ts: Number(match[1]), id: Number(match[2]) };
}
