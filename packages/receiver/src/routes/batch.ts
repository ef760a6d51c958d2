import { parseBatch, readJsonBody } from '@trailmark/protocol';
import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { authorize, fail, json } from '../http.js';
import { storeParsed, withTicket } from '../ingest.js';
import { recordEventRejections } from './record.js';

/** `POST /v1/batch`: the native ingest endpoint (docs/protocol.md, "Ingest over HTTP"). */
export function batchRoutes(app: Hono, ctx: ReceiverContext): void {
  app.post('/v1/batch', async (c) => {
    const request = c.req.raw;
    const auth = await authorize(ctx, request, 'write');
    if (!auth.ok) return auth.response;
    const siteId = auth.grant.site.id;
    return withTicket({ ...ctx, userAgent: request.headers.get('user-agent') }, async (deps) => {
      const body = await readJsonBody(request);
      if (!body.ok) return fail(ctx, request, body.code, body.error, { siteId });
      const parsed = parseBatch(body.value, { now: ctx.clock(), maxAgeMs: ctx.maxEventAgeMs });
      if (!parsed.ok) return fail(ctx, request, parsed.code, parsed.error, { siteId });
      const rawEvents = (body.value as { events: unknown[] }).events;
      const answer = await storeParsed(deps, parsed, siteId, 'batch', rawEvents);
      recordEventRejections(ctx, request, siteId, answer.rejected);
      return json(answer);
    });
  });
}
