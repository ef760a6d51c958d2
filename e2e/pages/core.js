// Creates a tracker from query parameters and exposes it (and the ids it created) to the test.
import { createTracker, fetchTransport, indexedDbQueue, memoryQueue, webVitals } from '/sdk.js';
import { vitalsAttribution } from '/vitals-attribution.js';

const params = new URLSearchParams(location.search);
const created = JSON.parse(sessionStorage.getItem('tm-created') ?? '[]');
const tracker = createTracker({
  siteId: 'e2e',
  transport: fetchTransport({ url: '/collect' }),
  queue: params.get('queue') === 'memory' ? memoryQueue() : indexedDbQueue(),
  flushInterval: Number(params.get('interval') ?? 500),
  batchSize: Number(params.get('batch') ?? 20),
  onError: (error, where) => console.warn('trailmark', where, error.message),
});
tracker.onEvent((event) => {
  created.push(event.event_id);
  sessionStorage.setItem('tm-created', JSON.stringify(created));
});
// ?vitals: web vitals; ?vitals=attribution: with the attribution build's observers.
if (params.has('vitals')) tracker.use(webVitals(params.get('vitals') === 'attribution' ? { observers: vitalsAttribution() } : {}));
window.tm = tracker;
window.tmReady = true;
