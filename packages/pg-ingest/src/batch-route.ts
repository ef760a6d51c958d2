import { closeIfUnread } from '@trailmark/node-http';
import { admitBatch, MAX_DRAIN_BYTES, MAX_REQUEST_BYTES, readJsonBody } from '@trailmark/protocol';
import { clientAddress, storedIp } from './client-ip.js';
import type { IngestContext } from './context.js';
import { authorize, fail, json } from './http.js';
import { storageProblem } from './storable.js';
import { insertEvents, StorageError, storedIds } from './store.js';

/** The write gate was full: nothing was stored, the client retries after 1 s. */
class Overloaded extends Error {}

/**
 * `POST /v1/batch`: the SDK's envelope or a plain script's `{ events: [...] }`. Order: key, origin, rate, body; then
 * the protocol's one ingest path (`admitBatch`: envelope, each event on its own, its site the key's, what PostgreSQL
 * can hold, redaction, the user agent's class) and all good events stored in one statement. The answer lists accepted, duplicate and
 * rejected events; 503 with `Retry-After` when the database could not store them (nothing was stored).
 */
export async function handleBatch(ctx: IngestContext, request: Request, remoteAddress: string | undefined): Promise<Response> {
  const auth = await authorize(ctx, request, 'write');
  if (!auth.ok) return auth.response;
  const body = await readJsonBody(request, MAX_REQUEST_BYTES, MAX_DRAIN_BYTES);
  if (!body.ok) return closeIfUnread(fail(body.code, body.error), body.unread);
  const siteId = auth.grant.site.id;
  const lookup = (ids: string[]) => storedIds(ctx.db, siteId, ids);
  const userAgent = request.headers.get('user-agent');
  const options = { now: ctx.clock(), maxAgeMs: ctx.maxEventAgeMs, siteId, storable: storageProblem, lookup, userAgent };
  let admission: Awaited<ReturnType<typeof admitBatch>>;
  try {
    admission = await admitBatch(body.value, options, async ({ events, skewMs, agent }) => {
      if (!ctx.gate.enter()) throw new Overloaded();
      try {
        const ip = storedIp(clientAddress(request.headers, remoteAddress, ctx.trustProxyHeader), ctx.ipMode);
        return await insertEvents(ctx.db, events, { skewMs, userAgent: agent, ip }, ctx.insertStrategy);
      } finally {
        ctx.gate.leave();
      }
    });
  } catch (error) {
    if (error instanceof Overloaded) {
      ctx.counters.overloaded++;
      return fail('rate_limited', 'the server is busy; retry after 1 s', { 'retry-after': '1' });
    }
    if (!(error instanceof StorageError)) throw error;
    ctx.counters.storageErrors++;
    ctx.log(`storage unavailable: ${error.message}`);
    const seconds = String(ctx.retryAfterSeconds);
    return fail('unavailable', `the database is unavailable; nothing was stored, retry after ${seconds} s`, { 'retry-after': seconds });
  }
  if (!admission.ok) return fail(admission.code, admission.error);
  const answer = admission.response;
  ctx.counters.accepted += answer.accepted.length;
  ctx.counters.duplicates += answer.duplicates.length;
  ctx.counters.rejected += answer.rejected.length;
  return json(answer);
}
