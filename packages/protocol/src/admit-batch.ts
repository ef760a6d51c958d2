import type { TrailmarkEvent } from './event.js';
import { lowerId, oncePerId } from './event-ids.js';
import { type BatchError, type IngestResponse, ingestResponse, type ParseBatchOptions, parseBatch, type Rejection } from './parse-batch.js';
import { checkAnswer, isCheck, parseCheck } from './parse-check.js';
import { createRedactor } from './redact.js';
import { redactUrl } from './rules/urls.js';
import { agentClass } from './user-agent.js';

/** Options of `admitBatch()`: `parseBatch()`'s, and what a backend knows about the request. */
export interface AdmitOptions extends ParseBatchOptions {
  /** The site of the request's key: an event of another site is refused on its own. `undefined`: any site. */
  siteId?: string | undefined;
  /** Run the redaction rules (default true). */
  redact?: boolean;
  /** The request's raw `User-Agent`: the store is handed its class (`agent`), never the string. */
  userAgent?: string | null | undefined;
  /** Why this backend's store cannot hold an event the protocol allows (PostgreSQL and U+0000), or undefined. */
  storable?: (event: TrailmarkEvent) => string | undefined;
  /**
   * Which of these lower-cased event ids the store holds for `siteId`: with it, a check body (`{"check":[…]}`, the
   * SDK asking about sends it never saw answered) is answered instead of refused as a batch without events.
   */
  lookup?: (ids: string[]) => Promise<Iterable<string>> | Iterable<string>;
}

/** What a store is handed: a batch's admitted events, ids in lower case, redacted. */
export interface AdmittedBatch {
  events: TrailmarkEvent[];
  /** Server clock minus client clock (0 under 30 s): add it to `ts` for server time. */
  skewMs: number;
  sdk: string | undefined;
  /** The class of the request's user agent (`Chrome; Windows; desktop`, `agentClass`), or null: what a store keeps. */
  agent: string | null;
}

/**
 * A backend's store: writes the events idempotently (by `event_id`) and returns the ids it newly inserted (the
 * others were stored before). It throws when nothing could be stored; the caller answers that (503, 429).
 */
export type EventWriter = (batch: AdmittedBatch) => Promise<ReadonlySet<string>> | ReadonlySet<string>;

/** The outcome of `admitBatch()` for a usable envelope. */
export interface Admission {
  ok: true;
  /** The answer, naming each event as the client spelled its id (and for a check, `stored`). */
  response: IngestResponse & { stored?: string[] };
  /** The events this request newly stored, in their stored form (for live views and counters). */
  stored: TrailmarkEvent[];
  skewMs: number;
}

/**
 * The one ingest path of every backend: parse (`parseBatch`), admit, store. Admitting refuses, each on its own and
 * with its index in the request, an event of another site than the key's and one the store cannot hold; stores one
 * event per id whatever the letter case (`oncePerId`), in lower case (`lowerId`); and runs the privacy rules over every
 * string of every event, keys and values (`createRedactor`, one per batch); the request's user agent reaches the
 * store as its class only (`agentClass`). The store is called only
 * when there is something to store.
 */
export async function admitBatch(body: unknown, options: AdmitOptions, write: EventWriter): Promise<Admission | BatchError> {
  if (options.lookup && isCheck(body)) {
    const check = parseCheck(body);
    if (!check.ok) return check;
    const stored = await options.lookup(check.ids.map((id) => id.toLowerCase()));
    // The batch answer's lists stay (empty), so a backend's counters and logs need no case of their own.
    const response = { ...checkAnswer(check.ids, stored), accepted: [], duplicates: [], rejected: [] };
    return { ok: true, response, stored: [], skewMs: 0 };
  }
  const parsed = parseBatch(body, options);
  if (!parsed.ok) return parsed;
  const { siteId, storable } = options;
  const extra: Array<Omit<Rejection, 'index'>> = [];
  const admitted = parsed.events.filter((event) => {
    const reason =
      siteId !== undefined && event.site_id !== siteId ? `site_id: must be "${siteId}", the site of this key` : storable?.(event);
    if (reason) extra.push({ event_id: event.event_id, reason });
    return !reason;
  });
  const rejected = extra.length === 0 ? parsed.rejected : withIndexes(parsed.rejected, extra, body);
  const { unique, repeats } = oncePerId(admitted);
  const redactor = (options.redact ?? true) ? createRedactor() : undefined;
  const events = unique.map((event) => (redactor ? redactor.event(lowerId(event)) : lowerId(event)));
  const sdk = parsed.sdk && redactor ? redactUrl(parsed.sdk) : parsed.sdk;
  const batch = { events, skewMs: parsed.skewMs, sdk, agent: agentClass(options.userAgent) };
  const inserted = events.length > 0 ? await write(batch) : new Set<string>();
  // The answer names each event as the client spelled it.
  const accepted = new Set(unique.filter((event) => inserted.has(event.event_id.toLowerCase())).map((event) => event.event_id));
  const response = ingestResponse({ ...parsed, events: unique, duplicates: [...parsed.duplicates, ...repeats], rejected }, accepted);
  return { ok: true, response, stored: events.filter((event) => inserted.has(event.event_id)), skewMs: parsed.skewMs };
}

/** Adds admission refusals to the parser's, each at the first position of its id in the request, in request order. */
function withIndexes(parsed: readonly Rejection[], extra: ReadonlyArray<Omit<Rejection, 'index'>>, body: unknown): Rejection[] {
  const positions = new Map<string, number>();
  const raw = (body as { events?: unknown }).events;
  (Array.isArray(raw) ? raw : []).forEach((event, index) => {
    const id = typeof event === 'object' && event !== null ? (event as { event_id?: unknown }).event_id : undefined;
    if (typeof id === 'string' && !positions.has(id)) positions.set(id, index);
  });
  const placed = extra.map((rejection) => ({ index: positions.get(rejection.event_id ?? '') ?? -1, ...rejection }));
  return [...parsed, ...placed].sort((a, b) => a.index - b.index);
}
