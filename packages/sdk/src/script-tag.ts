/**
 * The script-tag entry (built as `trailmark.js` / `trailmark.min.js`, an IIFE). Configured from the
 * `data-*` attributes of its own `<script>` tag; defines one global, `window.trailmark` (or `data-global`),
 * and replays the calls the pre-load stub queued, in order. Nothing here may throw into the page.
 */
import { clicks, errors, formAbandonment, forms, pageviews, scrollDepth, textCopy, visibility, webVitals } from './capture/index.js';
import type { ConsentState } from './consent.js';
import type { Persistence } from './kv.js';
import type { Plugin } from './plugin.js';
import { indexedDbQueue } from './queue/indexeddb-queue.js';
import { memoryQueue } from './queue/memory-queue.js';
import { createTracker, type Tracker } from './tracker.js';
import type { Transport } from './transport.js';
import { type BackendOptions, d1Worker, postgresIngest, referenceReceiver } from './transports/backends.js';
import { beaconTransport } from './transports/beacon.js';
import { fetchTransport } from './transports/fetch.js';
import { urlRules } from './url-rules.js';

type Call = [method: string, ...args: unknown[]];
type Global = ((...args: Call) => unknown) & { q?: IArguments[] | Call[] };

const list = (value: string | undefined) => (value ?? '').split(/[\s,]+/).filter(Boolean);

const BACKENDS: Record<string, (options: BackendOptions) => Transport> = {
  reference: referenceReceiver,
  postgres: postgresIngest,
  d1: d1Worker,
  fetch: ({ endpoint }) => fetchTransport({ url: endpoint }),
  beacon: ({ endpoint }) => beaconTransport({ url: endpoint }),
};

function capture(data: DOMStringMap): Plugin[] {
  const on = new Set(list(data.capture ?? 'pageviews clicks scroll forms visibility vitals errors'));
  const plugins: Plugin[] = [];
  if (on.has('pageviews')) plugins.push(pageviews({ hash: data.hash === 'true' }));
  if (on.has('clicks')) plugins.push(clicks());
  if (on.has('scroll')) plugins.push(scrollDepth());
  if (on.has('forms')) plugins.push(forms({ allow: list(data.formsAllow) }));
  if (on.has('visibility')) plugins.push(visibility(data.heartbeat ? { heartbeat: Number(data.heartbeat) } : {}));
  if (on.has('vitals')) plugins.push(webVitals());
  if (on.has('copy')) plugins.push(textCopy());
  if (on.has('errors')) plugins.push(errors());
  if (on.has('form-abandonment')) plugins.push(formAbandonment());
  return plugins;
}

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
  for (const plugin of capture(data)) tracker.use(plugin);
}

try {
  start();
} catch (error) {
  // The page must never pay for the SDK; debug builds say why it did not start.
  if (__DEBUG_BUILD__) console.error('[trailmark] failed to start', error);
}
