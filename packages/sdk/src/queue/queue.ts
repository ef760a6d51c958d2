import { memoryQueue } from './memory-queue.js';
import type { QueueEntry, QueueStore } from './store.js';

/** Why an event was given up; counted per reason and available from `tracker.dropped()`. */
export type DropReason = 'queue_full' | 'too_large' | 'consent_denied' | 'retries_exhausted' | 'rejected' | 'invalid';

/** Options of `createQueue()`. */
export interface QueueOptions {
  _store: QueueStore;
  _maxEvents: number;
  _maxBytes: number;
  _onDrop: (reason: DropReason, count: number) => void;
  _onError: (error: unknown, where: string) => void;
}

/** The queue: an in-memory mirror of the store, with writes coalesced to one transaction per tick. */
export interface Queue {
  /** Adds entries (evicting by priority past the caps) and schedules one write for the tick. */
  _add(...entries: QueueEntry[]): void;
  /**
   * Marks and returns the oldest entries not in flight, up to the limits (at least one if any). At `unloading`,
   * entries in flight in ordinary requests are taken again: those requests may die with the page.
   */
  _take(maxEvents: number, maxBytes: number, unloading?: boolean): QueueEntry[];
  /** Ends a send: `done` ids leave the queue, the rest of `taken` can be taken again. */
  _settle(taken: readonly QueueEntry[], done: readonly string[]): void;
  /** Removes entries older than `before` (ms) that are not in flight; returns how many. */
  _expire(before: number): number;
  /** Resolves when every write so far has reached the store. */
  _persist(): Promise<void>;
  /** Re-reads a shared store, so entries other tabs wrote (or removed) are seen. */
  _sync(): Promise<void>;
  /** At page hide: hands entries whose write may not finish before the page goes to the store's synchronous spill. */
  _spill(): void;
  /** Removes everything, stored or not. */
  _clear(): Promise<void>;
  /** Entries waiting, not in flight. */
  readonly _waiting: number;
  /** Bytes of every entry held, in flight or not. */
  readonly _bytes: number;
  /** Whether a shared store (IndexedDB) is in use, so tabs must take turns. */
  readonly _shared: boolean;
}

/**
 * Creates the queue over a store. A failing store is reopened once; if it fails again the queue
 * moves to memory and says so once through `onError`, and never throws.
 */
export function createQueue(options: QueueOptions): Queue {
  const { _maxEvents: maxEvents, _maxBytes: maxBytes, _onDrop: onDrop, _onError: onError } = options;
  let store = options._store;
  let reopened = false;
  let entries = new Map<string, QueueEntry>();
  /** Entries handed to the transport: true when sent at unload. */
  const inFlight = new Map<string, boolean>();
  let bytes = 0;
  let toPut: QueueEntry[] = [];
  let toRemove: string[] = [];
  let writing: Promise<unknown> = Promise.resolve();
  /** Entries handed to a write that has not finished yet. */
  const unsaved = new Set<readonly QueueEntry[]>();
  let scheduled = false;

  const remove = (id: string) => {
    const entry = entries.get(id);
    if (entry) {
      entries.delete(id);
      bytes -= entry.bytes;
      toRemove.push(id);
    }
  };

  const run = async <T>(operation: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await operation();
    } catch (error) {
      if (!reopened && store.reset) {
        reopened = true;
        store.reset();
        return run(operation);
      }
      onError(error, __DEBUG_BUILD__ ? 'queue storage failed; events are kept in memory' : 'queue');
      store = memoryQueue();
      return undefined;
    }
  };

  const write = () => {
    scheduled = false;
    const put = toPut.filter((entry) => entries.has(entry.id));
    const removed = toRemove;
    toPut = [];
    toRemove = [];
    if (put[0] || removed[0]) {
      unsaved.add(put);
      writing = writing.then(() => run(() => store.write(put, removed))).finally(() => unsaved.delete(put));
    }
    return writing as Promise<void>;
  };
  const kick = () => {
    if (!scheduled) queueMicrotask(write);
    scheduled = true;
  };

  const evict = () => {
    let dropped = 0;
    while (entries.size > maxEvents || bytes > maxBytes) {
      let victim: QueueEntry | undefined;
      for (const entry of entries.values()) {
        if (!inFlight.has(entry.id) && (!victim || entry.priority < victim.priority)) victim = entry;
      }
      if (!victim) break;
      remove(victim.id);
      dropped++;
    }
    if (dropped) onDrop('queue_full', dropped);
  };
  const fill = (list: QueueEntry[]) => {
    for (const entry of list) {
      if (!entries.has(entry.id)) {
        entries.set(entry.id, entry);
        bytes += entry.bytes;
      }
    }
    evict();
  };

  return {
    _add(...added) {
      fill(added);
      toPut.push(...added);
      kick();
    },
    _take(max, maxBytes, unloading) {
      const taken: QueueEntry[] = [];
      let size = 0;
      for (const entry of entries.values()) {
        const mark = inFlight.get(entry.id);
        if (mark === undefined || (unloading && !mark)) {
          if (taken.length === max || (taken[0] && size + entry.bytes > maxBytes)) break;
          taken.push(entry);
          inFlight.set(entry.id, !!unloading);
          size += entry.bytes + 1;
        }
      }
      return taken;
    },
    _settle(taken, done) {
      for (const entry of taken) inFlight.delete(entry.id);
      for (const id of done) remove(id);
      kick();
    },
    _expire(before) {
      let expired = 0;
      for (const entry of entries.values()) {
        if (entry.ts < before && !inFlight.has(entry.id)) {
          remove(entry.id);
          expired++;
        }
      }
      kick();
      return expired;
    },
    _persist: write,
    async _sync() {
      if (!store.shared) return;
      await write();
      const stored = await run(() => store.load());
      if (stored) {
        const unsaved = toPut;
        stored.sort((a, b) => a.ts - b.ts);
        entries = new Map();
        bytes = 0;
        fill(stored.concat(unsaved));
      }
    },
    _spill() {
      // Start this tick's write now rather than in a microtask: then every entry not yet stored is in `unsaved`.
      void write();
      const pending: QueueEntry[] = [];
      for (const put of unsaved) for (const entry of put) if (entries.has(entry.id)) pending.push(entry);
      if (pending[0]) store.spill?.(pending);
    },
    async _clear() {
      entries.clear();
      inFlight.clear();
      bytes = 0;
      toPut = [];
      toRemove = [];
      await writing;
      await run(() => store.clear());
    },
    get _waiting() {
      return entries.size - inFlight.size;
    },
    get _bytes() {
      return bytes;
    },
    get _shared() {
      return store.shared;
    },
  };
}
