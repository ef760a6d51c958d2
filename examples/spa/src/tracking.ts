import {
  type BackendOptions,
  clicks,
  createTracker,
  d1Worker,
  forms,
  indexedDbQueue,
  pageviews,
  postgresIngest,
  referenceReceiver,
  scrollDepth,
  type Tracker,
  type Transport,
  visibility,
  webVitals,
} from 'trailmark';
import { fanOut } from './fan-out.js';

const env = import.meta.env;
const adapters: Record<string, (options: BackendOptions) => Transport> = {
  reference: referenceReceiver,
  postgres: postgresIngest,
  d1: d1Worker,
};

/** The tracker of this app: endpoints from Vite env vars, defaulting to the receiver `npm start` runs. */
export function startTracking(): Tracker {
  const key = env.VITE_TM_KEY || 'pk_demo';
  const primary = referenceReceiver({ endpoint: env.VITE_TM_ENDPOINT || 'http://127.0.0.1:8787', key });
  const mirrorAt = env.VITE_TM_MIRROR_ENDPOINT;
  const mirrorAdapter = adapters[env.VITE_TM_MIRROR_KIND || 'reference'] ?? referenceReceiver;
  const transport = mirrorAt ? fanOut(primary, mirrorAdapter({ endpoint: mirrorAt, key: env.VITE_TM_MIRROR_KEY || key })) : primary;
  return createTracker({
    siteId: env.VITE_TM_SITE || 'demo',
    transport,
    queue: indexedDbQueue(),
    plugins: [
      // The help page routes by hash (/help#/faq): with `hash`, each hash route is a page view of its own.
      pageviews({ hash: true }),
      clicks(),
      // Values only of the fields named here, never of sensitive ones (password, card, …) whatever their name.
      forms({ allow: ['company', 'plan'] }),
      scrollDepth(),
      visibility(),
      webVitals(),
    ],
  });
}
