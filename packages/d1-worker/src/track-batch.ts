import {
  errorResponse,
  ingestResponse,
  lowerId,
  oncePerId,
  type ParsedBatch,
  parseBatch,
  type Rejection,
  readJsonBody,
  redactEvent,
} from '@trailmark/protocol';
import { enrich, hostOf } from './enrich.js';
import { json } from './http.js';
import type { SiteKey } from './keys.js';
import { isGone, type LiveEvent } from './live-client.js';
import { eventRow, type IngestContext, insertEventsStatements, insertedIds, upsertVisitorsStatement } from './store-events.js';

/** What a stored batch hands on to the live-visitor objects, per site. */
export interface StoredBatch {
  response: Response;
  /** Newly stored events by site, for the live objects. */
  live: Map<string, LiveEvent[]>;
  /** Events stored, for the key's usage count. */
  stored: number;
}

/**
 * `POST /track/batch`: validates the SDK envelope, refuses events of another site one by one, then stores
 * every event (idempotently, by `event_id`) and upserts every visitor in one D1 `batch()`.
 */
export async function trackBatch(request: Request, db: D1Database, key: SiteKey, now = Date.now()): Promise<StoredBatch | Response> {
  const body = await readJsonBody(request);
  if (!body.ok) return errorResponse(body.code, body.error);
  const parsed = parseBatch(body.value, { now });
  if (!parsed.ok) return errorResponse(parsed.code, parsed.error);
  const checked = withoutForeignSites(parsed, key, body.value);
  const { unique, repeats } = oncePerId(checked.events);
  const batch: ParsedBatch = { ...checked, events: unique, duplicates: [...checked.duplicates, ...repeats] };
  const context: IngestContext = {
    ingestId: crypto.randomUUID(),
    apiKey: key.key,
    receivedAt: now,
    userAgent: request.headers.get('user-agent'),
  };
  // Stored and shown live as redacted, ids in lower case; the answer still names each event as the client spelled it.
  const events = unique.map((event) => redactEvent(lowerId(event)));
  const rows = events.map((event) => eventRow(event, batch.skewMs));
  const website = hostOf(events[0]?.url) || hostOf(key.origins.find((o) => o !== '*'));
  const enrichment = enrich(request.cf as Record<string, unknown> | undefined, request.headers.get('user-agent'), website);
  let inserted = new Set<string>();
  if (rows.length > 0) {
    const inserts = insertEventsStatements(db, context, rows);
    const upsert = upsertVisitorsStatement(db, context, rows.length, enrichment, website);
    // One transaction: the visitors count exactly the events that were stored, or nothing is stored.
    const results = await db.batch([...inserts, upsert]);
    inserted = insertedIds(results.slice(0, inserts.length));
  }
  const live = new Map<string, LiveEvent[]>();
  events.forEach((event, i) => {
    const row = rows[i];
    if (!row || !inserted.has(event.event_id)) return;
    const list = live.get(event.site_id) ?? [];
    list.push({
      visitor_id: event.visitor_id,
      session_id: event.session_id,
      type: event.type,
      ts: row.ts,
      url: event.url,
      path: event.path,
      title: event.title ?? null,
      gone: isGone(event.type, event.props),
      company: enrichment.company,
      location: enrichment.location,
      role: enrichment.lastRole,
    });
    live.set(event.site_id, list);
  });
  const accepted = new Set(unique.filter((event) => inserted.has(event.event_id.toLowerCase())).map((event) => event.event_id));
  return {
    response: json(ingestResponse(batch, accepted)),
    live,
    stored: inserted.size,
  };
}

/** Moves events whose `site_id` is not the key's site to `rejected`, with their index in the request. */
function withoutForeignSites(parsed: ParsedBatch, key: SiteKey, raw: unknown): ParsedBatch {
  const siteId = key.siteId;
  if (siteId === undefined) return parsed;
  const foreign = parsed.events.filter((event) => event.site_id !== siteId);
  if (foreign.length === 0) return parsed;
  const indexOf = positions(raw);
  const rejected: Rejection[] = [
    ...parsed.rejected,
    ...foreign.map((event) => ({
      index: indexOf.get(event.event_id) ?? -1,
      event_id: event.event_id,
      reason: `site_id: "${event.site_id.slice(0, 128)}" is not the site of this key`,
    })),
  ].sort((a, b) => a.index - b.index);
  return { ...parsed, events: parsed.events.filter((event) => event.site_id === siteId), rejected };
}

/** The first position of each event id in the request's `events` array. */
function positions(raw: unknown): Map<string, number> {
  const map = new Map<string, number>();
  const events = (raw as { events?: unknown }).events;
  if (!Array.isArray(events)) return map;
  events.forEach((event, index) => {
    const id = (event as { event_id?: unknown } | null)?.event_id;
    if (typeof id === 'string' && !map.has(id)) map.set(id, index);
  });
  return map;
}
