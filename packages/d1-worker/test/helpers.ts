import type { Miniflare } from 'miniflare';
import { ensureBundle, seedSite, startWorker } from '../scripts/local.mjs';

/** The site every test file registers. */
export const SITE = { site: 'acme', writeKey: 'pk_acme', secretKey: 'sk_acme', website: 'https://acme.example' };
export const OTHER = { site: 'other', writeKey: 'pk_other', secretKey: 'sk_other', website: 'https://other.example' };

/** Request options of `mf.dispatchFetch` (Miniflare's undici types, with `cf`). */
export type Init = NonNullable<Parameters<Miniflare['dispatchFetch']>[1]>;

/** A started Worker with the two sites registered. */
export interface TestWorker {
  mf: Miniflare;
  db: Awaited<ReturnType<typeof startWorker>>['db'];
  /** The local front every test talks to. */
  url: URL;
  /** workerd's own socket behind it (to show what only the local runtime does). */
  workerdUrl: URL;
  /** A request to the Worker, its answer's body always read (keep-alive safety). */
  call(
    path: string,
    init?: Init,
    // biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field; a type per answer would add nothing
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

/** Starts the real bundle under Miniflare with migrations applied and the test sites seeded. */
export async function startTestWorker(
  vars: Record<string, string> = {},
  cf?: Record<string, unknown>,
  output?: (text: string, stream: 'stdout' | 'stderr') => void,
): Promise<TestWorker> {
  await ensureBundle();
  const { mf, db, url, workerdUrl } = await startWorker({ vars, ...(cf ? { cf } : {}), ...(output ? { output } : {}) });
  await seedSite(db, SITE);
  await seedSite(db, OTHER);
  return {
    mf,
    db,
    url,
    workerdUrl,
    async call(path, init) {
      // Real HTTP, as a browser or the SDK sends; `mf.dispatchFetch` only when the test supplies a `cf`
      // object (its proxy occasionally resets a connection on an early 413, which plain fetch does not).
      const target = new URL(path, url).href;
      const response = init?.cf ? await mf.dispatchFetch(target, init) : await fetch(target, init as RequestInit);
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers as unknown as Headers, body, text };
    },
  };
}

let counter = 0;

/** A fresh UUID-shaped event id (v7 layout, unique per call). */
export function eventId(): string {
  counter += 1;
  const hex = (Date.now().toString(16).padStart(12, '0') + counter.toString(16).padStart(20, '0')).slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A valid event of the test site; fields override. */
export function event(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: eventId(),
    type: 'pageview',
    ts: Date.now() - 1000,
    site_id: SITE.site,
    visitor_id: 'visitor-1',
    session_id: 'session-1',
    seq: 1,
    url: 'https://acme.example/',
    path: '/',
    title: 'Home',
    ...fields,
  };
}

/** POST init for a batch with the site's write key. */
export function batchInit(events: unknown[], headers: Record<string, string> = {}): Init {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-trailmark-key': SITE.writeKey, ...headers },
    body: JSON.stringify({ v: 1, sdk: 'trailmark/test', sent_at: Date.now(), events }),
  };
}

/** POST init of a tippen `/track/visitor` ping with the site's write key. */
export function pingInit(visitorId: string, url: string, event = 'pageview'): Init {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tippen-api-key': SITE.writeKey },
    body: JSON.stringify({ event, visitor: { visitorId, url }, website: 'acme.example' }),
  };
}

/** Auth header of the site's secret key. */
export const secret = (key = SITE.secretKey) => ({ authorization: `Bearer ${key}` });

/** Polls `check` until it returns a truthy value (for work done in `ctx.waitUntil`). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
