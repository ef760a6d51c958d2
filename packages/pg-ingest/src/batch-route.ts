import { ingestResponse, parseBatch, type Rejection, readJsonBody, type TrailmarkEvent } from '@trailmark/protocol';
import { clientAddress, storedIp } from './client-ip.js';
import type { IngestContext } from './context.js';
import { authorize, closeUnread, fail, json } from './http.js';
import { redactEvent, storageProblem } from './redact.js';
import { insertEvents, StorageError } from './store.js';

/**
 * `POST /v1/batch`: the SDK's envelope or a plain script's `{ events: [...] }`. Order: key, origin, rate, body,
 * envelope; then each event is checked on its own (its site must be the key's site), redacted, and all good
 * events are stored in one statement. The answer lists accepted, duplicate and rejected events; 503 with
 * `Retry-After` when the database could not store them (nothing was stored).
 */
export async function handleBatch(ctx: IngestContext, request: Request, remoteAddress: string | undefined): Promise<Response> {
  const auth = await authorize(ctx, request, 'write');
  if (!auth.ok) return auth.response;
  const siteId = auth.grant.site.id;
  const body = await readJsonBody(request);
  // Refused before or while reading (too large, wrong type, unreadable): the rest of the body was never read.
  if (!body.ok)
    return body.code === 'malformed_json' || body.code === 'invalid_utf8'
      ? fail(body.code, body.error)
      : closeUnread(fail(body.code, body.error), request);
  const parsed = parseBatch(body.value, { now: ctx.clock(), maxAgeMs: ctx.maxEventAgeMs });
  if (!parsed.ok) return fail(parsed.code, parsed.error);

  const rawEvents = (body.value as { events: unknown[] }).events;
  const rejected: Rejection[] = [...parsed.rejected];
  const seen = new Set<string>();
  const duplicates = [...parsed.duplicates];
  const keep: TrailmarkEvent[] = [];
  for (const event of parsed.events) {
    const problem = event.site_id !== siteId ? `site_id: must be "${siteId}", the key's site` : storageProblem(event);
    if (problem) {
      rejected.push({ index: indexOf(rawEvents, event.event_id), event_id: event.event_id, reason: problem });
      continue;
    }
    // UUIDs compare case-insensitively in PostgreSQL; the answer still echoes the client's spelling.
    const id = event.event_id.toLowerCase();
    if (seen.has(id)) {
      duplicates.push(event.event_id);
      continue;
    }
    seen.add(id);
    keep.push(event);
  }
  rejected.sort((a, b) => a.index - b.index);

  let inserted = new Set<string>();
  if (keep.length > 0) {
    if (!ctx.gate.enter()) {
      ctx.counters.overloaded++;
      return fail('rate_limited', 'the server is busy; retry after 1 s', { 'retry-after': '1' });
    }
    try {
      const ip = storedIp(clientAddress(request.headers, remoteAddress, ctx.trustProxyHeader), ctx.ipMode);
      const stored = await insertEvents(
        ctx.db,
        keep.map(redactEvent),
        { skewMs: parsed.skewMs, userAgent: request.headers.get('user-agent'), ip },
        ctx.insertStrategy,
      );
      inserted = new Set(keep.filter((event) => stored.has(event.event_id.toLowerCase())).map((event) => event.event_id));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      ctx.counters.storageErrors++;
      ctx.log(`storage unavailable: ${error.message}`);
      const seconds = String(ctx.retryAfterSeconds);
      return fail('unavailable', `the database is unavailable; nothing was stored, retry after ${seconds} s`, { 'retry-after': seconds });
    } finally {
      ctx.gate.leave();
    }
  }
  const answer = ingestResponse({ ...parsed, events: keep, duplicates, rejected }, inserted);
  ctx.counters.accepted += answer.accepted.length;
  ctx.counters.duplicates += answer.duplicates.length;
  ctx.counters.rejected += answer.rejected.length;
  return json(answer);
}

// parseBatch keeps only the valid events, so the request position of a refused one is looked up again.
function indexOf(rawEvents: readonly unknown[], eventId: string): number {
  return rawEvents.findIndex((raw) => typeof raw === 'object' && raw !== null && (raw as { event_id?: unknown }).event_id === eventId);
}
