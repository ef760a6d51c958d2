import { MAX_REQUEST_BYTES } from './limits.js';

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

/** The outcome of reading a JSON request body. */
export type BodyResult = { ok: true; value: unknown; bytes: number } | { ok: false; code: ErrorCode; error: string };

const ACCEPTED_TYPES = ['application/json', 'text/plain', 'application/x-ndjson'];

/**
 * Reads and parses a JSON body from a Fetch API `Request`, never throwing: 413 past `maxBytes`
 * (checked on `Content-Length` and again while streaming), 415 for other media types, 400 for bad
 * UTF-8 or JSON. `text/plain` is accepted so browsers can send without a CORS preflight.
 */
export async function readJsonBody(request: Request, maxBytes = MAX_REQUEST_BYTES): Promise<BodyResult> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type && !ACCEPTED_TYPES.includes(type)) {
    await cancelBody(request);
    return {
      ok: false,
      code: 'unsupported_media_type',
      error: `content-type ${type} is not accepted; send application/json or text/plain`,
    };
  }
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await cancelBody(request);
    return { ok: false, code: 'payload_too_large', error: `body of ${declared} bytes is over the ${maxBytes}-byte limit` };
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
        await reader.cancel().catch(() => undefined);
        return { ok: false, code: 'payload_too_large', error: `body is over the ${maxBytes}-byte limit` };
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
    text = new TextDecoder('utf-8', { fatal: true }).decode(joined);
  } catch {
    return { ok: false, code: 'invalid_utf8', error: 'the body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text), bytes };
  } catch (error) {
    return { ok: false, code: 'malformed_json', error: `the body is not valid JSON: ${(error as Error).message}` };
  }
}

async function cancelBody(request: Request): Promise<void> {
  // An unread body can break the next request on a keep-alive connection (seen under workerd).
  await request.body?.cancel().catch(() => undefined);
}

/**
 * The site key a request carries: `?key=`, `X-Trailmark-Key`, or `Authorization: Bearer`.
 * The query form lets `sendBeacon` and CORS-simple requests, which cannot set headers, carry it.
 */
export function requestKey(request: Request): string | undefined {
  const fromQuery = new URL(request.url).searchParams.get('key');
  if (fromQuery) return fromQuery;
  const header = request.headers.get('x-trailmark-key');
  if (header) return header;
  const auth = request.headers.get('authorization');
  const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return match?.[1];
}

/**
 * Whether `origin` may call an endpoint whose site allows `allowed` origins.
 * An entry `*` allows any; requests without an Origin (servers, curl) are allowed, since CORS guards browsers only.
 */
export function originAllowed(origin: string | null | undefined, allowed: readonly string[]): boolean {
  if (!origin) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
