import { errorResponse } from '@trailmark/protocol';

/** A JSON answer. */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

const ALLOW_HEADERS = 'content-type, authorization, x-trailmark-key, x-tippen-api-key';
const ALLOW_METHODS = 'GET, POST, PATCH, OPTIONS';

/**
 * Adds the CORS headers that let `origin` read the answer. Called with the request's Origin only once
 * the key has allowed it, so a site's data is readable by that site's pages alone.
 */
export function allowOrigin(response: Response, origin: string | null): Response {
  if (!origin) return response;
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', origin);
  headers.append('vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers, ...webSocketOf(response) });
}

function webSocketOf(response: Response): { webSocket?: WebSocket } {
  return response.webSocket ? { webSocket: response.webSocket } : {};
}

/**
 * Error answers carry no data, so any origin may read them: the SDK then sees the 401/403/413 and drops
 * or splits the batch, instead of taking an opaque network error for a reason to retry forever.
 */
export function readableError(response: Response, origin: string | null): Response {
  if (response.status < 400 || response.headers.has('access-control-allow-origin')) return response;
  return allowOrigin(response, origin);
}

/**
 * The preflight answer. It cannot check a key sent in a header (preflights carry none), so it only states
 * what may be sent; the real request is then refused with 403 when its Origin is not the key's website.
 */
export function preflight(request: Request): Response {
  const origin = request.headers.get('origin');
  return new Response(null, {
    status: 204,
    headers: {
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': '86400',
    },
  });
}

/** 405 with the methods a path takes. */
export function methodNotAllowed(allow: string): Response {
  return errorResponse('method_not_allowed', `use ${allow}`, { allow });
}
