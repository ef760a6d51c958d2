import { createStore, entries, promisifyRequest, type UseStore } from 'idb-keyval';
import { createFlushLock } from '../lock.js';
import type { QueueEntry, QueueStore } from './store.js';

/** Options of `indexedDbQueue()`. */
export interface IndexedDbQueueOptions {
  /** Database name (default `trailmark`); a store of its own, never idb-keyval's default one. */
  dbName?: string;
  storeName?: string;
}

// A chunk holds at most this many bytes of events: about one batch, so an acknowledged batch usually
// deletes whole chunks instead of rewriting them.
const CHUNK_BYTES = 60 * 1024;

/** One line per entry: id, priority, time, JSON body. Event JSON never holds a raw newline. */
const encode = (chunk: readonly QueueEntry[]) => chunk.map((e) => `${e.id}\t${e.priority}\t${e.ts}\t${e.body}`).join('\n');
const decode = (text: string): QueueEntry[] =>
  text.split('\n').map((line) => {
    const [id = '', priority, ts] = line.split('\t', 3);
    const body = line.slice(id.length + priority!.length + ts!.length + 3);
    return { id, priority: Number(priority), ts: Number(ts), body, bytes: /[^ -~]/.test(body) ? new Blob([body]).size : body.length };
  });

/**
 * A queue store in IndexedDB (through idb-keyval): events outlive reloads, crashes and closed tabs,
 * and every tab of the origin shares them. The connection opens on first use, so importing or creating
 * it touches nothing; failures reject, and the queue above reopens once and then falls back to memory.
 *
 * IndexedDB's cost is per record and per cloned object, so each write stores its entries as a few
 * records of one string each (a burst of 1000 events is a handful of string copies, not 1000 clones).
 * Removing part of a chunk rewrites it inside the same transaction (read, filter, put), so tabs never
 * resurrect or lose each other's entries.
 */
export function indexedDbQueue(options: IndexedDbQueueOptions = {}): QueueStore {
  const { dbName = 'trailmark', storeName = 'queue' } = options;
  let store: UseStore | undefined;
  /** Which chunk holds each entry this tab has written or loaded, and each chunk's entries. */
  const chunkOf = new Map<string, string>();
  const members = new Map<string, Set<string>>();
  const remember = (key: string, chunk: readonly QueueEntry[]) => {
    members.set(key, new Set(chunk.map((entry) => entry.id)));
    for (const entry of chunk) chunkOf.set(entry.id, key);
  };
  const use = (): UseStore => {
    store ??= createStore(dbName, storeName);
    return store;
  };
  return {
    shared: true,
    async load() {
      const all: QueueEntry[] = [];
      chunkOf.clear();
      members.clear();
      for (const [key, text] of await entries<string, string>(use())) {
        const chunk = decode(text);
        remember(key, chunk);
        all.push(...chunk);
      }
      return all;
    },
    write: (put, remove) =>
      use()('readwrite', (objectStore) => {
        for (let start = 0; start < put.length; ) {
          let end = start;
          for (let bytes = 0; end < put.length && (end === start || bytes + put[end]!.bytes <= CHUNK_BYTES); end++)
            bytes += put[end]!.bytes;
          const chunk = put.slice(start, end);
          objectStore.put(encode(chunk), chunk[0]!.id);
          remember(chunk[0]!.id, chunk);
          start = end;
        }
        const touched = new Map<string, Set<string>>();
        for (const id of remove) {
          const key = chunkOf.get(id);
          chunkOf.delete(id);
          if (key === undefined) continue;
          touched.set(key, (touched.get(key) ?? new Set()).add(id));
        }
        for (const [key, ids] of touched) {
          const known = members.get(key);
          for (const id of ids) known?.delete(id);
          if (known?.size === 0) {
            members.delete(key);
            objectStore.delete(key);
            continue;
          }
          const request = objectStore.get(key);
          request.onsuccess = () => {
            const rest = typeof request.result === 'string' ? decode(request.result).filter((entry) => !ids.has(entry.id)) : [];
            if (rest.length > 0) objectStore.put(encode(rest), key);
            else objectStore.delete(key);
          };
        }
        return promisifyRequest(objectStore.transaction);
      }),
    clear: () =>
      use()('readwrite', (objectStore) => {
        objectStore.clear();
        chunkOf.clear();
        members.clear();
        return promisifyRequest(objectStore.transaction);
      }),
    reset() {
      store = undefined;
    },
    lock: (name) => createFlushLock(`trailmark:${dbName}:${name}`),
  };
}
