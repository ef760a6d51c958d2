/** Runs work while holding the origin-wide flush lock, or not at all when another tab holds it. */
export interface FlushLock {
  /** Resolves to `fn`'s result, or to `undefined` (without calling `fn`) when the lock is taken. */
  run<T>(fn: () => Promise<T>): Promise<T | undefined>;
}

/**
 * One flusher per origin: a Web Lock (`ifAvailable`, so a busy lock skips instead of queueing). Every engine the SDK
 * supports has Web Locks (Chromium 69, Firefox 96, Safari 15.4); where one has not, the work just runs: two tabs may
 * then send the same events, which every backend stores once by `event_id`. (A `localStorage` lease stood in for
 * those browsers: 196 B of every IndexedDB bundle, issue 23.)
 */
export function createFlushLock(name: string, locks: LockManager | undefined = globalThis.navigator?.locks): FlushLock {
  return { run: (fn) => (locks ? locks.request(name, { ifAvailable: true }, (lock) => (lock ? fn() : undefined)) : fn()) };
}
