import {
  type IngestResponse,
  ingestResponse,
  lowerId,
  oncePerId,
  type ParsedBatch,
  type Rejection,
  redactEvent,
} from '@trailmark/protocol';
import type { CommitQueue, CommitTicket } from './commit-queue.js';
import type { LiveBus } from './live-bus.js';
import type { EventSource, EventStore, StoredEvent } from './store.js';

/** What storing needs: the store, the clock, whether to redact, and where to announce new events. */
export interface IngestDeps {
  store: EventStore;
  clock: () => number;
  redact: boolean;
  bus?: LiveBus;
  /** The request's place in a group commit; without one the batch is its own transaction. */
  ticket?: CommitTicket | undefined;
  /** The request's User-Agent header, stored with its events. */
  userAgent?: string | null | undefined;
}

/**
 * Runs an ingest request holding a group-commit ticket (when group commit is on), released however it ends,
 * so the next commit never waits for a request that stored nothing.
 */
export async function withTicket<T>(
  ctx: IngestDeps & { commits?: CommitQueue | undefined },
  run: (deps: IngestDeps) => Promise<T>,
): Promise<T> {
  const ticket = ctx.commits?.ticket();
  try {
    return await run({ ...ctx, ticket });
  } finally {
    ticket?.release();
  }
}

/**
 * Stores the valid events of a parsed batch and builds the protocol's answer. An event for another site than
 * `siteId` is rejected on its own (when `siteId` is given). Storage failure throws `StorageError`, after which
 * nothing of the batch is stored (one transaction).
 */
export async function storeParsed(
  ctx: IngestDeps,
  parsed: ParsedBatch,
  siteId: string | undefined,
  source: EventSource,
  rawEvents: readonly unknown[],
): Promise<IngestResponse> {
  const rejected: Rejection[] = [...parsed.rejected];
  const keep = parsed.events.filter((event) => {
    if (siteId === undefined || event.site_id === siteId) return true;
    rejected.push({
      index: indexOf(rawEvents, event.event_id),
      event_id: event.event_id,
      reason: `site_id: must be "${siteId}", the key's site`,
    });
    return false;
  });
  if (rejected.length > parsed.rejected.length) rejected.sort((a, b) => a.index - b.index);
  const { unique, repeats } = oncePerId(keep);
  const lowered = unique.map(lowerId);
  const events = ctx.redact ? lowered.map(redactEvent) : lowered;
  const receivedAt = ctx.clock();
  const options = { skewMs: parsed.skewMs, receivedAt, source, userAgent: ctx.userAgent };
  const inserted = ctx.ticket ? await ctx.ticket.submit(events, options) : ctx.store.insert(events, options);
  if (inserted.size > 0 && ctx.bus) {
    const stored: StoredEvent[] = events
      .filter((event) => inserted.has(event.event_id))
      .map((event) => ({ event, ts: event.ts + parsed.skewMs, receivedAt, source }));
    ctx.bus.publish(stored);
  }
  // The answer names each event as the client spelled it.
  const accepted = new Set(unique.filter((event) => inserted.has(event.event_id.toLowerCase())).map((event) => event.event_id));
  return ingestResponse({ ...parsed, events: unique, duplicates: [...parsed.duplicates, ...repeats], rejected }, accepted);
}

// parseBatch keeps only the valid events, so the request position of a refused one is looked up again.
function indexOf(rawEvents: readonly unknown[], eventId: string): number {
  return rawEvents.findIndex((raw) => typeof raw === 'object' && raw !== null && (raw as { event_id?: unknown }).event_id === eventId);
}
