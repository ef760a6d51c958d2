import { memoryQueue } from './memory-queue.js';
import type { QueueEntry, QueueStore } from './store.js';

/**
 * Why an event was given up; counted per reason and available from `tracker.dropped()`. `invalid_revenue` is the one
 * exception: it counts events whose `revenue` prop was removed (it was not `{ amount, currency }`), the events
 * themselves were sent.
 */
export type DropReason =
  | 'queue_full'
  | 'too_large'
  | 'consent_denied'
  | 'retries_exhausted'
  | 'rejected'
  | 'invalid'
  | 'before_send'
  | 'invalid_revenue';

/** Options of `createQueue()`. */
export interface QueueOptions {
  _store: QueueStore;
  _maxEvents: number;
  _maxBytes: number;
  /**
   * Whether events could leave now (consent, network and backoff allow it). Past the caps, such a queue holds the
   * excess in memory for the sender instead of evicting it (backpressure): the caps bound storage while events
   * cannot be sent, not a burst that can.
   */
  _canSend: () => boolean;
  _onDrop: (reason: DropReason, count: number) => void;
  _onError: (error: unknown, where: string) => void;
}

/** The queue: an in-memory mirror of the store, with writes coalesced to one transaction per tick. */
export interface Queue {
  /** Adds entries (evicting by priority past the caps) and schedules one write for the tick. */
  _add(entries: QueueEntry[]): void;
  /** Marks and returns the oldest entries neither in flight nor handed, up to the limits (at least one if any). */
  _take(maxEvents: number, maxBytes: number): QueueEntry[];
  /** Ends a send: `done` ids leave the queue, the rest of `taken` can be taken again. */
  _settle(taken: readonly QueueEntry[], done: readonly string[]): void;
  /**
   * Ends a send whose outcome this page cannot see (handed to the browser at page hide, or past its deadline): the
   * entries stay queued but are not taken again until `_handedBefore` gives them back to be checked with the server.
   * Recorded synchronously in the store, so the next page knows too.
   */
  _hand(taken: readonly QueueEntry[], at: number): void;
  /**
   * At page hide: every entry in flight (the unload batches, and ordinary requests that may or may not outlive the
   * page) is recorded as handed, while staying in flight until its send settles.
   */
  _handInFlight(at: number): void;
  /** Handed entries whose hand-off is older than `before`, marked in flight again for the check; settle them after. */
  _handedBefore(before: number): QueueEntry[];
  /** True when handed entries wait for their check. */
  readonly _handed: boolean;
  /** Removes entries older than `before` (ms) that are not in flight; returns how many. */
  _expire(before: number): number;
  /** Resolves when every write so far has reached the store. */
  _persist(): Promise<void>;
  /** Re-reads a shared store, so entries other tabs wrote (or removed) are seen. */
  _sync(): Promise<void>;
  /** At page hide: hands entries whose write may not finish before the page goes to the store's synchronous spill. */
  _spill(): void;
  /**
   * Removes everything, stored or not; the shared store only if `still()` holds when its clear runs (see
   * `QueueStore.clear`).
   */
  _clear(still?: () => boolean): Promise<void>;
  /** Entries waiting: neither in flight nor handed (held overflow included). */
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
  /** Entries handed to the transport and not settled yet. */
  const inFlight = new Set<string>();
  /** Handed entries (see `_hand`): id → when. */
  const handed = new Map<string, number>();
  /** Entries past the caps that can be sent now: held here, never stored, and moved into the queue as room frees. */
  let overflow: QueueEntry[] = [];
  let bytes = 0;
  let toPut: QueueEntry[] = [];
  let toRemove: string[] = [];
  let writing: Promise<unknown> = Promise.resolve();
  /** Entries handed to a write that has not finished yet, and ids whose removal is in such a write. */
  const unsaved = new Set<readonly QueueEntry[]>();
  const unremoved = new Set<readonly string[]>();
  let scheduled = false;

