import type { Env } from './env.js';

/** What the live-visitor Durable Object learns from one stored event. */
export interface LiveEvent {
  visitor_id: string;
  session_id: string | null;
  type: string;
  /** Server time of the event, ms. */
  ts: number;
  url: string | null;
  path: string | null;
  title: string | null;
  /** The visitor hid or left the page: they leave the live list. */
  gone: boolean;
  /** Enrichment of the request that carried the event. */
  company: string;
  location: string;
  role: string;
}

/** The internal address the Worker uses to reach a site's live object (a namespace stub needs a URL). */
const LIVE_ORIGIN = 'https://live.internal';

/** A site's live-visitor object. */
export function liveStub(env: Env, siteId: string): DurableObjectStub {
  return env.LIVE.get(env.LIVE.idFromName(siteId));
}

/**
 * Only what can change the live list: of each run of a visitor's events on one URL, the last (it carries
 * the newest time for the timeout), and every leave. A batch of one visitor's clicks on one page becomes
 * one entry.
 */
export function compactLive(events: readonly LiveEvent[]): LiveEvent[] {
  const ordered = [...events].sort((a, b) => a.ts - b.ts);
  const nextOf = new Map<string, LiveEvent>();
  const keep: LiveEvent[] = [];
  for (let i = ordered.length - 1; i >= 0; i--) {
    const event = ordered[i];
    if (!event) continue;
    const next = nextOf.get(event.visitor_id);
    if (event.gone || !next || next.gone || next.url !== event.url) keep.push(event);
    nextOf.set(event.visitor_id, event);
  }
  return keep.reverse();
}

/** Sends events to a site's live object. */
export async function sendLive(env: Env, siteId: string, stored: readonly LiveEvent[]): Promise<void> {
  const events = compactLive(stored);
  if (events.length === 0) return;
  const response = await liveStub(env, siteId).fetch(`${LIVE_ORIGIN}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  await response.body?.cancel();
}

/** Hands stored events on to the live objects, a short window's worth per call. */
export interface LivePublisher {
  /** Queues events of a site; returns the send to hand to `ctx.waitUntil`, or undefined when one is already due. */
  publish(env: Env, siteId: string, events: readonly LiveEvent[]): Promise<void> | undefined;
}

/**
 * One call to a site's live object per `windowMs` per isolate instead of one per request: the first request
 * of a window sends, from its own `waitUntil`, what the requests of the window queued (plain data, so no I/O
 * crosses requests). Dashboards see changes at most `windowMs` later; ingest does not pay a Durable Object
 * round trip per batch.
 */
export function createLivePublisher(
  windowMs = 200,
  send: (env: Env, siteId: string, events: readonly LiveEvent[]) => Promise<void> = sendLive,
): LivePublisher {
  const queued = new Map<string, LiveEvent[]>();
  return {
    publish(env, siteId, events) {
      if (events.length === 0) return undefined;
      const open = queued.get(siteId);
      if (open) {
        open.push(...events);
        return undefined;
      }
      const batch = [...events];
      queued.set(siteId, batch);
      return (async () => {
        await new Promise((resolve) => setTimeout(resolve, windowMs));
        queued.delete(siteId);
        try {
          await send(env, siteId, batch);
        } catch (error) {
          // Live updates are best effort: the events are stored, and the next event of a visitor repairs the list.
          console.warn('trailmark d1-worker: live update failed', (error as Error).message);
        }
      })();
    },
  };
}

/** Forwards a dashboard's request (WebSocket upgrade or snapshot) to the site's live object. */
export function forwardLive(env: Env, siteId: string, request: Request): Promise<Response> {
  const path = request.headers.get('upgrade')?.toLowerCase() === 'websocket' ? '/connect' : '/snapshot';
  return liveStub(env, siteId).fetch(`${LIVE_ORIGIN}${path}`, { headers: request.headers });
}

/** Whether an event means the visitor is gone: a page leave, or the page turning hidden. */
export function isGone(type: string, props: Record<string, unknown> | undefined): boolean {
  if (type === 'page_leave') return true;
  return type === 'page_visibility' && (props?.state === 'hidden' || props?.visibility === 'hidden' || props?.hidden === true);
}
