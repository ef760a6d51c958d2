/** Runs work while holding the origin-wide flush lock, or not at all when another tab holds it. */
export interface FlushLock {
  /** Resolves to `fn`'s result, or to `undefined` (without calling `fn`) when the lock is taken. */
  run<T>(fn: () => Promise<T>): Promise<T | undefined>;
}

/** Options of `createFlushLock()`: the platform, injectable for tests. */
export interface FlushLockOptions {
  /** `navigator.locks` where the browser has Web Locks. */
  locks?: LockManager | undefined;
  /** Where the fallback lease lives (shared by the origin's tabs). */
  storage?: Storage | undefined;
  /** How long a fallback lease lasts without renewal. */
  leaseMs?: number;
  now?: () => number;
}

/**
 * One flusher per origin: Web Locks (`ifAvailable`, so a busy lock skips instead of queueing) where present,
 * else a lease in localStorage renewed while the flush runs. Without either there is nothing to share with,
 * so the work just runs.
 */
export function createFlushLock(name: string, options: FlushLockOptions = {}): FlushLock {
  const { locks = globalThis.navigator?.locks, leaseMs = 10_000, now = Date.now } = options;
  if (locks) {
    return { run: (fn) => locks.request(name, { ifAvailable: true }, (lock) => (lock ? fn() : undefined)) };
  }
  let storage: Storage | undefined;
  try {
    storage = options.storage ?? globalThis.localStorage;
  } catch {
    // Storage access denied: no other tab can share our queue through it either.
  }
  if (!storage) return { run: (fn) => fn() };
  const kv = storage;
  const owner = String(Math.random());
  /** Writes (or renews) our lease; false when storage refuses the write (quota full). Never throws: it runs from a timer. */
  const lease = () => {
    try {
      kv.setItem(name, `${owner}|${now() + leaseMs}`);
      return true;
    } catch {
      return false;
    }
  };
  const holder = (): [string, number] => {
    const [who = '', until = '0'] = (kv.getItem(name) ?? '').split('|');
    return [who, Number(until)];
  };
  return {
    async run(fn) {
      const [who, until] = holder();
      if (who && who !== owner && until > now()) return undefined;
      // Storage that takes no lease can coordinate nothing: the work runs rather than never.
      if (!lease()) return fn();
      // Another tab may have written between our read and write: the last writer wins.
      if (holder()[0] !== owner) return undefined;
      const renew = setInterval(lease, leaseMs / 2);
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        if (holder()[0] === owner) kv.removeItem(name);
      }
    },
  };
}
