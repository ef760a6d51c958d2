import { errorResponse, routeIndexResponse } from '@trailmark/protocol';
import { type Context, Hono } from 'hono';
import { type Authorization, authorizeRead, authorizeWrite } from './auth.js';
import { type Env, numberVar } from './env.js';
import { allowOrigin, methodNotAllowed, preflight, readableError } from './http.js';
import { createKeyStore, keyUsageStatement, type SiteKey } from './keys.js';
import { createLivePublisher, forwardLive, type LiveEvent } from './live-client.js';
import { ParamError } from './query-params.js';
import { findVisitor, listEvents, listVisitors, siteStats, videoAcceptance, videoSessions } from './read-api.js';
import { redactStoredChunk } from './redact-stored.js';
import { runRetention } from './retention.js';
import { spareBody } from './spare-body.js';
import { D1_STATS_BUDGET, statsApi } from './stats-api.js';
import { trackBatch } from './track-batch.js';
import { trackVisitor } from './track-visitor.js';
import { updateVideoStatus } from './video.js';
import { foldPendingStep } from './visit-fold.js';
import { backfillStep } from './visit-rollups.js';

export { LiveVisitors } from './live-visitors.js';

type App = { Bindings: Env };
type Ctx = Context<App>;

// Per-isolate state, plain data only: key lookups cached (ingest then costs one D1 round trip, the batch, which
// also counts the key's use), live updates gathered into one Durable Object call per short window.
const keys = createKeyStore();
const live = createLivePublisher();

const app = new Hono<App>();

app.options('*', (c) => preflight(c.req.raw));
app.get('/:health{health|healthz}', () => Response.json({ ok: true }));

/** What `GET /` answers: the routes, so a browser opened on the Worker's URL learns where to go. */
const ROUTES = {
  'POST /track/batch': "the SDK's batch of events (the d1Worker adapter; the same as /v1/batch), write key",
  'POST /track/visitor': 'the tippen visitor ping, write key',
  'GET /api/visitors': 'visitors, newest first, with search and filters (docs/backends/d1-worker.md), secret key',
  'GET /api/visitors/:visitorId': 'one visitor, secret key',
  'POST|PATCH /api/visitors/:visitorId/video': "a video invitation's status, secret key",
  'GET /api/stats': 'totals and the daily timeline, secret key',
  'GET /api/video/acceptance': 'the video acceptance rate, secret key',
  'GET /api/events': 'stored events, filtered by type, visitor or session, secret key',
  'GET /api/live': 'live visitors: a WebSocket (Upgrade: websocket) or a JSON snapshot, secret key',
};
app.get('/', () =>
  routeIndexResponse(
    'trailmark d1-worker',
    'write routes: the site write key (X-Trailmark-Key, X-Tippen-API-Key or ?key=); read routes: the secret key as Authorization: Bearer',
    ROUTES,
  ),
);

/** Queues newly stored events for the site's live object, sent off the response path. */
function publishLive(c: Ctx, siteId: string, events: LiveEvent[]): void {
  const send = live.publish(c.env, siteId, events);
  if (send) c.executionCtx.waitUntil(send);
}

/** Runs a write handler for an authorised write key. */
async function ingest(c: Ctx, handler: (key: SiteKey) => Promise<Response>): Promise<Response> {
  const auth = await authorizeWrite(c.req.raw, c.env, keys);
  if (!auth.ok) return auth.response;
  return allowOrigin(await handler(auth.key), c.req.header('origin') ?? null);
}

async function batchRoute(c: Ctx): Promise<Response> {
  return ingest(c, async (key) => {
    const stored = await trackBatch(c.req.raw, c.env.DB, key, keyUsageStatement(c.env.DB, key));
    if (stored instanceof Response) return stored;
    for (const [siteId, events] of stored.live) publishLive(c, siteId, events);
    return stored.response;
  });
}

app.post('/track/batch', batchRoute);
app.post('/v1/batch', batchRoute);

app.post('/track/visitor', (c) =>
  ingest(c, async (key) => {
    const stored = await trackVisitor(c.req.raw, c.env.DB, key);
    if (stored instanceof Response) return stored;
    publishLive(c, key.siteId ?? stored.website, [stored.live]);
    return stored.response;
  }),
);

/** Runs a read handler for an authorised secret key, with the key's site. */
async function read(c: Ctx, handler: (siteId: string) => Promise<Response>): Promise<Response> {
  const auth: Authorization = await authorizeRead(c.req.raw, c.env, keys);
  if (!auth.ok) return auth.response;
  // Secret keys always come from `api_keys`, so they always have a site.
  const response = await handler(auth.key.siteId ?? '');
  return response.status === 101 ? response : allowOrigin(response, c.req.header('origin') ?? null);
}

