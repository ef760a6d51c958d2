/**
 * The script-tag entry (built as `trailmark.js` / `trailmark.min.js`, an IIFE). Configured from the
 * `data-*` attributes of its own `<script>` tag; defines one global, `window.trailmark` (or `data-global`),
 * and replays the calls the pre-load stub queued, in order. Nothing here may throw into the page.
 * It starts the tracker with what a page needs before its `load` event (page views); the other capture
 * features come in a second file fetched after `load` (script-tag-later.ts, script-tag-later-load.ts).
 */
import { pageviews } from './capture/pageviews.js';
import type { ConsentState } from './consent.js';
import type { Persistence } from './kv.js';
import { indexedDbQueue } from './queue/indexeddb-queue.js';
import { memoryQueue } from './queue/memory-queue.js';
import { loadLater } from './script-tag-later-load.js';
import { captureWords, list } from './script-tag-words.js';
import { createTracker, type Tracker } from './tracker.js';
import type { Transport } from './transport.js';
import { type BackendOptions, d1Worker, postgresIngest, referenceReceiver } from './transports/backends.js';
import { beaconTransport } from './transports/beacon.js';
import { fetchTransport } from './transports/fetch.js';
import { urlRules } from './url-rules.js';

type Call = [method: string, ...args: unknown[]];
type Global = ((...args: Call) => unknown) & { q?: IArguments[] | Call[] };

const BACKENDS: Record<string, (options: BackendOptions) => Transport> = {
  reference: referenceReceiver,
  postgres: postgresIngest,
  d1: d1Worker,
  fetch: ({ endpoint }) => fetchTransport({ url: endpoint }),
  beacon: ({ endpoint }) => beaconTransport({ url: endpoint }),
};

/** The words of `data-capture` script-tag-later.ts serves: the chunk is fetched when one of them is on. */
const LATER = /^(clicks|scroll|forms|visibility|vitals|copy|errors|form-abandonment)$/;

function start(): void {
  const script = (document.currentScript ?? document.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const data = script?.dataset ?? {};
  const name = data.global ?? 'trailmark';
  const win = window as unknown as Record<string, Global | undefined>;
  const queued = win[name]?.q ?? [];
  if (!data.site || !data.endpoint) {
    if (__DEBUG_BUILD__) console.warn('[trailmark] data-site and data-endpoint are required on the script tag');
    return;
  }
  // Cookieless (`memory`, and `consent` until it is given) means no IndexedDB either: queued events hold the ids.
  // `data-queue` overrides the choice: `memory` or `indexeddb`.
  const queue = data.queue ?? (/^(memory|consent)$/.test(data.persistence ?? '') ? 'memory' : 'indexeddb');
  const tracker: Tracker = createTracker({
    siteId: data.site,
    transport: (BACKENDS[data.transport ?? 'reference'] ?? referenceReceiver)({ endpoint: data.endpoint, key: data.key ?? '' }),
    queue: queue === 'memory' ? memoryQueue() : indexedDbQueue(),
    // Absent: the tracker's defaults (`granted`, localStorage). Another persistence value means localStorage; an
    // unknown consent value holds events in memory as `pending` does.
    consent: data.consent as ConsentState,
    respectDNT: data.respectDnt === 'true',
    persistence: data.persistence as Persistence,
    debug: data.debug !== undefined && data.debug !== 'false',
    // The script tag always strips the ad platforms' click ids from URLs (`data-keep-params` lists what stays).
    pageUrl: urlRules({
      exclude: list(data.exclude),
      stripParams: list(data.stripParams),
      ...(data.keepParams ? { keepParams: list(data.keepParams) } : {}),
    }),
    ...(data.sampleRate ? { sampleRate: Number(data.sampleRate) } : {}),
    ...(data.flushInterval ? { flushInterval: Number(data.flushInterval) } : {}),
  });
  const api: Global = (method, ...args) => {
    try {
      if (!/^(track|consent|identify|reset|register|unregister|flush|dropped)$/.test(method))
        throw Error(`unknown method ${String(method)}`);
      // The tracker checks what it is given (an event type that is not a string is dropped as invalid).
      return (tracker[method as keyof Tracker] as (...values: unknown[]) => unknown)(...args);
    } catch (error) {
      tracker.reportError(error, 'api');
    }
  };
  win[name] = api;
  // Queued calls first (consent, identify), so the first pageview already carries them.
  for (const call of queued) api(...(Array.from(call) as Call));
  const on = captureWords(data);
  if (on.has('pageviews')) tracker.use(pageviews({ hash: data.hash === 'true' }));
  if ([...on].some((word) => LATER.test(word))) loadLater(tracker, data, script);
}

try {
  start();
} catch (error) {
  // The page must never pay for the SDK; debug builds say why it did not start.
  if (__DEBUG_BUILD__) console.error('[trailmark] failed to start', error);
}
