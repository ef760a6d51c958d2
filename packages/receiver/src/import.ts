import { MAX_BATCH_EVENTS, type Rejection } from '@trailmark/protocol';
import { storeBatch } from './ingest.js';
import type { EventStore } from './store.js';
import { isTrackShaped, toNativeEvent, trackReason } from './track-event.js';

/** Options of `importEvents()`. */
export interface ImportOptions {
  /** Site of track-shaped events without `site_id`; when given, events of other sites are rejected. */
  siteId?: string | undefined;
  clock?: () => number;
  /** Run the redaction rules (default true, as for live ingest). */
  redact?: boolean;
}

/** What an import did. */
export interface ImportResult {
  /** Events read from the export. */
  total: number;
  imported: number;
  /** Already stored (a re-import, or events that also arrived live). */
  duplicates: number;
  rejected: Rejection[];
}

/**
 * Reads a JSON export: an array of events, a batch envelope `{ events: [...] }`, or a string holding either
 * (what `localStorage.getItem(...)` gives when pasted into a file). Throws with a message on anything else.
 */
export function readExport(text: string): unknown[] {
  let value: unknown = JSON.parse(text);
  if (typeof value === 'string') value = JSON.parse(value);
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && Array.isArray((value as { events?: unknown }).events)) {
    return (value as { events: unknown[] }).events;
  }
  throw new Error('the export must be a JSON array of events or an object with an "events" array');
}

/**
 * Back-fills events, idempotently: native events keep their `event_id`; track-shaped events without one get an
 * id derived from their content, so importing the same file twice stores each event once. Events of any age are
 * accepted (retention still applies at the next cleanup). Stored in transactions of up to 1000 events.
 */
export async function importEvents(store: EventStore, events: readonly unknown[], options: ImportOptions = {}): Promise<ImportResult> {
  const clock = options.clock ?? Date.now;
  const deps = { store, clock, redact: options.redact ?? true };
  const result: ImportResult = { total: events.length, imported: 0, duplicates: 0, rejected: [] };
  for (let start = 0; start < events.length; start += MAX_BATCH_EVENTS) {
    const now = clock();
    const chunk = events.slice(start, start + MAX_BATCH_EVENTS).map((raw) => {
      if (!isTrackShaped(raw)) return raw;
      try {
        return toNativeEvent(raw, { siteId: options.siteId, now, ids: 'content' });
      } catch (error) {
        // Only a hostile file nests deep enough to overflow hashing; the validator then names the event bad.
        return { invalid: String(error) };
      }
    });
    const admission = await storeBatch(
      deps,
      { events: chunk },
      { siteId: options.siteId, source: 'import', maxAgeMs: Number.POSITIVE_INFINITY },
    );
    if (!admission.ok) throw new Error(admission.error);
    const answer = admission.response;
    result.imported += answer.accepted.length;
    result.duplicates += answer.duplicates.length;
    for (const rejection of answer.rejected) {
      const raw = events[start + rejection.index];
      const reason = isTrackShaped(raw) ? trackReason(rejection.reason) : rejection.reason;
      result.rejected.push({ ...rejection, index: start + rejection.index, reason });
    }
  }
  return result;
}
