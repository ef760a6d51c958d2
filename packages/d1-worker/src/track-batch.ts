import { admitBatch, errorResponse, readJsonBody } from '@trailmark/protocol';
import { enrich, hostOf } from './enrich.js';
import { json } from './http.js';
import type { SiteKey } from './keys.js';
import { isGone, type LiveEvent } from './live-client.js';
import {
  type EventRow,
  eventRow,
  type IngestContext,
  insertEventsStatements,
  insertedIds,
  upsertVisitorDaysStatement,
  upsertVisitorsStatement,
} from './store-events.js';
import { foldAfterBatch, queueStoredStatement } from './visit-fold.js';

/** What a stored batch hands on to the live-visitor objects, per site. */
export interface StoredBatch {
  response: Response;
  /** Newly stored events by site, for the live objects. */
  live: Map<string, LiveEvent[]>;
  /** Events stored, for the key's usage count. */
  stored: number;
}

/**
 * `POST /track/batch`: the protocol's one ingest path (`admitBatch`: envelope, each event on its own, its site the
 * key's, one per id, redaction), then every new event stored (idempotently, by `event_id`), every visitor upserted
 * and the new events queued for their visits' fold in one D1 `batch()`; then the fold (`visit-fold.ts`). `extra`
 * statements (the key's usage count) run in that same batch.
 */
export async function trackBatch(
  request: Request,
  db: D1Database,
  key: SiteKey,
  extra: readonly D1PreparedStatement[] = [],
  now = Date.now(),
): Promise<StoredBatch | Response> {
  const body = await readJsonBody(request);
  if (!body.ok) return errorResponse(body.code, body.error);
  const context: IngestContext = {
    ingestId: crypto.randomUUID(),
    apiKey: key.key,
    receivedAt: now,
    userAgent: null,
  };
  let rows: EventRow[] = [];
  let wrote = false;
  let enrichment = enrich(undefined, null, '');
  let fold = async () => {};
  // The SDK's check of sends it never saw answered: which of these ids are stored for the key's site.
  const lookup = async (ids: string[]) =>
    (
      await db
        .prepare('SELECT event_id FROM events WHERE site_id = ? AND event_id IN (SELECT value FROM json_each(?))')
        .bind(key.siteId, JSON.stringify(ids))
        .all<{ event_id: string }>()
    ).results.map((row) => row.event_id);
  const userAgent = request.headers.get('user-agent');
  const admission = await admitBatch(body.value, { now, siteId: key.siteId, lookup, userAgent }, async ({ events, skewMs, agent }) => {
    // The user agent's class only (`agentClass`): the raw string is never stored.
    context.userAgent = agent;
    rows = events.map((event) => eventRow(event, skewMs));
    const website = hostOf(events[0]?.url) || hostOf(key.origins.find((o) => o !== '*'));
    enrichment = enrich(request.cf as Record<string, unknown> | undefined, userAgent, website);
    const inserts = insertEventsStatements(db, context, rows);
    const upsert = upsertVisitorsStatement(db, context, rows.length, enrichment, website);
    const days = upsertVisitorDaysStatement(db, context, rows.length);
    const queue = queueStoredStatement(db, context, rows.length);
    // The fold's first reads end the batch: its visits' states and queued events as this batch left them.
    const folding = foldAfterBatch(db, events);
    // One transaction: the visitors and the fold's queue hold exactly the events that were stored, or nothing is stored.
    wrote = true;
    const results = await db.batch([...inserts, upsert, days, queue, ...extra, ...folding.statements]);
    fold = () => folding.fold(results.slice(results.length - folding.statements.length));
    return insertedIds(results.slice(0, inserts.length));
  });
  if (!admission.ok) return errorResponse(admission.code, admission.error);
  const tsOf = new Map(rows.map((row) => [row.event_id, row.ts]));
  if (admission.stored.length > 0) {
    // The events are stored and queued; a fold that fails now leaves them queued for the next fold or the sweep.
    await fold().catch((error: unknown) => console.error('trailmark d1-worker: visit fold failed', error));
  }
  // Nothing new to store (repeats, refusals): the extra statements still run, on their own.
  if (!wrote && extra.length > 0) await db.batch([...extra]);
  const live = new Map<string, LiveEvent[]>();
  for (const event of admission.stored) {
    const list = live.get(event.site_id) ?? [];
    list.push({
      visitor_id: event.visitor_id,
      session_id: event.session_id,
      type: event.type,
      ts: tsOf.get(event.event_id) ?? now,
      url: event.url,
      path: event.path,
      title: event.title ?? null,
      gone: isGone(event.type, event.props),
      company: enrichment.company,
      location: enrichment.location,
      role: enrichment.lastRole,
    });
    live.set(event.site_id, list);
  }
  return { response: json(admission.response), live, stored: admission.stored.length };
}
