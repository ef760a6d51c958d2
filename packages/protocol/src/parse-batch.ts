import * as v from 'valibot';
import type { TrailmarkEvent } from './event.js';
import type { ErrorCode } from './http.js';
import { MAX_BATCH_EVENTS, MAX_EVENT_AGE_MS, MAX_EVENT_BYTES, MAX_FUTURE_SKEW_MS } from './limits.js';
import { utf8Length } from './props.js';
import { revenueProblem } from './revenue.js';
import { describeIssues, envelopeSchema, eventSchema } from './schema.js';

/** One event a server refused, with why. */
export interface Rejection {
  /** Position in the request's `events` array. */
  index: number;
  event_id: string | null;
  reason: string;
}

/** A batch whose envelope was valid: the good events, in-batch repeats and the refused ones. */
export interface ParsedBatch {
  ok: true;
  sdk: string | undefined;
  sentAt: number | undefined;
  /** Server clock minus client clock, when it is over 30 s (else 0): add it to `ts` for server time. */
  skewMs: number;
  events: TrailmarkEvent[];
  /** Ids that appeared twice in this batch; the first copy is in `events`. */
  duplicates: string[];
  rejected: Rejection[];
}

/** A batch whose envelope itself was unusable. */
export interface BatchError {
  ok: false;
  code: ErrorCode;
  error: string;
}

/** Options of `parseBatch()`. */
export interface ParseBatchOptions {
  /** Server time, ms (default `Date.now()`). */
  now?: number;
  /** Most events accepted in one batch. */
  maxEvents?: number;
  /** Oldest event accepted, ms before `now` after skew correction (imports pass `Infinity`). */
  maxAgeMs?: number;
}

const SKEW_THRESHOLD_MS = 30_000;

/**
 * Validates a decoded request body. One bad event never sinks its batch-mates: each is refused
 * with its own reason and the rest are returned for storage.
 */
export function parseBatch(input: unknown, options: ParseBatchOptions = {}): ParsedBatch | BatchError {
  const now = options.now ?? Date.now();
  const maxEvents = options.maxEvents ?? MAX_BATCH_EVENTS;
  const maxAgeMs = options.maxAgeMs ?? MAX_EVENT_AGE_MS;
  const envelope = v.safeParse(envelopeSchema, input);
  if (!envelope.success) {
    return { ok: false, code: 'invalid_batch', error: `invalid batch envelope: ${describeIssues(envelope.issues)}` };
  }
  const { sdk, sent_at: sentAt, events } = envelope.output;
  if (events.length === 0) return { ok: false, code: 'invalid_batch', error: 'events must not be empty' };
  if (events.length > maxEvents) {
    return { ok: false, code: 'payload_too_large', error: `a batch holds at most ${maxEvents} events; this one has ${events.length}` };
  }
  const rawSkew = sentAt === undefined ? 0 : now - sentAt;
  const skewMs = Math.abs(rawSkew) > SKEW_THRESHOLD_MS ? rawSkew : 0;
  const seen = new Set<string>();
  const valid: TrailmarkEvent[] = [];
  const duplicates: string[] = [];
  const rejected: Rejection[] = [];
  events.forEach((raw, index) => {
    const candidateId = isRecord(raw) && typeof raw.event_id === 'string' ? raw.event_id.slice(0, 64) : null;
    const reason = eventProblem(raw, now, skewMs, maxAgeMs);
    if (typeof reason === 'string') {
      rejected.push({ index, event_id: candidateId, reason });
      return;
    }
    if (seen.has(reason.event_id)) {
      duplicates.push(reason.event_id);
      return;
    }
    seen.add(reason.event_id);
    valid.push(reason);
  });
  return { ok: true, sdk, sentAt, skewMs, events: valid, duplicates, rejected };
}

function eventProblem(raw: unknown, now: number, skewMs: number, maxAgeMs: number): string | TrailmarkEvent {
  if (!isRecord(raw)) return 'an event must be a JSON object';
  const parsed = v.safeParse(eventSchema, raw);
  if (!parsed.success) return describeIssues(parsed.issues);
  const event = parsed.output as TrailmarkEvent;
  if (tooLarge(JSON.stringify(event))) return `an event must be at most ${MAX_EVENT_BYTES} bytes`;
  if (event.props?.revenue !== undefined) {
    const problem = revenueProblem(event.props.revenue);
    if (problem) return problem;
  }
  const serverTime = event.ts + skewMs;
  if (serverTime > now + MAX_FUTURE_SKEW_MS) return 'ts: lies in the future';
  if (serverTime < now - maxAgeMs) return 'ts: the event is older than the server accepts';
  return event;
}

/**
 * Whether an event's JSON is over `MAX_EVENT_BYTES` in UTF-8. A UTF-16 code unit is at most 3 UTF-8 bytes, so JSON
 * of at most a third of the limit in code units, almost every event, is not counted: counting encodes the whole
 * text when it holds one non-ASCII character (a title's dash), a tenth of admission's time.
 */
const tooLarge = (json: string) => json.length * 3 > MAX_EVENT_BYTES && utf8Length(json) > MAX_EVENT_BYTES;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The answer of a native ingest endpoint. */
export interface IngestResponse {
  ok: true;
  /** Ids stored by this request. */
  accepted: string[];
  /** Ids already stored before (or repeated within this request): acknowledged, not stored again. */
  duplicates: string[];
  rejected: Rejection[];
}

/**
 * Builds the ingest answer from a parsed batch and the ids the store newly inserted;
 * every valid event not newly inserted was already there, so it is a duplicate.
 */
export function ingestResponse(parsed: ParsedBatch, inserted: ReadonlySet<string>): IngestResponse {
  const accepted: string[] = [];
  const duplicates = [...parsed.duplicates];
  for (const event of parsed.events) {
    if (inserted.has(event.event_id)) accepted.push(event.event_id);
    else duplicates.push(event.event_id);
  }
  return { ok: true, accepted, duplicates, rejected: parsed.rejected };
}
