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
  const { _maxEvents: maxEvents, _maxBytes: maxBytes, _onDrop: onDrop } = options;
  const [save, inTurn, unsaved, unremoved, store] = storeWrites(options);
  let entries = new Map<string, QueueEntry>();
  /** Entries handed to the transport and not settled yet. */
  const inFlight = new Set<string>();
  /** Handed entries (see `_hand`): id → when. */
  const handed = new Map<string, number>();
  /** Entries past the caps that can be sent now: held here, never stored, and moved into the queue as room frees. */
  let overflow: QueueEntry[] = [];
  let bytes = 0;
  /** What this tick adds to and removes from the store: one write for the tick (`kick`). */
  let toPut: QueueEntry[] = [];
  let toRemove: string[] = [];
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
  const record = () => store().ledger?.(handed);

  const write = () => {
    scheduled = false;
    const put = toPut.filter((entry) => entries.has(entry.id));
    const removed = toRemove;
    toPut = [];
    toRemove = [];
    return save(put, removed);
  };
  const kick = () => {
    if (!scheduled) queueMicrotask(write);
    scheduled = true;
  };

  /** Moves held overflow into the queue while there is room; drops it when it cannot be sent either. */
  const admit = () => {
    const moved = roomFor(overflow, entries.size, bytes, maxEvents, maxBytes);
    for (const entry of overflow.slice(0, moved)) {
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
  /** Adds entries to the mirror, then evicts by priority (never one in flight) past the caps. */
  const fill = (list: QueueEntry[]) => {
    for (const entry of list) {
      if (!entries.has(entry.id)) {
        entries.set(entry.id, entry);
        bytes += entry.bytes;
        if (entry.sent) handed.set(entry.id, entry.sent);
      }
    }
    let dropped = 0;
    for (let victim: QueueEntry | undefined; entries.size > maxEvents || bytes > maxBytes; dropped++) {
      victim = undefined;
      for (const entry of entries.values()) {
        if (!inFlight.has(entry.id) && (!victim || entry.priority < victim.priority)) victim = entry;
      }
      if (!victim) break;
      remove(victim.id);
    }
    if (dropped) onDrop('queue_full', dropped);
  };

  return {
    _add(added) {
      // Backpressure: what does not fit waits in memory for the sender, oldest first, and is never evicted for space.
      const room = options._canSend() ? (overflow[0] ? 0 : roomFor(added, entries.size, bytes, maxEvents, maxBytes)) : added.length;
      // Concatenated, never spread: a burst of 100,000 would overflow the call stack as arguments.
      overflow = overflow.concat(added.slice(room));
      const kept = added.slice(0, room);
      fill(kept);
      toPut = toPut.concat(kept);
      kick();
    },
    _take: (max, most) => take(entries, inFlight, handed, max, most),
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
      for (const id of inFlight) handed.set(id, at);
      record();
    },
    _handedBefore: (before) => due(entries, inFlight, handed, before),
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
      if (!store().shared) return;
      // The read takes its turn among the writes (see `merged`).
      void write();
      const mirror = entries;
      const stored = (await inTurn((shared) => shared.load())) as QueueEntry[] | null | undefined;
      // A clear (consent denied) began while the read ran (it makes a new mirror): the answer holds what the clear
      // removes, kept out. (Re-reads never overlap: one flush at a time, under the lock.)
      if (stored && mirror === entries) {
        const had = handed.size;
        entries = new Map();
        bytes = 0;
        fill(merged(stored, toPut.concat(...unsaved), mirror, toRemove.concat(...unremoved)));
        // Hand-offs of other pages (their ledgers) are now this tab's to resolve; gone entries need none.
        for (const id of handed.keys()) if (!entries.has(id)) handed.delete(id);
        if (handed.size || had) record();
      }
    },
    _spill() {
      // Start this tick's write now rather than in a microtask: then every entry not yet stored is in `unsaved`.
      void write();
      spill(store(), unsaved, unremoved, entries, handed);
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
      await inTurn((shared) => shared.clear(still));
    },
    get _waiting() {
      return entries.size - inFlight.size + overflow.length - [...handed.keys()].filter((id) => !inFlight.has(id)).length;
    },
    get _bytes() {
      return bytes;
    },
    get _shared() {
      return store().shared;
    },
  };
}

