import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqlStatement } from '@trailmark/protocol';
import { StorageError } from './errors.js';

type Rows = Array<Record<string, unknown>>;

/**
 * Read-only connections to a file database on worker threads, for the stats panels: better-sqlite3 answers on the
 * thread that calls it, so on the main thread the dashboard's first screen (eighteen requests at once) queued behind
 * one another and behind ingest. In WAL mode each reader sees the last committed transaction and never blocks the
 * writer; with one reader per core the panels run side by side.
 */
export interface ReadPool {
  /** The rows of one statement, read on the least busy thread; rejects with a `StorageError` when SQLite fails. */
  rows(statement: SqlStatement): Promise<Rows>;
  close(): void;
}

/** Options of `createReadPool()`. */
export interface ReadPoolOptions {
  /** The database file (a WAL database another connection writes). */
  location: string;
  /** Reader threads. */
  threads: number;
  /** Page cache per reader, KiB (each reader has its own: the RSS counts all of them). */
  cacheKib: number;
}

// The reader, as CommonJS source (a file beside this module would not exist when its tests run the TypeScript):
// each message is one statement; prepared statements are kept per SQL text, a few dozen at most.
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.location, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -' + workerData.cacheKib);
db.pragma('temp_store = MEMORY');
const prepared = new Map();
parentPort.on('message', ({ id, sql, params }) => {
  try {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (prepared.size >= 64) prepared.delete(prepared.keys().next().value);
      prepared.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.all(...params) });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

interface Reader {
  worker: Worker;
  busy: number;
}

/** Starts `threads` readers of `location`. */
export function createReadPool({ location, threads, cacheKib }: ReadPoolOptions): ReadPool {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const waiting = new Map<number, { resolve: (rows: Rows) => void; reject: (error: Error) => void; reader: Reader }>();
  let nextId = 0;
  let closed = false;
  const fail = (reader: Reader, message: string) => {
    for (const [id, call] of waiting) {
      if (call.reader !== reader) continue;
      waiting.delete(id);
      call.reject(storageError(message));
    }
  };
  const start = (): Reader => {
    const worker = new Worker(READER, { eval: true, workerData: { driver, location, cacheKib } });
    // Readers never keep the process alive; the store's close() ends them.
    worker.unref();
    const reader: Reader = { worker, busy: 0 };
    worker.on('message', (message: { id: number; rows?: Rows; error?: string }) => {
      const call = waiting.get(message.id);
      if (!call) return;
      waiting.delete(message.id);
      reader.busy--;
      if (message.error !== undefined) call.reject(storageError(message.error));
      else call.resolve(message.rows ?? []);
    });
    worker.on('error', (error) => fail(reader, error.message));
    worker.on('exit', (code) => {
      fail(reader, `reader thread exited (${code})`);
      // A reader that died (out of memory, a driver fault) is replaced; the calls it held were refused (503).
      if (!closed) readers[readers.indexOf(reader)] = start();
    });
    return reader;
  };
  const readers = Array.from({ length: Math.max(1, threads) }, start);
  return {
    rows({ sql, params }) {
      if (closed) return Promise.reject(storageError('the database is closed'));
      let reader = readers[0] as Reader;
      for (const candidate of readers) if (candidate.busy < reader.busy) reader = candidate;
      reader.busy++;
      const id = nextId++;
      return new Promise<Rows>((resolve, reject) => {
        waiting.set(id, { resolve, reject, reader });
        reader.worker.postMessage({ id, sql, params });
      });
    },
    close() {
      closed = true;
      for (const reader of readers) void reader.worker.terminate();
    },
  };
}

/** A reader's failure as the store's other failures are thrown (a `StorageError`: answered 503 with Retry-After). */
const storageError = (message: string) => new StorageError(`reading visit rollups failed: ${message}`);
