import { checkKey, type KeyGrant, refuseUnread } from '@trailmark/node-http';
import { ERROR_STATUS, type ErrorCode, errorBody } from '@trailmark/protocol';
import type { NodeContext } from './context.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer. */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

/** The protocol's JSON error answer. */
export function fail(code: ErrorCode, error: string, headers: Record<string, string> = {}): Response {
  return json(errorBody(code, error), ERROR_STATUS[code], headers);
}

/** A 503 with `Retry-After`. */
export const unavailable = (ctx: NodeContext, what: string): Response =>
  fail('unavailable', `${what}; retry after ${ctx.retryAfterSeconds} s`, { 'retry-after': String(ctx.retryAfterSeconds) });

/** Checks a request's key, origin and rate (`checkKey`), answering a refusal with the body dropped first. */
export async function authorize(
  ctx: NodeContext,
  request: Request,
  need: 'write' | 'read',
): Promise<{ ok: true; grant: KeyGrant } | { ok: false; response: Response }> {
  const check = checkKey(request, { keys: ctx.keys, limiter: ctx.limiter, need });
  if (check.ok) return check;
  return { ok: false, response: await refuseUnread(request, fail(check.code, check.error, check.headers)) };
}