  const remove = (id: string) => {
    const entry = entries.get(id);
    if (entry) {
      entries.delete(id);
      bytes -= entry.bytes;
      toRemove.push(id);
    }
    if (handed.delete(id)) record();
  };
  /** This tab's hand-offs, written where the next page finds them. */
  const record = () => store.ledger?.(handed);

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
      unremoved.add(removed);
      writing = writing
        .then(() => run(() => store.write(put, removed)))
        .finally(() => {
          unsaved.delete(put);
          unremoved.delete(removed);
        });
    }
    return writing as Promise<void>;
  };
  const kick = () => {
    if (!scheduled) queueMicrotask(write);
    scheduled = true;
  };

  const full = () => entries.size > maxEvents || bytes > maxBytes;
  /** Moves held overflow into the queue while there is room; drops it when it cannot be sent either. */
  const admit = () => {
    let moved = 0;
    while (overflow[moved] && entries.size < maxEvents && bytes + overflow[moved]!.bytes <= maxBytes) {
      const entry = overflow[moved++]!;
      entries.set(entry.id, entry);
      bytes += entry.bytes;
      toPut.push(entry);
    }
    overflow = overflow.slice(moved);
    if (overflow[0] && !options._canSend()) {
      onDrop('queue_full', overflow.length);
      overflow = [];
    }
    if (moved) kick();
  };
  const evict = () => {
    let dropped = 0;
    while (full()) {
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
        if (entry.sent) handed.set(entry.id, entry.sent);
      }
    }
    evict();
  };

  return {
    _add(added) {
      let room = added.length;
      if (options._canSend()) {
        // Backpressure: what does not fit waits in memory for the sender, oldest first, and is never evicted for space.
        let size = bytes;
        room = 0;
        while (added[room] && !overflow[0] && entries.size + room < maxEvents && size + added[room]!.bytes <= maxBytes) {
          size += added[room++]!.bytes;
        }
        // Concatenated, never spread: a burst of 100,000 would overflow the call stack as arguments.
        overflow = overflow.concat(added.slice(room));
      }
      const kept = room < added.length ? added.slice(0, room) : added;
      fill(kept);
      toPut = toPut.concat(kept);
      kick();
    },
    _take(max, maxBytes) {
      const taken: QueueEntry[] = [];
      let size = 0;
      for (const entry of entries.values()) {
        if (!inFlight.has(entry.id) && !handed.has(entry.id)) {
          if (taken.length === max || (taken[0] && size + entry.bytes > maxBytes)) break;
          taken.push(entry);
          inFlight.add(entry.id);
          size += entry.bytes + 1;
        }
      }
      return taken;
    },
    _settle(taken, done) {
      let unhanded = false;
      for (const entry of taken) {
        inFlight.delete(entry.id);
        unhanded = handed.delete(entry.id) || unhanded;
      }
      if (unhanded) record();
      for (const id of done) remove(id);
      admit();
      kick();
    },
    _hand(taken, at) {
      for (const entry of taken) {
        inFlight.delete(entry.id);
        if (entries.has(entry.id)) handed.set(entry.id, at);
      }
      record();
    },
    _handInFlight(at) {
      if (inFlight.size) {
        for (const id of inFlight) handed.set(id, at);
        record();
      }
    },
    _handedBefore(before) {
      const due: QueueEntry[] = [];
      for (const [id, at] of handed) {
        const entry = entries.get(id);
        if (entry && at < before && !inFlight.has(id)) {
          due.push(entry);
          inFlight.add(id);
        }
      }
      return due;
    },
    get _handed() {
      return handed.size > 0;
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
      // The read takes its turn among the writes: those begun before it are in what it reads (or, removed by another
      // tab since, provably gone), those begun after wait for its end. So what it misses is exactly what this tab
      // added or removed since, which nobody else has seen: kept, or kept out (issue 23). Run beside the writes, it
      // missed entries whose write had begun, and the store no longer knew where they were, so sending them never
      // removed them and another tab sent them again (two tabs: a 6-event write twice on the wire).
      void write();
      const mirror = entries;
      writing = writing.then(() => run(() => store.load()));
      const stored = (await writing) as QueueEntry[] | null | undefined;
      // A clear (consent denied) began while the read ran (it makes a new mirror): the answer holds what the clear
      // removes, kept out. (Re-reads never overlap: one flush at a time, under the lock.)
      if (stored && mirror === entries) {
        let mine = toPut;
        for (const put of unsaved) mine = mine.concat(put);
        mine = mine.filter((entry) => entries.has(entry.id));
        const gone = new Set(toRemove.concat(...unremoved));
        stored.sort((a, b) => a.ts - b.ts);
        entries = new Map();
        bytes = 0;
        const had = handed.size;
        fill(stored.filter((entry) => !gone.has(entry.id)).concat(mine));
        // Hand-offs of other pages (their ledgers) are now this tab's to resolve; gone entries need none.
        for (const id of handed.keys()) if (!entries.has(id)) handed.delete(id);
        if (handed.size || had) record();
      }
    },
    _spill() {
      // Start this tick's write now rather than in a microtask: then every entry not yet stored is in `unsaved`.
      void write();
      const pending: QueueEntry[] = [];
      for (const put of unsaved) for (const entry of put) if (entries.has(entry.id)) pending.push(entry);
      if (pending[0]) store.spill?.(pending);
      // Events the server took whose removal may die with the page: the next page would send them again (a whole
      // batch, issue 23). In the ledger as handed long ago, it asks the server first (ids only), at once.
      const gone = new Map(handed);
      for (const removed of unremoved) for (const id of removed) gone.set(id, 1);
      if (gone.size > handed.size) store.ledger?.(gone);
    },
    async _clear(still) {
      entries = new Map();
      inFlight.clear();
      handed.clear();
      overflow = [];
      record();
      bytes = 0;
      toPut = [];
      toRemove = [];
      // In turn among the writes and re-reads, as `_sync`'s read is: a read begun before it is dropped there.
      writing = writing.then(() => run(() => store.clear(still)));
      await writing;
    },
    get _waiting() {
      let waiting = entries.size - inFlight.size + overflow.length;
      for (const id of handed.keys()) if (!inFlight.has(id)) waiting--;
      return waiting;
    },
    get _bytes() {
      return bytes;
    },
    get _shared() {
      return store.shared;
    },
  };
}
