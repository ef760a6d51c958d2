import { type ErrorCode, originAllowed, presentedKey } from '@trailmark/protocol';
import type { RateLimiter } from './rate-limit.js';
import type { KeyGrant, Keyring } from './site-keys.js';

/** Options of `checkKey()`. */
export interface KeyCheckOptions {
  keys: Keyring;
  limiter: RateLimiter;
  /** `write`: ingest endpoints, the public write key only; `read`: the secret read key only. */
  need: 'write' | 'read';
  /** Whether the request's Origin may call for the key's site (default: the site's origins; no Origin passes). */
  originOk?: (request: Request, grant: KeyGrant) => boolean;
}

/** A refused key check: what the server answers with. */
export interface KeyRefusal {
  ok: false;
  code: ErrorCode;
  error: string;
  /** The key's site, when the key was known. */
  siteId?: string;
  headers?: Record<string, string>;
}

/** The outcome of `checkKey()`. */
export type KeyCheck = { ok: true; grant: KeyGrant } | KeyRefusal;

/**
 * Checks a request's key, origin and rate, in that order: 401 without a known key; 403 for a secret read key in the
 * URL (it lands in logs and `Referer` headers), for a write key where the read key is needed and for the read key
 * on a write endpoint (it must never sit in a page), and for an Origin the site does not allow; 429 with
 * `Retry-After` past the key's rate. Only known keys reach the rate limiter, so clients cannot grow its map.
 */
export function checkKey(request: Request, { keys, limiter, need, originOk }: KeyCheckOptions): KeyCheck {
  const presented = presentedKey(request);
  if (!presented) return { ok: false, code: 'unauthorized', error: 'a key is required: ?key=, X-Trailmark-Key or Authorization: Bearer' };
  const grant = keys.lookup(presented.key);
  if (!grant) return { ok: false, code: 'unauthorized', error: 'the key is not known' };
  const siteId = grant.site.id;
  if (grant.kind === 'read' && presented.inUrl) {
    return {
      ok: false,
      code: 'forbidden',
      error: 'the secret read key must not be sent in the URL (it lands in logs and Referer headers); send Authorization: Bearer',
      siteId,
    };
  }
  if (need === 'read' && grant.kind !== 'read') {
    return { ok: false, code: 'forbidden', error: 'this endpoint needs the secret read key; a write key cannot read', siteId };
  }
  if (need === 'write' && grant.kind !== 'write') {
    return { ok: false, code: 'forbidden', error: 'the secret read key cannot send events; send with the site write key', siteId };
  }
  const allowed = originOk ? originOk(request, grant) : originAllowed(request.headers.get('origin'), grant.site.origins);
  if (!allowed) {
    const origin = (request.headers.get('origin') ?? '').slice(0, 200);
    return { ok: false, code: 'origin_not_allowed', error: `origin ${origin} is not allowed for site ${siteId}`, siteId };
  }
  const rate = limiter.take(presented.key);
  if (!rate.ok) {
    const seconds = String(rate.retryAfterSeconds);
    return {
      ok: false,
      code: 'rate_limited',
      error: `too many requests for this key; retry after ${seconds} s`,
      siteId,
      headers: { 'retry-after': seconds },
    };
  }
  return { ok: true, grant };
}
