import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { createFlushLock } from '../lock.js';
import { utf8Bytes } from '../utf8.js';
import type { QueueEntry, QueueStore } from './store.js';

/** Options of `indexedDbQueue()`. */
export interface IndexedDbQueueOptions {
  /** Database name (default `trailmark`); a store of its own, never idb-keyval's default one. */
  dbName?: string;
  storeName?: string;
  /** The page's window, whose back/forward cache entry and exit the store follows (tests pass their own). */
  window?: Window;
}

// A chunk holds at most this many bytes of events: Chromium stores a value over 64 KiB as a blob beside the
// database, which costs the page several milliseconds a write.
const CHUNK_BYTES = 48 * 1024;

/** One line per entry: id, priority, time, JSON body. Event JSON never holds a raw newline. */
const encode = (chunk: readonly QueueEntry[]) => chunk.map((e) => `${e.id}\t${e.priority}\t${e.ts}\t${e.body}`).join('\n');
const decode = (text: string): QueueEntry[] =>
  text.split('\n').map((line) => {
    const [id = '', priority = '', ts = ''] = line.split('\t', 3);
    const body = line.slice(id.length + priority.length + ts.length + 3);
    return { id, priority: +priority, ts: +ts, body, bytes: utf8Bytes(body) };
  });

/**
 * A queue store in IndexedDB (through idb-keyval): events outlive reloads, crashes and closed tabs,
 * and every tab of the origin shares them. The connection opens on first use, so importing or creating
 * it touches nothing; failures reject, and the queue above reopens once and then falls back to memory.
 *
 * IndexedDB's cost is per record and per cloned object, so each write stores its entries as a few records
 * of one string each (a chunk), and records never change once written: removing entries writes a tombstone
 * (`<chunk key> <random>`: the removed ids) beside its chunk, and the last removal deletes the chunk with its
 * tombstones. So a tab re-reads only the keys, and the records it has not seen yet: a sync costs almost
 * nothing, and tabs never resurrect or lose each other's entries.
 */
export function indexedDbQueue(options: IndexedDbQueueOptions = {}): QueueStore {
  const { dbName = 'trailmark', storeName = 'queue' } = options;
  const [run, opened, reset] = transactions(dbName, storeName, options);
  /** Records seen so far, by key: a chunk's entries, or a tombstone's ids. */
  let seen: Seen = new Map();
  /** Which chunk holds each live entry, and how many live entries each chunk still has. */
  const chunkOf = new Map<string, string>();
  const live = new Map<string, number>();
  /** localStorage keys of page-hide spills (see `spill`): one per tab, so tabs never overwrite each other's. */
  const spillPrefix = `trailmark:${dbName}:spill:`;
  const tab = Math.random().toString(36).slice(2);
  const spillKey = spillPrefix + tab;
  /** localStorage keys of hand-off ledgers (see `ledger`), one per tab too: `id<TAB>time` lines. */
  const ledgerPrefix = `trailmark:${dbName}:sent:`;
  /** The ledgers as last read: a change (another tab's page hide) means the mirror must be rebuilt. */
  let ledgers = '';
  /** Ids this tab spilled that have not reached IndexedDB (or left the queue) yet. */
  const spilled = new Set<string>();

  const write = (put: readonly QueueEntry[], remove: readonly string[]): Promise<void> => {
    /** The records to put (text, key) and key ranges to delete, worked out (and the maps updated) once, so a second run repeats them. */
    let ops: Op[] | undefined;
    return run('readwrite', (os) => {
      ops ??= plan(put, remove, seen, chunkOf, live);
      for (const [value, key] of ops) key === undefined ? os.delete(value) : os.put(value, key);
    }).then(() => {
      // What this write stored or removed needs the spill no more.
      if (!spilled.size) return;
      for (const entry of put) spilled.delete(entry.id);
      for (const id of remove) spilled.delete(id);
      if (!spilled.size) storage(() => localStorage.removeItem(spillKey));
    });
  };

  return {
    shared: true,
    async load() {
      const [fresh, unchanged] = await readRecords(run, seen);
      // Spills of pages that went before their last write finished: into IndexedDB first, then out of localStorage.
      // Ledgers of hand-offs whose outcome no page saw: those events are checked with the server, not sent again.
      const [spills, spilledEntries, ledgerKeys, sent, read] = readTabs(spillPrefix, ledgerPrefix);
      // The records are exactly those this tab last read or wrote: its mirror (and chunkOf, live) is still exact.
      if (unchanged && !spills[0] && read === ledgers) return null;
      ledgers = read;
      seen = fresh;
      const [all, removed] = liveEntries(seen, chunkOf, live);
      const missing = spilledEntries.filter((entry) => entry.id && !chunkOf.has(entry.id) && !removed.has(entry.id));
      if (missing[0]) await write(missing, []);
      // Copies: the records themselves are this tab's mirror of what is stored, and stay as they were written.
      const loaded = all.concat(missing).map((entry) => (sent.has(entry.id) ? { ...entry, sent: sent.get(entry.id)! } : entry));
      storage(() => {
        for (const key of spills) localStorage.removeItem(key);
        // A ledger none of whose events is queued any more has done its job (the queue adopts the live ones).
        for (const key of ledgerKeys) {
          const text = localStorage.getItem(key) ?? '';
          if (!text.split('\n').some((line) => chunkOf.has(line.split('\t')[0]!))) localStorage.removeItem(key);
        }
      });
      return loaded;
    },
    write,
    ledger(handed) {
      storage(() => {
        if (!handed.size) return localStorage.removeItem(ledgerPrefix + tab);
        localStorage.setItem(ledgerPrefix + tab, [...handed].map(([id, at]) => `${id}\t${at}`).join('\n'));
      });
    },
    spill(entries) {
      storage(() => {
        localStorage.setItem(spillKey, encode(entries));
        for (const entry of entries) spilled.add(entry.id);
      });
    },
    clear: async (still = () => true) => {
      // Nothing to clear in a database never created: opening it to clear it would create it (consent denied).
      if (
        !opened() &&
        (await indexedDB.databases?.().then(
          (dbs) => !dbs.some((db) => db.name === dbName),
          () => false,
        ))
      )
        return;
      let cleared = false;
      await run('readwrite', (os) => {
        // Asked here, in the transaction: no other tab writes between the answer and the clear.
        cleared = still();
        // Forgotten even when not cleared (granted again since): the queue above emptied its mirror all the same, so
        // the next load must return every record, not "nothing changed" (what other tabs queued would wait for a page).
        seen.clear();
        if (cleared) {
          os.clear();
          chunkOf.clear();
          live.clear();
        }
      });
      if (cleared) {
        storage(() => {
          localStorage.removeItem(spillKey);
          localStorage.removeItem(ledgerPrefix + tab);
        });
        spilled.clear();
      }
    },
    reset,
    lock: (name) => createFlushLock(`trailmark:${dbName}:${name}`),
  };
}

