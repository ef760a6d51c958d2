import type { QueueStore } from './store.js';

/**
 * A queue store in memory: events survive retries but not a reload. Use where storage is not allowed; the
 * IndexedDB store falls back to it by itself. The queue keeps every entry in memory anyway, and an unshared
 * store is never read back, so there is nothing more to hold here.
 */
export function memoryQueue(): QueueStore {
  const done = async () => undefined;
  return { shared: false, load: async () => [], write: done, clear: done };
}
