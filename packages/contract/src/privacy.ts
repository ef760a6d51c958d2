import { STATS_DIMENSIONS, type TrailmarkEvent } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, SITE } from './backends.js';
import { findInClear, type PrivacyCorpus, privacyCorpus } from './privacy-corpus.js';

/** The corpus's seed: the same requests on every machine and for every backend. */
export const PRIVACY_SEED = 26;

/** The analytics-track API's shape of an event (the receiver's legacy route). */
const trackShaped = (event: TrailmarkEvent) => ({
  event_id: event.event_id,
  event_type: event.type,
  session_id: event.session_id,
  visitor_id: event.visitor_id,
  timestamp: event.ts,
  url: event.url,
  path: event.path,
  ...(event.title ? { title: event.title } : {}),
  ...(event.referrer ? { referrer: event.referrer } : {}),
  ...(event.user_id ? { user_id: event.user_id } : {}),
  properties: { ...event.props, ...(event.utm_campaign ? { utm_campaign: event.utm_campaign } : {}) },
});

/** The body a write route takes, in chunks of at most 100 events. */
function bodies(route: string, corpus: PrivacyCorpus): unknown[] {
  if (route === '/track/visitor') return corpus.pings;
  const chunks: TrailmarkEvent[][] = [];
  for (let i = 0; i < corpus.events.length; i += 100) chunks.push(corpus.events.slice(i, i + 100));
  if (route === '/api/analytics/track') return chunks.map((chunk) => chunk.map(trackShaped));
  return chunks.map((events) => ({ v: 1, events }));
}

/** What a GET answers within a second and a half (a live stream is read for that long, then let go). */
async function readText(url: string): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 1500);
  let text = '';
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${SITE.readKey}` }, signal: abort.signal });
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return text;
}

/**
 * The privacy suite on one backend: the corpus sent through every write route (each route its own event ids, so
 * each is stored), then every table dumped and every read API (every `/v1/stats` breakdown, the summary, the live
 * panel and the backend's own read routes) scanned: no value of the corpus in clear, the raw user agent nowhere.
 */
export function definePrivacySuite(name: string, start: () => Promise<Backend>): void {
  describe(`privacy: ${name}`, () => {
    let backend: Backend;
    let corpus: PrivacyCorpus;
    beforeAll(async () => {
      backend = await start();
      corpus = privacyCorpus(PRIVACY_SEED, SITE.id, Date.now());
      for (const [index, route] of backend.writeRoutes.entries()) {
        // Each route stores the corpus under ids of its own (the first route keeps the corpus's).
        const own = index === 0 ? corpus : { ...corpus, events: corpus.events.map((e) => ({ ...e, event_id: reId(e.event_id, index) })) };
        for (const body of bodies(route, own)) {
          const response = await fetch(`${backend.endpoint}${route}?key=${SITE.writeKey}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': corpus.userAgent, origin: SITE.origin },
            body: JSON.stringify(body),
          });
          const answer = await response.text();
          expect(response.status, `${route}: ${answer.slice(0, 300)}`).toBe(200);
          expect(answer).not.toContain('"rejected":[{');
        }
      }
      await backend.settle?.();
    }, 60_000);
    afterAll(() => backend?.close());

    it('stores none of the corpus in clear in any table', async () => {
      const dump = await backend.dump();
      // The corpus arrived: the store holds its events (redacted).
      expect(dump).toContain('[redacted:email]');
      expect(findInClear(dump, corpus.secrets).map((secret) => secret.label)).toEqual([]);
    });

    it('serves none of it through any read API', async () => {
      const to = Date.now() + 3_600_000;
      const range = `from=${to - 2 * 86_400_000}&to=${to}`;
      const urls = [
        ...STATS_DIMENSIONS.map((by) => `/v1/stats/breakdown?${range}&by=${by}&limit=1000`),
        `/v1/stats/summary?${range}`,
        '/v1/stats/live',
        ...backend.routes.filter((route) => !backend.writeRoutes.includes(route)).map((route) => `${route}?site_id=${SITE.id}&limit=1000`),
      ];
      const found: string[] = [];
      for (const url of urls) {
        const text = await readText(`${backend.endpoint}${url}`);
        for (const secret of findInClear(text, corpus.secrets)) found.push(`${url}: ${secret.label}`);
      }
      expect(found).toEqual([]);
    }, 60_000);
  });
}

/** The same UUID with its last digits changed by `index`, so each write route stores its own copy. */
const reId = (id: string, index: number) =>
  `${id.slice(0, -2)}${(Number.parseInt(id.slice(-2), 16) ^ index).toString(16).padStart(2, '0')}`;
