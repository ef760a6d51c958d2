import type { MiddlewareHandler } from 'hono';
import type { IngestContext } from './context.js';
import { fail } from './http.js';

const ALLOW_HEADERS = 'content-type, authorization, x-trailmark-key';

/**
 * CORS for every route. Preflights are answered here: any configured site's origin may preflight, since the key
 * is not known yet; the route then checks the key's own site. Answers to an allowed origin carry
 * `Access-Control-Allow-Origin`, so the page can read errors (and `Retry-After`) as well as successes.
 */
export function cors(ctx: IngestContext): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.raw.headers.get('origin');
    const allowed = origin !== null && ctx.keys.anyAllows(origin);
    if (c.req.method === 'OPTIONS') {
      if (origin !== null && !allowed) return fail('origin_not_allowed', `origin ${origin} is not allowed by any site`);
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
