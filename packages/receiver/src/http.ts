import { checkKey, hasBody, type KeyGrant, refuseUnread, type SiteConfig } from '@trailmark/node-http';
import { ERROR_STATUS, type ErrorCode, errorBody, originAllowed } from '@trailmark/protocol';
import type { ReceiverContext } from './context.js';

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
  /** Part of the request's body is still unread: the connection is closed after the answer. */
  unread?: boolean | undefined;
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
  if (details.unread && hasBody(request)) headers.connection = 'close';
  return json({ ...errorBody(code, error), ...details.extra }, status, headers);
}

/** A refusal given before the body was read (unknown route, wrong method): the body is dropped first. */
export function failUnread(ctx: ReceiverContext, request: Request, code: ErrorCode, error: string, details: FailDetails = {}) {
  return refuseUnread(request, fail(ctx, request, code, error, details));
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

/** Checks a request's key, origin and rate (`checkKey`), answering a refusal with the body dropped first. */
export async function authorize(ctx: ReceiverContext, request: Request, need: 'write' | 'read'): Promise<AuthResult> {
  const check = checkKey(request, { keys: ctx.keys, limiter: ctx.limiter, need, originOk: (r, grant) => originOk(ctx, r, grant.site) });
  if (check.ok) return check;
  const details = { siteId: check.siteId, ...(check.headers ? { headers: check.headers } : {}) };
  return { ok: false, response: await failUnread(ctx, request, check.code, check.error, details) };
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
