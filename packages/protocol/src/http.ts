import { MAX_DRAIN_BYTES, MAX_REQUEST_BYTES } from './limits.js';

/** Machine-readable error codes every backend answers with, beside a human sentence. */
export type ErrorCode =
  | 'malformed_json'
  | 'invalid_utf8'
  | 'invalid_batch'
  | 'invalid_request'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'origin_not_allowed'
  | 'rate_limited'
  | 'unavailable'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict';

/** The JSON body of every error answer. */
export interface ErrorBody {
  ok: false;
  code: ErrorCode;
  error: string;
}

/** The HTTP status each error code is answered with. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  malformed_json: 400,
  invalid_utf8: 400,
  invalid_batch: 400,
  invalid_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  rate_limited: 429,
  unavailable: 503,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
};

/** Builds an error body. */
export function errorBody(code: ErrorCode, error: string): ErrorBody {
  return { ok: false, code, error };
}

/** A ready `Response` for an error, with its status and optional extra headers (e.g. `Retry-After`). */
export function errorResponse(code: ErrorCode, error: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(errorBody(code, error)), {
    status: ERROR_STATUS[code],
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * The outcome of reading a JSON request body. A refusal says whether part of the body is still unread (`unread`):
 * the answer must then close the connection, or the rest would be read as the next request on it.
 */
export type BodyResult = { ok: true; value: unknown; bytes: number } | { ok: false; code: ErrorCode; error: string; unread?: boolean };

const ACCEPTED_TYPES = ['application/json', 'text/plain', 'application/x-ndjson'];

/**
 * Reads and parses a JSON body from a Fetch API `Request`, never throwing: 413 past `maxBytes` (checked on
 * `Content-Length` and again while streaming), 415 for other media types, 400 for bad UTF-8 or JSON. `text/plain`
 * is accepted so browsers can send without a CORS preflight. A body refused for its size or type is still read and
 * dropped up to `drainBytes` in all, so a client still sending sees the answer (closing on unread bytes resets the
 * connection under the client, which then never sees the 413); past that the reading stops, marked `unread`.
 */
export async function readJsonBody(request: Request, maxBytes = MAX_REQUEST_BYTES, drainBytes = maxBytes): Promise<BodyResult> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type && !ACCEPTED_TYPES.includes(type)) {
    const unread = !(await drainBody(request, drainBytes));
    return {
      ok: false,
      code: 'unsupported_media_type',
      error: `content-type ${type} is not accepted; send application/json or text/plain`,
      unread,
    };
  }
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    const unread = declared > drainBytes || !(await drainBody(request, drainBytes));
    if (declared > drainBytes) await request.body?.cancel().catch(() => undefined);
    return { ok: false, code: 'payload_too_large', error: `body of ${declared} bytes is over the ${maxBytes}-byte limit`, unread };
  }
  if (!request.body) return { ok: false, code: 'invalid_request', error: 'the request has no body' };
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        const unread = !(await drainReader(reader, drainBytes - bytes));
        return { ok: false, code: 'payload_too_large', error: `body is over the ${maxBytes}-byte limit`, unread };
      }
      chunks.push(value);
    }
  } catch (error) {
    return { ok: false, code: 'invalid_request', error: `the body could not be read: ${(error as Error).message}` };
  }
  if (bytes === 0) return { ok: false, code: 'invalid_request', error: 'the request body is empty' };
  const joined = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(joined);
  } catch {
    return { ok: false, code: 'invalid_utf8', error: 'the body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text), bytes };
  } catch (error) {
    return { ok: false, code: 'malformed_json', error: `the body is not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Reads a body that will not be used to its end and drops it, up to `limit` bytes; true when it was read to the
 * end (or there was none), false when it was cut off there (the answer must then close the connection).
 */
export async function drainBody(request: Request, limit = MAX_DRAIN_BYTES): Promise<boolean> {
  if (!request.body || request.bodyUsed) return !request.body;
  return drainReader(request.body.getReader(), limit);
}

async function drainReader(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): Promise<boolean> {
  let left = limit;
  if (left < 0) {
    await reader.cancel().catch(() => undefined);
    return false;
  }
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      left -= value.byteLength;
      if (left < 0) {
        await reader.cancel().catch(() => undefined);
        return false;
      }
    }
  } catch {
    // The client went away mid-body: there is no connection left to keep.
    return false;
  }
}

/**
 * The site key a request carries: `?key=`, `X-Trailmark-Key`, or `Authorization: Bearer`.
 * The query form lets `sendBeacon` and CORS-simple requests, which cannot set headers, carry it.
 */
export function requestKey(request: Request): string | undefined {
  return presentedKey(request)?.key;
}

/**
 * The site key a request carries (see `requestKey`) and whether it came in the URL, where a secret key must never
 * travel: URLs land in access logs, browser history and `Referer` headers.
 */
export function presentedKey(request: Request): { key: string; inUrl: boolean } | undefined {
  const fromQuery = new URL(request.url).searchParams.get('key');
  if (fromQuery) return { key: fromQuery, inUrl: true };
  const header = request.headers.get('x-trailmark-key');
  if (header) return { key: header, inUrl: false };
  const auth = request.headers.get('authorization');
  const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return match?.[1] ? { key: match[1], inUrl: false } : undefined;
}

/**
 * Whether `origin` may call an endpoint whose site allows `allowed` origins.
 * An entry `*` allows any; requests without an Origin (servers, curl) are allowed, since CORS guards browsers only.
 */
export function originAllowed(origin: string | null | undefined, allowed: readonly string[]): boolean {
  if (!origin) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
