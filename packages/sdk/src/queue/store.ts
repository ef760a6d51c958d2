import type { FlushLock } from '../lock.js';

/** One event as the queue keeps it: serialised once, so storing and sending never re-encode it. */
export interface QueueEntry {
  /** The event's `event_id`. */
  id: string;
  /** The event as JSON text. */
  body: string;
  /** UTF-8 length of `body`. */
  bytes: number;
  /** Eviction order when the queue is full: lower goes first. */
  priority: number;
  /** Event time (ms): sending is oldest first, and events past the maximum age are given up. */
  ts: number;
  /** Set by `load()`: when a page handed the event to the browser without seeing the answer (see `ledger`). */
  sent?: number;
}

/** Where queued events persist. Each call is one transaction. */
export interface QueueStore {
  /** True when other tabs of the origin see the same entries (then one tab flushes at a time). */
  readonly shared: boolean;
  /**
   * Every entry stored, oldest first not required; or `null` when nothing changed since this store's own last load
   * or write (no other tab wrote or removed anything), so the queue's mirror is still exact and need not be rebuilt.
   * The queue never calls it while one of its writes runs (a store may rebuild what it knows of its records from
   * the read alone).
   */
  load(): Promise<QueueEntry[] | null>;
  write(put: readonly QueueEntry[], remove: readonly string[]): Promise<void>;
  /**
   * Removes every entry; where `still` is given, only if it holds when the removal runs (in IndexedDB, inside its
   * transaction): a denial found late must not clear what another tab queued after consent was granted since.
   */
  clear(still?: () => boolean): Promise<void>;
  /**
   * The origin-wide lock flushes take when the store is shared, so two tabs never send the same event.
   * Stores seen by one tab only have none.
   */
  lock?(name: string): FlushLock;
  /**
   * At page hide: keeps `entries` (not yet confirmed written) synchronously somewhere that survives the page, because
   * an asynchronous write started now may die with it. `load()` brings them back.
   */
  spill?(entries: readonly QueueEntry[]): void;
  /**
   * Records, synchronously and where the origin's next page finds it, this tab's events handed to the browser
   * whose outcome it has not seen (id → when); `load()` returns them with `sent` set. Replaces what this tab
   * recorded before; an empty map removes the record.
   */
  ledger?(handed: ReadonlyMap<string, number>): void;
  /** Drops any open connection so the next call opens afresh (after WebKit's "connection lost", say). */
  reset?(): void;
}
