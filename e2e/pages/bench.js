// The benchmark page: a tracker as a real site would run it (IndexedDB queue, fetch transport to the
// local recorder), plus a long-task observer. The benchmark drives it through window.bench.
// `?floor=1` runs the same tracker with nothing to store to or send through (a memory queue, a transport that
// accepts at once): what the SDK's own JavaScript costs, without IndexedDB and the network.
import { createTracker, fetchTransport, indexedDbQueue, memoryQueue } from '/sdk.js';

const params = new URLSearchParams(location.search);
const floor = params.has('floor');

const longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push(entry.duration);
}).observe({ type: 'longtask', buffered: true });

const tracker = createTracker({
  siteId: 'bench',
  transport: floor ? { send: async () => ({ status: 'ok' }) } : fetchTransport({ url: '/collect' }),
  queue: floor ? memoryQueue() : indexedDbQueue({ dbName: 'bench' }),
});

window.bench = {
  /** Calls track() `count` times and returns the time spent in the calls alone. */
  run(count) {
    const start = performance.now();
    for (let i = 0; i < count; i++) tracker.track('bench_event', { i, label: 'button', plan: 'pro' });
    return performance.now() - start;
  },
  flush: () => tracker.flush(),
  longTasks: () => longTasks.slice(),
  ready: true,
};

// `?auto=track` (or `idle`): the traced benchmark runs the page with no DevTools client attached, so the page
// drives itself, `start` ms after it loads, and marks the window the trace is read over.
const auto = params.get('auto');
if (auto)
  setTimeout(
    async () => {
      performance.mark('bench:start');
      if (auto === 'track') {
        window.bench.run(1000);
        await window.bench.flush();
        performance.mark('bench:end');
      }
    },
    Number(params.get('start') ?? 1500),
  );
