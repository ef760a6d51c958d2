import { ERROR_STATUS, type ErrorCode, errorBody, originAllowed, requestKey } from '@trailmark/protocol';
import type { IngestContext } from './context.js';
import type { KeyGrant } from './sites.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer. */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

/** The protocol's JSON error answer. */
export function fail(code: ErrorCode, error: string, headers: Record<string, string> = {}): Response {
  return json(errorBody(code, error), ERROR_STATUS[code], headers);
}

/** Reads and drops an unused body, so a keep-alive connection stays usable. */
export async function discardBody(request: Request): Promise<void> {
  await request.body?.cancel().catch(() => undefined);
}

/**
 * Marks an answer given before the request's body was read to its end: the connection closes after it.
 * Kept alive, the unread rest of the body would be parsed as the next request on that connection, which
 * then fails as a network error (the SDK retries instead of splitting on 413). Found by the contract suite.
 */
export function closeUnread(response: Response, request: Request): Response {
  const length = request.headers.get('content-length');
  if ((length !== null && length !== '0') || request.headers.has('transfer-encoding')) response.headers.set('connection', 'close');
  return response;
}

/** The outcome of `authorize()`. */
export type AuthResult = { ok: true; grant: KeyGrant } | { ok: false; response: Response };

/**
 * Checks a request's key, origin and rate, in that order: 401 without a known key, 403 for a write key where the
 * secret read key is needed or for an Origin the site does not allow, 429 with `Retry-After` past the rate.
 */
export async function authorize(ctx: IngestContext, request: Request, need: 'write' | 'read'): Promise<AuthResult> {
  const refuse = async (response: Response): Promise<AuthResult> => {
    await discardBody(request);
    return { ok: false, response: closeUnread(response, request) };
  };
  const key = requestKey(request);
  if (!key) return refuse(fail('unauthorized', 'a key is required: ?key=, X-Trailmark-Key or Authorization: Bearer'));
  const grant = ctx.keys.lookup(key);
  if (!grant) return refuse(fail('unauthorized', 'the key is not known'));
  if (need === 'read' && grant.kind !== 'read') {
    return refuse(fail('forbidden', 'this endpoint needs the secret read key; a write key cannot read'));
  }
  const origin = request.headers.get('origin');
  if (origin && !originAllowed(origin, grant.site.origins)) {
    return refuse(fail('origin_not_allowed', `origin ${origin} is not allowed for site ${grant.site.id}`));
  }
  const rate = ctx.limiter.take(key);
  if (!rate.ok) {
    ctx.counters.overloaded++;
    const seconds = String(rate.retryAfterSeconds);
    return refuse(fail('rate_limited', `too many requests for this key; retry after ${seconds} s`, { 'retry-after': seconds }));
  }
  return { ok: true, grant };
}

/** An optional integer query parameter within bounds; a string result is the problem. */
export function queryInt(url: URL, name: string, { min, max, fallback }: { min: number; max: number; fallback: number }): number | string {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) return `${name} must be an integer between ${min} and ${max}`;
  const value = Number(raw);
  if (value < min || value > max) return `${name} must be between ${min} and ${max}`;
  return value;
}

/** An optional `YYYY-MM-DD` query parameter that is a real calendar day; a string result is the problem. */
export function queryDay(url: URL, name: string, fallback: string): { day: string } | string {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return { day: fallback };
  const date = new Date(`${raw}T00:00:00Z`);
  // PostgreSQL has no year 0, so years before 1970 are refused here rather than failing in the database.
  if (!/^(19[7-9]\d|[2-9]\d{3})-\d{2}-\d{2}$/.test(raw) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) {
    return `${name} must be a date YYYY-MM-DD from 1970 on`;
  }
  return { day: raw };
}