/**
 * What a re-read gives the mirror: the entries `stored`, oldest first, less those this tab removed since (`gone`), and
 * this tab's additions not stored yet (`mine`) that are still in its mirror. The read takes its turn among the writes:
 * those begun before it are in what it reads (or, removed by another tab since, provably gone), those begun after wait
 * for its end. So what it misses is exactly what this tab added or removed since, which nobody else has seen: kept, or
 * kept out (issue 23). Run beside the writes, it missed entries whose write had begun, and the store no longer knew
 * where they were, so sending them never removed them and another tab sent them again (two tabs: a 6-event write
 * twice on the wire).
 */
function merged(stored: QueueEntry[], mine: QueueEntry[], mirror: ReadonlyMap<string, QueueEntry>, removed: string[]) {
  const gone = new Set(removed);
  return stored
    .sort((a, b) => a.ts - b.ts)
    .filter((entry) => !gone.has(entry.id))
    .concat(mine.filter((entry) => mirror.has(entry.id)));
}

/** Handed entries (see `Queue._hand`) whose hand-off is older than `before`, marked in flight again for their check. */
function due(entries: Map<string, QueueEntry>, inFlight: Set<string>, handed: Map<string, number>, before: number) {
  const list: QueueEntry[] = [];
  for (const [id, at] of handed) {
    const entry = entries.get(id);
    if (entry && at < before && !inFlight.has(id)) {
      list.push(entry);
      inFlight.add(id);
    }
  }
  return list;
}

/**
 * At page hide: the entries whose write may not finish before the page goes to the store's synchronous spill. Events
 * the server took whose removal may die with the page would be sent again by the next page (a whole batch, issue 23):
 * in the ledger as handed long ago, it asks the server first (ids only), at once.
 */
function spill(
  store: QueueStore,
  unsaved: Set<readonly QueueEntry[]>,
  unremoved: Set<readonly string[]>,
  entries: Map<string, QueueEntry>,
  handed: Map<string, number>,
) {
  const pending = ([] as QueueEntry[]).concat(...unsaved).filter((entry) => entries.has(entry.id));
  if (pending[0]) store.spill?.(pending);
  const gone = new Map(handed);
  for (const ids of unremoved) for (const id of ids) gone.set(id, 1);
  if (gone.size > handed.size) store.ledger?.(gone);
}

/** How many of `list`, from its start, fit beside `count` entries of `size` bytes under the caps. */
function roomFor(list: readonly QueueEntry[], count: number, size: number, maxEvents: number, maxBytes: number) {
  let room = 0;
  while (list[room] && count + room < maxEvents && size + list[room]!.bytes <= maxBytes) size += list[room++]!.bytes;
  return room;
}

/** Marks and returns the oldest entries neither in flight nor handed, up to the limits (at least one if any). */
function take(entries: Map<string, QueueEntry>, inFlight: Set<string>, handed: Map<string, number>, max: number, maxBytes: number) {
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
}

/**
 * The queue's store, written one transaction at a time: `[save, inTurn, unsaved, unremoved, store]`. `save(put, removed)` chains a
 * write after those before; `inTurn(operation)` runs a read or a clear in turn among them; `unsaved` and `unremoved`
 * hold what the writes not finished yet put (entry lists) and remove (id lists); `store()` is the store in use. A store that fails is
 * reopened once; if it fails again the queue moves to memory, said once through `onError`.
 */
function storeWrites(options: QueueOptions) {
  let store = options._store;
  let reopened = false;
  let writing: Promise<unknown> = Promise.resolve();
  /** Entries handed to a write that has not finished yet, and ids whose removal is in such a write. */
  const unsaved = new Set<readonly QueueEntry[]>();
  const unremoved = new Set<readonly string[]>();

  const run = async <T>(operation: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await operation();
    } catch (error) {
      if (!reopened && store.reset) {
        reopened = true;
        store.reset();
        return run(operation);
      }
      options._onError(error, __DEBUG_BUILD__ ? 'queue storage failed; events are kept in memory' : 'queue');
      store = memoryQueue();
      return undefined;
    }
  };
  const inTurn = (operation: (store: QueueStore) => Promise<unknown>) => {
    writing = writing.then(() => run(() => operation(store)));
    return writing;
  };
  const save = (put: QueueEntry[], removed: string[]) => {
    if (put[0] || removed[0]) {
      unsaved.add(put);
      unremoved.add(removed);
      inTurn((current) => current.write(put, removed));
      writing = writing.finally(() => {
        unsaved.delete(put);
        unremoved.delete(removed);
      });
    }
    return writing as Promise<void>;
  };
  return [save, inTurn, unsaved, unremoved, () => store] as const;
}
