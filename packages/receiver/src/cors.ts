import type { MiddlewareHandler } from 'hono';
import type { ReceiverContext } from './context.js';
import { fail } from './http.js';

const ALLOW_HEADERS = 'content-type, authorization, x-trailmark-key';

/**
 * CORS for every route. Preflights are answered here (any site's origin may preflight, since the key is not
 * known yet; the route then checks the key's own site). Answers to an allowed origin carry
 * `Access-Control-Allow-Origin` so the page can read errors as well as successes.
 */
export function cors(ctx: ReceiverContext): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const origin = request.headers.get('origin');
    const allowed = origin !== null && (ctx.corsAny || ctx.keys.anyAllows(origin) || origin === new URL(request.url).origin);
    if (request.method === 'OPTIONS') {
      if (origin !== null && !allowed) {
        return fail(ctx, request, 'origin_not_allowed', `origin ${origin.slice(0, 200)} is not allowed by any site`);
      }
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
