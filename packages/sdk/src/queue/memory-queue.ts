import type { QueueEntry, QueueStore } from './store.js';

/**
 * A queue store in memory: events survive retries but not a reload. Use where storage is not
 * allowed; the IndexedDB store falls back to it by itself.
 */
export function memoryQueue(): QueueStore {
  const map = new Map<string, QueueEntry>();
  return {
    shared: false,
    load: async () => [...map.values()],
    async write(put, remove) {
      for (const entry of put) map.set(entry.id, entry);
      for (const id of remove) map.delete(id);
    },
    clear: async () => map.clear(),
  };
}
