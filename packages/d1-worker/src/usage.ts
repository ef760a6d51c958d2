import { recordKeyUsage } from './keys.js';

/** Writes a key's use count; the default is the `api_keys` UPDATE. */
export type UsageWriter = (db: D1Database, key: string, uses: number) => Promise<void>;

/** Counts key uses in the isolate and writes them at most once per `intervalMs` per key. */
export interface UsageCounter {
  /** Counts one use; returns the write to hand to `ctx.waitUntil`, or undefined when it waits for a later request. */
  record(db: D1Database, key: string): Promise<void> | undefined;
}

/**
 * Under load one UPDATE of `api_keys` per request would double D1's write transactions, so uses are summed
 * per isolate and written by the first request after `intervalMs`, from that request's own `waitUntil`
 * (a Worker may not finish I/O on behalf of another request). The price: an isolate that is evicted loses
 * at most the last interval's count, so `usage_count` is a close count, not an audit log.
 */
export function createUsageCounter(intervalMs = 1000, write: UsageWriter = recordKeyUsage, now: () => number = Date.now): UsageCounter {
  const pending = new Map<string, { uses: number; writtenAt: number }>();
  return {
    record(db, key) {
      const entry = pending.get(key) ?? { uses: 0, writtenAt: 0 };
      entry.uses += 1;
      pending.set(key, entry);
      if (now() - entry.writtenAt < intervalMs) return undefined;
      const uses = entry.uses;
      entry.uses = 0;
      entry.writtenAt = now();
      return write(db, key, uses).catch((error: unknown) => {
        // Put the count back for the next write; usage must never fail a request.
        entry.uses += uses;
        console.warn('trailmark d1-worker: usage update failed', (error as Error).message);
      });
    },
  };
}
