import { MAX_DRAIN_BYTES, MAX_REQUEST_BYTES, readJsonBody } from '@trailmark/protocol';
import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { authorize, fail, json } from '../http.js';
import { storeBatch, withTicket } from '../ingest.js';
import { recordEventRejections } from './record.js';

/** `POST /v1/batch`: the native ingest endpoint (docs/protocol.md, "Ingest over HTTP"). */
export function batchRoutes(app: Hono, ctx: ReceiverContext): void {
  app.post('/v1/batch', async (c) => {
    const request = c.req.raw;
    const auth = await authorize(ctx, request, 'write');
    if (!auth.ok) return auth.response;
    const siteId = auth.grant.site.id;
    return withTicket({ ...ctx, userAgent: request.headers.get('user-agent') }, async (deps) => {
      const body = await readJsonBody(request, MAX_REQUEST_BYTES, MAX_DRAIN_BYTES);
      if (!body.ok) return fail(ctx, request, body.code, body.error, { siteId, unread: body.unread });
      const admission = await storeBatch(deps, body.value, { siteId, source: 'batch', maxAgeMs: ctx.maxEventAgeMs });
      if (!admission.ok) return fail(ctx, request, admission.code, admission.error, { siteId });
      recordEventRejections(ctx, request, siteId, admission.response.rejected);
      return json(admission.response);
    });
  });
}