/** Records by key: a chunk's entries, or a tombstone's ids. */
type Seen = Map<string, Array<QueueEntry | string>>;
type Run = (mode: IDBTransactionMode, fn: (os: IDBObjectStore) => void) => Promise<void>;

/**
 * The store's transactions, `[run, opened, reset]`: `run` runs `fn` in a transaction (the connection opens on first
 * use), `opened` says whether it was, `reset` drops it. WebKit keeps the transactions of a page in its back/forward
 * cache open, and with them the object store, so every other page of the origin waits on IndexedDB until that page
 * is evicted (measured in WebKitGTK 2.50: the page navigated to never read or flushed its queue). So a page entering
 * the cache aborts what it has in progress and starts nothing more; `run` runs the same work again if it is shown
 * again. Entries it was adding are in the page-hide spill meanwhile; removals it had not stored are sent again by
 * another page, and deduplicated by id.
 */
function transactions(dbName: string, storeName: string, options: IndexedDbQueueOptions): [Run, () => boolean, () => void] {
  let store: UseStore | undefined;
  /** Transactions in progress, and while the page sits in the back/forward cache, a promise of its return. */
  const active = new Set<IDBTransaction>();
  let cached: Promise<void> | undefined;
  let watching = false;
  const use = () => {
    if (!watching) {
      watching = true;
      const win = options.window ?? globalThis.window;
      let shown = () => {};
      win?.addEventListener('pagehide', (event) => {
        if (!(event as PageTransitionEvent).persisted) return;
        cached ??= new Promise((resolve) => {
          shown = resolve;
        });
        for (const tx of active) abort(tx);
      });
      win?.addEventListener('pageshow', () => {
        cached = undefined;
        shown();
      });
    }
    store ??= createStore(dbName, storeName);
    return store;
  };
  const run: Run = async (mode, fn) => {
    for (;;) {
      await cached;
      let tx: IDBTransaction | undefined;
      try {
        return await use()(mode, (os) => {
          tx = os.transaction;
          active.add(tx);
          if (cached) abort(tx);
          else fn(os);
          return promisifyRequest(tx);
        });
      } catch (error) {
        if (!cached) throw error;
      } finally {
        if (tx) active.delete(tx);
      }
    }
  };
  return [
    run,
    () => !!store,
    () => {
      store = undefined;
    },
  ];
}

/**
 * Every record stored, by key (those in `seen` as they are, the others read), and whether the keys are exactly those
 * seen (no other tab wrote or removed anything since).
 */
