import type { MiddlewareHandler } from 'hono';
import type { Keyring } from './site-keys.js';

const ALLOW_HEADERS = 'content-type, authorization, x-trailmark-key';

/** Options of `siteCors()`. */
export interface SiteCorsOptions {
  keys: Keyring;
  /** Any origin may call (echoed back), as with the receiver's `--cors-any`. */
  anyOrigin?: boolean;
  /** The server's own pages (same origin as the request) may call, as the receiver's live page does. */
  ownPages?: boolean;
  /** The answer to a preflight from an origin no site allows (a 403 JSON error). */
  refuse(request: Request, error: string): Response;
}

/**
 * CORS for every route. Preflights are answered here: any configured site's origin may preflight, since the key is
 * not known yet; the route then checks the key's own site. Answers to an allowed origin carry
 * `Access-Control-Allow-Origin`, so the page can read errors (and `Retry-After`) as well as successes.
 */
export function siteCors({ keys, anyOrigin = false, ownPages = false, refuse }: SiteCorsOptions): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const origin = request.headers.get('origin');
    const allowed = origin !== null && (anyOrigin || keys.anyAllows(origin) || (ownPages && origin === new URL(request.url).origin));
    if (request.method === 'OPTIONS') {
      if (origin !== null && !allowed) return refuse(request, `origin ${origin.slice(0, 200)} is not allowed by any site`);
      return new Response(null, {
        status: 204,
        headers: {
          ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '600',
          allow: 'GET, POST, OPTIONS',
        },
      });
    }
    await next();
    if (allowed && origin) {
      c.res.headers.set('access-control-allow-origin', origin);
      c.res.headers.append('vary', 'Origin');
      c.res.headers.set('access-control-expose-headers', 'retry-after');
    }
  };
}
