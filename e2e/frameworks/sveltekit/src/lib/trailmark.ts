/// <reference types="vite/client" />
// The SvelteKit recipe of docs/frameworks.md, as written there: the tracker is created on first use, which is the
// first afterNavigate (in the browser, after hydration); during the server render nothing calls it.
import { clicks, createTracker, referenceReceiver, type Tracker } from 'trailmark';

let started: Tracker | undefined;

export function tracker(): Tracker {
  started ??= createTracker({
    siteId: 'demo',
    transport: referenceReceiver({ endpoint: import.meta.env.VITE_TRAILMARK_ENDPOINT, key: 'pk_demo' }),
    plugins: [clicks()], // no pageviews(): afterNavigate says what a page is
    flushInterval: 300,
  });
  return started;
}