async function readRecords(run: Run, seen: Seen): Promise<[Seen, boolean]> {
  let keys: string[] = [];
  let known = 0;
  const fresh: Seen = new Map();
  await run('readonly', (os) => {
    // Run again after a return from the back/forward cache: from scratch.
    known = 0;
    fresh.clear();
    const request = os.getAllKeys();
    request.onsuccess = () => {
      keys = request.result as string[];
      for (const key of keys) {
        const records = seen.get(key);
        if (records) {
          fresh.set(key, records);
          known++;
        } else {
          const get = os.get(key);
          get.onsuccess = () => {
            const text: unknown = get.result;
            // Anything but our own text (another library's record) is left alone.
            if (typeof text === 'string') fresh.set(key, key.includes(' ') ? text.split('\n') : decode(text));
          };
        }
      }
    };
  });
  return [fresh, known === keys.length && known === seen.size];
}

/**
 * Every tab's records in localStorage: the spills' keys and entries, and the ledgers' keys, id → latest hand-off, and
 * their text as read.
 */
function readTabs(spillPrefix: string, ledgerPrefix: string): [string[], QueueEntry[], string[], Map<string, number>, string] {
  const spills: string[] = [];
  const entries: QueueEntry[] = [];
  const ledgers: string[] = [];
  const sent = new Map<string, number>();
  let read = '';
  storage(() => {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith(spillPrefix)) spills.push(key);
      if (key.startsWith(ledgerPrefix)) ledgers.push(key);
    }
    for (const key of spills) entries.push(...decode(localStorage.getItem(key) ?? ''));
    for (const key of ledgers) {
      const text = localStorage.getItem(key) ?? '';
      read += text;
      for (const line of text.split('\n')) {
        const [id = '', at = ''] = line.split('\t');
        if (id) sent.set(id, Math.max(sent.get(id) ?? 0, +at));
      }
    }
  });
  return [spills, entries, ledgers, sent, read];
}

/** The live entries of `seen` (its chunks less its tombstones) and the removed ids; `chunkOf` and `live` made again. */
function liveEntries(seen: Seen, chunkOf: Map<string, string>, live: Map<string, number>): [QueueEntry[], Set<unknown>] {
  const removed = new Set<unknown>();
  for (const [key, records] of seen) if (key.includes(' ')) for (const id of records) removed.add(id);
  const all: QueueEntry[] = [];
  chunkOf.clear();
  live.clear();
  for (const [key, records] of seen) {
    if (key.includes(' ')) continue;
    let count = 0;
    for (const entry of records as QueueEntry[]) {
      if (!removed.has(entry.id)) {
        all.push(entry);
        chunkOf.set(entry.id, key);
        count++;
      }
    }
    live.set(key, count);
  }
  return [all, removed];
}

/**
 * The records to put and the key ranges to delete for one write, the maps updated to match: `put` in chunks of at
 * most CHUNK_BYTES, a tombstone beside each chunk that loses entries, and a chunk whose last entry goes deleted with
 * its tombstones.
 */
function plan(put: readonly QueueEntry[], remove: readonly string[], seen: Seen, chunkOf: Map<string, string>, live: Map<string, number>) {
  const ops: Op[] = [];
  for (let start = 0, end = 0; start < put.length; start = end) {
    for (let bytes = 0; end < put.length && (end === start || bytes + put[end]!.bytes <= CHUNK_BYTES); end++) bytes += put[end]!.bytes;
    const chunk = put.slice(start, end);
    const key = chunk[0]!.id;
    ops.push([encode(chunk), key]);
    seen.set(key, chunk);
    live.set(key, chunk.length);
    for (const entry of chunk) chunkOf.set(entry.id, key);
  }
  const gone = new Map<string, string[]>();
  for (const id of remove) {
    const key = chunkOf.get(id);
    chunkOf.delete(id);
    if (key) (gone.get(key) ?? gone.set(key, []).get(key)!).push(id);
  }
  for (const [key, ids] of gone) live.set(key, live.get(key)! - ids.length);
  for (const [key, count] of live) {
    if (count < 1) {
      // The chunk and its tombstones: `<key> …` sorts between `<key>` and `<key>!`.
      ops.push([IDBKeyRange.bound(key, `${key}!`)]);
      live.delete(key);
      for (const record of seen.keys()) if (record.startsWith(key)) seen.delete(record);
    } else if (gone.has(key)) {
      const tomb = `${key} ${Math.random()}`;
      ops.push([gone.get(key)!.join('\n'), tomb]);
      seen.set(tomb, gone.get(key)!);
    }
  }
  return ops;
}

/** A record to put, `[text, key]`, or a key range to delete, `[range]`. */
type Op = [string, string] | [IDBKeyRange];

/** Aborts a transaction that may have finished already (then there is nothing to abort). */
function abort(tx: IDBTransaction) {
  try {
    tx.abort();
  } catch {}
}

/** localStorage may be missing, full or forbidden (storage partitioning, private modes): never fatal here. */
function storage(fn: () => void) {
  try {
    fn();
  } catch {}
}