const params = (c: Ctx) => new URL(c.req.url).searchParams;

app.get('/api/visitors', (c) => read(c, (site) => listVisitors(c.env.DB, site, params(c))));
app.get('/api/visitors/:visitorId', (c) =>
  read(c, async (site) => {
    const visitor = await findVisitor(c.env.DB, site, c.req.param('visitorId'));
    if (!visitor) return errorResponse('not_found', 'no such visitor on this site');
    return Response.json({ ok: true, visitor, video_sessions: await videoSessions(c.env.DB, visitor.id) });
  }),
);
const videoRoute = (c: Ctx) => read(c, (site) => updateVideoStatus(c.req.raw, c.env.DB, site, c.req.param('visitorId') ?? ''));
app.post('/api/visitors/:visitorId/video', videoRoute);
app.patch('/api/visitors/:visitorId/video', videoRoute);
app.get('/api/stats', (c) => read(c, (site) => siteStats(c.env.DB, site, params(c))));
app.get('/api/video/acceptance', (c) => read(c, (site) => videoAcceptance(c.env.DB, site)));
app.get('/api/events', (c) => read(c, (site) => listEvents(c.env.DB, site, params(c))));
app.post('/admin/redact', (c) => read(c, (site) => redactStoredChunk(c.env.DB, site, params(c))));
app.get('/v1/stats/:panel', (c) =>
  read(c, (site) =>
    statsApi(c.env.DB, site, c.req.param('panel'), params(c), Date.now(), {
      maxEvents: numberVar(c.env.STATS_MAX_EVENTS, D1_STATS_BUDGET.maxEvents),
      timeMs: numberVar(c.env.STATS_TIME_MS, D1_STATS_BUDGET.timeMs),
    }),
  ),
);
app.get('/api/live', (c) => read(c, (site) => forwardLive(c.env, site, c.req.raw)));

// Known paths with the wrong method answer 405; anything else 404.
const METHODS: [RegExp, string][] = [
  [/^\/(track\/batch|v1\/batch|track\/visitor)$/, 'POST'],
  [/^\/api\/visitors\/[^/]+\/video$/, 'POST, PATCH'],
  [/^\/(api\/(visitors(\/[^/]+)?|stats|video\/acceptance|events|live)|health|v1\/stats\/[^/]+)?$/, 'GET'],
];
app.notFound((c) => {
  const allow = METHODS.find(([pattern]) => pattern.test(c.req.path))?.[1];
  return allow ? methodNotAllowed(allow) : errorResponse('not_found', `no route for ${c.req.method} ${c.req.path}`);
});

app.onError((error) => {
  if (error instanceof ParamError) return errorResponse('invalid_request', error.message);
  // Bad input is answered above with 4xx; what reaches here is storage failing (or a bug): nothing was stored.
  console.error('trailmark d1-worker:', error);
  return errorResponse('unavailable', 'storage is unavailable; retry later', { 'retry-after': '5' });
});

/** The Worker: Hono's router, plus the two rules every answer follows (bodies drained, errors readable). */
export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // An unread body breaks the next request on a keep-alive connection (workerd): what is left is read and dropped.
    const spared = spareBody(request);
    const response = await app.fetch(spared.request, env, ctx);
    await spared.drain();
    return readableError(response, request.headers.get('origin'));
  },

  /** The cron trigger of wrangler.toml: raw-event retention, off every request's path. */
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(
      runRetention(env.DB, env.EVENT_RETENTION_DAYS).then(
        ({ days, deleted, identities }) =>
          console.log(`trailmark d1-worker: retention (${days} days) deleted ${deleted} events, ${identities} identities derived again`),
        (error: unknown) => console.error('trailmark d1-worker: retention failed', error),
      ),
    );
    // The visit rollups of events stored before migration 0008, a bounded number of steps per run.
    ctx.waitUntil(
      (async () => {
        for (let step = 0; step < 50 && (await backfillStep(env.DB)); step++);
        // And the visits whose queued events a failed fold left (migration 0013).
        for (let step = 0; step < 50 && (await foldPendingStep(env.DB)); step++);
      })().catch((error: unknown) => console.error('trailmark d1-worker: visit rollup backfill failed', error)),
    );
  },
} satisfies ExportedHandler<Env>;
