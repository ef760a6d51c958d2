import type { EventRejection, TransportResult } from './transport.js';

/**
 * Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`.
 * https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The retry table every HTTP transport shares: network failure (status 0), 408, 429 and 5xx
 * other than 501/505 are retried; 413 splits the batch; any other non-2xx drops it with its reason.
 */
export function classifyResponse(status: number, retryAfter?: string | null, body?: string): TransportResult {
  if (status >= 200 && status < 300) return { status: 'ok', ...rejectionsOf(body) };
  if (status === 413) return { status: 'split' };
  if (status === 0 || status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    const afterMs = retryAfterMs(retryAfter);
    return afterMs === undefined ? { status: 'retry', reason: `http ${status}` } : { status: 'retry', afterMs, reason: `http ${status}` };
  }
  return { status: 'drop', reason: `http ${status}${errorOf(body)}` };
}

function parse(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = body ? JSON.parse(body) : undefined;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function rejectionsOf(body: string | undefined): { rejected?: EventRejection[] } {
  const rejected = parse(body)?.rejected;
  return Array.isArray(rejected) && rejected.length > 0 ? { rejected: rejected as EventRejection[] } : {};
}

function errorOf(body: string | undefined): string {
  const error = parse(body)?.error;
  return typeof error === 'string' ? `: ${error.slice(0, 200)}` : '';
}

/** Jittered exponential backoff: 1 s, 2 s, 4 s … capped at `maxMs`, each scaled by a random 0.5–1. */
export function backoffMs(attempt: number, random: () => number = Math.random, maxMs = 5 * 60_000): number {
  return Math.min(maxMs, 1000 * 2 ** Math.min(attempt, 20)) * (0.5 + random() / 2);
}
