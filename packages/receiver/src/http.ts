import { ERROR_STATUS, type ErrorCode, errorBody, originAllowed, requestKey } from '@trailmark/protocol';
import type { ReceiverContext } from './context.js';
import type { KeyGrant, SiteConfig } from './sites.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer. */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

/** Details of a refusal, for the answer and the inspection log. */
export interface FailDetails {
  siteId?: string | undefined;
  headers?: Record<string, string>;
  /** Extra fields merged into the JSON error body (e.g. the per-event `rejected` list). */
  extra?: Record<string, unknown>;
  /** The request's body was not read: the connection is closed after the answer. */
  bodyUnread?: boolean;
}

/** Answers a refused request with the protocol's JSON error and records it for `/_trailmark/rejections`. */
export function fail(ctx: ReceiverContext, request: Request, code: ErrorCode, error: string, details: FailDetails = {}): Response {
  const status = ERROR_STATUS[code];
  ctx.rejections.add({
    at: new Date(ctx.clock()).toISOString(),
    kind: 'request',
    method: request.method,
    path: new URL(request.url).pathname.slice(0, 512),
    status,
    code,
    reason: error,
    site_id: details.siteId ?? null,
    origin: request.headers.get('origin')?.slice(0, 200) ?? null,
  });
  const headers = { ...details.headers };
  // A body left unread (refused before or while reading it) would desynchronise a reused connection.
  if (code === 'payload_too_large' || code === 'unsupported_media_type' || (details.bodyUnread && hasBody(request))) {
    headers.connection = 'close';
  }
  return json({ ...errorBody(code, error), ...details.extra }, status, headers);
}

function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  return (length !== null && length !== '0') || request.headers.has('transfer-encoding');
}

/** Cancels a body that will not be read (the answer then closes the connection: see `fail`). */
export async function discardBody(request: Request): Promise<void> {
  await request.body?.cancel().catch(() => undefined);
}

/**
 * Whether a browser page at `origin` may call for `site`. The receiver's own pages (the live page) always may;
 * requests without an Origin are not from a browser's cross-origin fetch, so CORS does not apply.
 */
export function originOk(ctx: ReceiverContext, request: Request, site: SiteConfig): boolean {
  const origin = request.headers.get('origin');
  if (!origin || ctx.corsAny) return true;
  if (origin === new URL(request.url).origin) return true;
  return originAllowed(origin, site.origins);
}

/** The outcome of `authorize()`. */
export type AuthResult = { ok: true; grant: KeyGrant } | { ok: false; response: Response };

/**
 * Checks a request's key, origin and rate, in that order: 401 without a known key, 403 for a write key
 * where a read key is needed or an origin the site does not allow, 429 with `Retry-After` past the rate.
 */
export async function authorize(ctx: ReceiverContext, request: Request, need: 'write' | 'read'): Promise<AuthResult> {
  const key = requestKey(request);
  const refuse = async (response: Response): Promise<AuthResult> => {
    await discardBody(request);
    return { ok: false, response };
  };
  const unread = { bodyUnread: true };
  if (!key) return refuse(fail(ctx, request, 'unauthorized', 'a key is required: ?key=, X-Trailmark-Key or Authorization: Bearer', unread));
  const grant = ctx.keys.lookup(key);
  if (!grant) return refuse(fail(ctx, request, 'unauthorized', 'the key is not known', unread));
  const siteId = grant.site.id;
  if (need === 'read' && grant.kind !== 'read') {
    return refuse(
      fail(ctx, request, 'forbidden', 'this endpoint needs the secret read key; a write key cannot read', { siteId, ...unread }),
    );
  }
  if (!originOk(ctx, request, grant.site)) {
    const origin = (request.headers.get('origin') ?? '').slice(0, 200);
    return refuse(fail(ctx, request, 'origin_not_allowed', `origin ${origin} is not allowed for site ${siteId}`, { siteId, ...unread }));
  }
  const rate = ctx.limiter.take(key);
  if (!rate.ok) {
    const seconds = String(rate.retryAfterSeconds);
    return refuse(
      fail(ctx, request, 'rate_limited', `too many requests for this key; retry after ${seconds} s`, {
        siteId,
        headers: { 'retry-after': seconds },
        ...unread,
      }),
    );
  }
  return { ok: true, grant };
}

/** Parses an optional numeric query parameter within bounds; a string result is the problem. */
export function queryNumber(
  url: URL,
  name: string,
  { min, max, fallback, integer = false }: { min: number; max: number; fallback: number; integer?: boolean },
): number | string {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return `${name} must be a${integer ? 'n integer' : ' number'} between ${min} and ${max}`;
  }
  if (value < min || value > max) return `${name} must be between ${min} and ${max}`;
  return value;
}
