import type { ErrorCode } from './http.js';
import { MAX_CHECK_IDS } from './limits.js';

/**
 * A check: the SDK asks which events of a send it never saw answered (a page hide, a request past its deadline) the
 * server has stored, and resends only the rest. Sent to the batch endpoint as `{"v":1,"check":["<event_id>", …]}`;
 * answered `{"ok":true,"stored":[…]}` with the stored ones in the client's own spelling. A server that does not know
 * checks refuses the body as a batch without events, and the SDK then resends them all (backends dedupe by id).
 */
export interface CheckRequest {
  /** The ids asked about, as the client spelled them (unique, in order). */
  ids: string[];
}

/** The answer to a check. */
export interface CheckAnswer {
  ok: true;
  stored: string[];
}

/** True when a decoded body is a check rather than a batch (it has `check` and no `events`). */
export function isCheck(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'check' in input && !('events' in input);
}

const ID = /^[0-9A-Za-z-]{1,64}$/;

/** Validates a check body: `check` is an array of at most `MAX_CHECK_IDS` event ids. */
export function parseCheck(input: unknown): ({ ok: true } & CheckRequest) | { ok: false; code: ErrorCode; error: string } {
  const check = (input as { check?: unknown }).check;
  const version = (input as { v?: unknown }).v;
  if (version !== undefined && version !== 1) return { ok: false, code: 'invalid_batch', error: 'v: protocol version must be 1' };
  if (!Array.isArray(check)) return { ok: false, code: 'invalid_batch', error: 'check must be an array of event ids' };
  if (check.length > MAX_CHECK_IDS) {
    return { ok: false, code: 'payload_too_large', error: `a check asks about at most ${MAX_CHECK_IDS} ids; this one has ${check.length}` };
  }
  const bad = check.findIndex((id) => typeof id !== 'string' || !ID.test(id));
  if (bad >= 0) return { ok: false, code: 'invalid_batch', error: `check.${bad}: must be an event id (letters, digits and -, at most 64)` };
  return { ok: true, ids: [...new Set(check as string[])] };
}

/**
 * The answer to a check, given the lower-cased ids the store has (ids are stored lower-cased): the asked ids among
 * them, in the client's spelling.
 */
export function checkAnswer(ids: readonly string[], storedLower: Iterable<string>): CheckAnswer {
  const have = new Set(storedLower);
  return { ok: true, stored: ids.filter((id) => have.has(id.toLowerCase())) };
}
