import { readFileSync } from 'node:fs';
import type { SiteConfig } from '@trailmark/node-http';
import type { Hono } from 'hono';
import type { ReceiverContext } from '../context.js';
import { authorize, fail, json, queryNumber } from '../http.js';
import { liveSummary } from '../live-summary.js';
import { PUBLIC_DIR } from '../paths.js';

const ASSETS: Record<string, [file: string, type: string]> = {
  '/': ['live.html', 'text/html; charset=utf-8'],
  '/live': ['live.html', 'text/html; charset=utf-8'],
  '/live.js': ['live.js', 'text/javascript; charset=utf-8'],
  '/live.css': ['live.css', 'text/css; charset=utf-8'],
};
// No inline script or style anywhere on the page, so the strictest policy holds.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const MAX_STREAMS = 100;
const PING_MS = 15_000;

/**
 * The live page (`GET /`), its assets, and its data: `GET /api/live/summary` and the SSE stream
 * `GET /api/live/stream`. In dev mode both are open (`?site=` picks the site); otherwise they take the read key
 * as `Authorization: Bearer`, which the page asks for and keeps in memory only, never in a URL.
 * Returns a function that ends every open stream (for shutdown).
 */
export function liveRoutes(app: Hono, ctx: ReceiverContext, publicDir: string = PUBLIC_DIR): () => void {
  const cache = new Map<string, string>();
  for (const [path, [file, type]] of Object.entries(ASSETS)) {
    app.get(path, () => {
      let body = cache.get(file);
      if (body === undefined) {
        body = readFileSync(`${publicDir}${file}`, 'utf8');
        cache.set(file, body);
      }
      return new Response(body, {
        headers: { 'content-type': type, 'content-security-policy': CSP, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
      });
    });
  }

  // Browsers ask for it on every page; an empty answer keeps the 404s out of the rejection log.
  app.get('/favicon.ico', () => new Response(null, { status: 204, headers: { 'cache-control': 'max-age=86400' } }));

  const siteFor = async (request: Request): Promise<{ site: SiteConfig } | { response: Response }> => {
    if (ctx.dev && !request.headers.has('authorization')) {
      const wanted = new URL(request.url).searchParams.get('site');
      const site = wanted ? ctx.keys.site(wanted) : ctx.keys.sites[0];
      if (!site) return { response: fail(ctx, request, 'not_found', `no site ${wanted ?? ''} is configured`) };
      return { site };
    }
    const auth = await authorize(ctx, request, 'read');
    return auth.ok ? { site: auth.grant.site } : { response: auth.response };
  };

  app.get('/api/live/summary', async (c) => {
    const request = c.req.raw;
    const found = await siteFor(request);
    if ('response' in found) return found.response;
    const hours = queryNumber(new URL(request.url), 'hours', { min: 1, max: 24 * 31, fallback: 24, integer: true });
    if (typeof hours === 'string') return fail(ctx, request, 'invalid_request', hours);
    return json({ ok: true, ...liveSummary(ctx.store, found.site.id, ctx.clock(), hours) });
  });

  const open = new Set<() => void>();
  app.get('/api/live/stream', async (c) => {
    const request = c.req.raw;
    const found = await siteFor(request);
    if ('response' in found) return found.response;
    if (open.size >= MAX_STREAMS) {
      return fail(ctx, request, 'rate_limited', 'too many live connections', { headers: { 'retry-after': '10' } });
    }
    const encoder = new TextEncoder();
    let end = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            end();
          }
        };
        const unsubscribe = ctx.bus.subscribe(found.site.id, (events) => {
          send(`event: events\ndata: ${JSON.stringify(events.map((stored) => stored.event))}\n\n`);
        });
        const ping = setInterval(() => send(': ping\n\n'), PING_MS);
        end = () => {
          if (!open.has(end)) return;
          open.delete(end);
          unsubscribe();
          clearInterval(ping);
          try {
            controller.close();
          } catch {
            // Already closed by the client going away: nothing left to end.
          }
        };
        open.add(end);
        request.signal.addEventListener('abort', () => end());
        send(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ site_id: found.site.id })}\n\n`);
      },
      cancel() {
        end();
      },
    });
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
    });
  });

  return () => {
    for (const end of [...open]) end();
  };
}
