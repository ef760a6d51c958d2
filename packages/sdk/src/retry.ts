import type { EventRejection, TransportResult } from './transport.js';

/**
 * Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`.
 * https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  const ms = value ? (Number.isFinite(+value) ? +value * 1000 : Date.parse(value) - now) : Number.NaN;
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

/**
 * The retry table every HTTP transport shares: network failure (status 0), 408, 429 and 5xx
 * other than 501/505 are retried; 413 splits the batch; any other non-2xx drops it with its reason.
 */
export function classifyResponse(status: number, retryAfter?: string | null, body?: string): TransportResult {
  let answer: { rejected?: EventRejection[]; error?: string } | undefined;
  try {
    answer = JSON.parse(body!);
  } catch {
    // No JSON answer: nothing rejected one by one, and no error text.
  }
  const reason = `http ${status}`;
  if (status > 199 && status < 300) {
    const rejected = answer?.rejected;
    return rejected?.[0] ? { status: 'ok', rejected } : { status: 'ok' };
  }
  if (status === 413) return { status: 'split' };
  if (status === 0 || status === 408 || status === 429 || (status > 499 && status !== 501 && status !== 505)) {
    const afterMs = retryAfterMs(retryAfter);
    return afterMs === undefined ? { status: 'retry', reason } : { status: 'retry', afterMs, reason };
  }
  const error = answer?.error;
  return { status: 'drop', reason: typeof error === 'string' ? `${reason}: ${error.slice(0, 200)}` : reason };
}

/** Jittered exponential backoff: 1 s, 2 s, 4 s … capped at `maxMs`, each scaled by a random 0.5–1. */
export function backoffMs(attempt: number, random: () => number = Math.random, maxMs = 5 * 60_000): number {
  return Math.min(maxMs, 1000 * 2 ** Math.min(attempt, 20)) * (0.5 + random() / 2);
}
