import type { StoredEvent } from './store.js';

/** A listener of newly stored events (one live page connection). */
export type LiveListener = (events: StoredEvent[]) => void;

/** Fan-out of stored events to live connections, filtered by site. */
export interface LiveBus {
  subscribe(siteId: string, listener: LiveListener): () => void;
  publish(events: StoredEvent[]): void;
  readonly size: number;
}

/** Creates the bus. Publishing happens after the insert commits, so a listener only sees durable events. */
export function createLiveBus(): LiveBus {
  const listeners = new Map<LiveListener, string>();
  return {
    subscribe(siteId, listener) {
      listeners.set(listener, siteId);
      return () => listeners.delete(listener);
    },
    publish(events) {
      if (listeners.size === 0 || events.length === 0) return;
      for (const [listener, siteId] of listeners) {
        const mine = events.filter((stored) => stored.event.site_id === siteId);
        if (mine.length > 0) listener(mine);
      }
    },
    get size() {
      return listeners.size;
    },
  };
}
