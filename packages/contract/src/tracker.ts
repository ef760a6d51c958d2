import { createTracker, memoryQueue, type Props, type Transport, type TransportResult } from 'trailmark';
import { type Backend, type Refusal, SITE } from './backends.js';

/** One send of the tracker's transport: when it left and what came back. */
export interface Attempt {
  at: number;
  result: TransportResult;
}

/**
 * The least of a page the tracker reads (document, location, navigator, screen, lifecycle events), so the SDK
 * runs in Node against a real server with Node's own fetch.
 */
function minimalWindow(href: string): Window & typeof globalThis {
  const url = new URL(href);
  const document = Object.assign(new EventTarget(), { title: 'Contract', referrer: '', visibilityState: 'visible' });
  return Object.assign(new EventTarget(), {
    document,
    location: { href: url.href, origin: url.origin, pathname: url.pathname },
    navigator: { language: 'en', userAgent: 'trailmark-contract' },
    screen: { width: 1280, height: 800 },
    innerWidth: 1280,
    innerHeight: 800,
    devicePixelRatio: 1,
  }) as unknown as Window & typeof globalThis;
}

/**
 * Tracks two events with a tracker whose backend refuses the first send (429/503 with `Retry-After`), heals it
 * after that answer, and waits until the tracker, on its own schedule, has delivered them.
 */
export async function deliverThroughTracker(backend: Backend, refusal: Refusal): Promise<{ attempts: Attempt[]; ids: string[] }> {
  const inner = backend.adapter({ endpoint: refusal.endpoint, key: SITE.writeKey });
  const attempts: Attempt[] = [];
  // Behaviour by wrapping: the transport the tracker gets records each send, and heals the refusal once seen.
  const recording: Transport = {
    async send(payload, options) {
      const at = Date.now();
      const result = await inner.send(payload, options);
      attempts.push({ at, result });
      if (result.status === 'retry') await refusal.heal();
      return result;
    },
  };
  const ids: string[] = [];
  const tracker = createTracker({
    siteId: SITE.id,
    transport: recording,
    queue: memoryQueue(),
    persistence: 'memory',
    flushInterval: 50,
    window: minimalWindow(`${SITE.origin}/retry`),
    onError: () => undefined,
  });
  const unsubscribe = tracker.onEvent((event) => ids.push(event.event_id));
  try {
    await refusal.trip();
    tracker.track('retry_probe', { n: 1 });
    tracker.track('retry_probe', { n: 2 });
    await tracker.flush();
    const deadline = Date.now() + 15_000;
    while (attempts.at(-1)?.result.status !== 'ok' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return { attempts, ids };
  } finally {
    unsubscribe();
    await tracker.shutdown();
  }
}

/**
 * Tracks one event (with `props`) with the real SDK on a page at `href`, through the backend's adapter, and returns
 * its session id once the backend has accepted it: what the SDK sends from that URL, as a site would.
 */
export async function trackOnPage(backend: Backend, href: string, props?: Props): Promise<string> {
  const tracker = createTracker({
    siteId: SITE.id,
    transport: backend.adapter({ endpoint: backend.endpoint, key: SITE.writeKey }),
    queue: memoryQueue(),
    persistence: 'memory',
    window: minimalWindow(href),
    onError: () => undefined,
  });
  try {
    tracker.track('page_probe', props);
    await tracker.flush();
    return tracker.sessionId;
  } finally {
    await tracker.shutdown();
  }
}
