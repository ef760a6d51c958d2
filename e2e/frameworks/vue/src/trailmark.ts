// The Vue recipe of docs/frameworks.md, as written there: a pageview after each router navigation, once the route's
// title is in the document.
import { clicks, createTracker, referenceReceiver, type Tracker } from 'trailmark';
import { nextTick } from 'vue';
import type { Router } from 'vue-router';

export function trackRouter(router: Router): Tracker {
  const tracker = createTracker({
    siteId: 'demo',
    transport: referenceReceiver({ endpoint: import.meta.env.VITE_TRAILMARK_ENDPOINT, key: 'pk_demo' }),
    plugins: [clicks()], // no pageviews(): the router says what a page is
    flushInterval: 300,
  });
  let previous = ''; // the URL of the last pageview: its referrer for the next
  let popped = false; // Back or Forward since then
  // Vue Router's own history tells Back and Forward (a window popstate listener can run after the whole navigation).
  router.options.history.listen(() => {
    popped = true;
  });
  // After the DOM update: the route's title (set in an afterEach hook or by its component) is in the document.
  const view = async () => {
    await nextTick();
    const url = location.href.split('#')[0]!;
    if (url === previous) return;
    tracker.track('pageview', { navigation: previous ? (popped ? 'pop' : 'push') : 'load' }, previous ? { referrer: previous } : undefined);
    previous = url;
    popped = false;
  };
  router.afterEach((_to, _from, failure) => {
    if (!failure) void view();
  });
  // Started after the first navigation (a Nuxt plugin runs after it): count the page it landed on.
  void router.isReady().then(view);
  return tracker;
}
