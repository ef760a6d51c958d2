import { type Admission, admitBatch, type BatchError } from '@trailmark/protocol';
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
  /** The request's User-Agent header: its class (`agentClass`) is stored with its events, never the string. */
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

/** Where a batch comes from and how old its events may be. */
export interface BatchSource {
  /** The key's site: events of other sites are refused one by one (`undefined`: any site, for imports). */
  siteId: string | undefined;
  source: EventSource;
  maxAgeMs: number;
}

/**
 * Admits a decoded batch body through the protocol's one ingest path (`admitBatch`) into the SQLite store, in the
 * request's group commit, and announces the newly stored events on the live bus. Storage failure throws
 * `StorageError`, after which nothing of the batch is stored (one transaction).
 */
export async function storeBatch(deps: IngestDeps, body: unknown, from: BatchSource): Promise<Admission | BatchError> {
  const receivedAt = deps.clock();
  const admission = await admitBatch(
    body,
    {
      now: receivedAt,
      maxAgeMs: from.maxAgeMs,
      siteId: from.siteId,
      redact: deps.redact,
      userAgent: deps.userAgent,
      // The SDK's check of sends it never saw answered, on the native batch endpoint.
      ...(from.source === 'batch' && from.siteId ? { lookup: (ids: string[]) => deps.store.storedIds(from.siteId!, ids) } : {}),
    },
    ({ events, skewMs, agent }) => {
      const options = { skewMs, receivedAt, source: from.source, userAgent: agent };
      return deps.ticket ? deps.ticket.submit(events, options) : deps.store.insert(events, options);
    },
  );
  if (admission.ok && admission.stored.length > 0 && deps.bus) {
    const stored: StoredEvent[] = admission.stored.map((event) => ({
      event,
      ts: event.ts + admission.skewMs,
      receivedAt,
      source: from.source,
    }));
    deps.bus.publish(stored);
  }
  return admission;
}
