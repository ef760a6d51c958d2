import { checkKey, type KeyGrant, refuseUnread } from '@trailmark/node-http';
import { ERROR_STATUS, type ErrorCode, errorBody } from '@trailmark/protocol';
import type { IngestContext } from './context.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer. */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

/** The protocol's JSON error answer. */
export function fail(code: ErrorCode, error: string, headers: Record<string, string> = {}): Response {
  return json(errorBody(code, error), ERROR_STATUS[code], headers);
}

/** The outcome of `authorize()`. */
export type AuthResult = { ok: true; grant: KeyGrant } | { ok: false; response: Response };

/** Checks a request's key, origin and rate (`checkKey`), answering a refusal with the body dropped first. */
export async function authorize(ctx: IngestContext, request: Request, need: 'write' | 'read'): Promise<AuthResult> {
  const check = checkKey(request, { keys: ctx.keys, limiter: ctx.limiter, need });
  if (check.ok) return check;
  if (check.code === 'rate_limited') ctx.counters.overloaded++;
  return { ok: false, response: await refuseUnread(request, fail(check.code, check.error, check.headers)) };
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
