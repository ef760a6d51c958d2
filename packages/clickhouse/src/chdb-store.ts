import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  anyRows,
  bulkInsertSettings,
  type ChStore,
  dedupSettings,
  insertInto,
  joinJsonArrays,
  jsonEachRow,
  jsonInsertSettings,
  parseJsonEachRow,
  storeCall,
} from './store.js';

/** The chDB release this backend is tested with (its library embeds ClickHouse 26.x, ~570 MB). */
export const CHDB_VERSION = '3.4.0';

interface ChdbSession {
  queryAsync(query: string, opts?: { format?: string }): Promise<{ text(): string }>;
  queryBindAsync(query: string, params: object, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(params: {
    table: string;
    values: Buffer;
    format: 'JSONEachRow' | 'TabSeparated';
    columns?: string[];
    settings?: Record<string, string | number>;
  }): Promise<unknown>;
  close(): void;
}
interface ChdbModule {
  Session: new (path?: string, opts?: { connectionArgs?: readonly string[] }) => ChdbSession & { path: string };
}

/**
 * Where chDB is looked for: the normal module resolution (a user who ran `npm install chdb`), then the folder
 * `scripts/install-chdb.mjs` installs it into (`TRAILMARK_CHDB_DIR`, default `.cache/chdb` of the working
 * directory), so the workspace's own `npm install` stays light for everyone who never uses this backend.
 */
export function chdbDir(): string {
  return resolve(process.env.TRAILMARK_CHDB_DIR ?? join(process.cwd(), '.cache', 'chdb'));
}

/** Loads the chDB module, or throws naming how to install it. */
export function loadChdb(): ChdbModule {
  const attempts = [import.meta.url, join(chdbDir(), 'package.json')];
  for (const from of attempts) {
    try {
      return createRequire(from)('chdb') as ChdbModule;
    } catch {
      // Not installed there; the next place is tried, and the error below names them all.
    }
  }
  throw new Error(
    `chDB is not installed: run \`node packages/clickhouse/scripts/install-chdb.mjs\` (installs chdb@${CHDB_VERSION} into ${chdbDir()}) or \`npm install chdb@${CHDB_VERSION}\`, or set CLICKHOUSE_URL to a ClickHouse server`,
  );
}

/** Whether chDB can be loaded here. */
export function chdbAvailable(): boolean {
  try {
    loadChdb();
    return true;
  } catch {
    return false;
  }
}

/** Where the files of binary inserts are written: memory where the system offers a folder of it. */
const SCRATCH_ROOT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Writes `chunks` one after another into a new file, from their own memory (no joined copy). */
async function writeChunks(file: string, chunks: readonly Uint8Array[]): Promise<void> {
  const handle = await open(file, 'w');
  try {
    // A few hundred buffers a call (the system's limit of one writev is 1,024), each call written whole.
    for (let at = 0; at < chunks.length; at += 256) {
      const some = chunks.slice(at, at + 256);
      let left = some.reduce((n, chunk) => n + chunk.byteLength, 0);
      let { bytesWritten } = await handle.writev(some as Uint8Array[]);
      left -= bytesWritten;
      // A short write: the rest of these buffers, from where it stopped.
      for (const chunk of some) {
        if (left === 0) break;
        if (bytesWritten >= chunk.byteLength) {
          bytesWritten -= chunk.byteLength;
          continue;
        }
        let rest = chunk.subarray(bytesWritten);
        bytesWritten = 0;
        while (rest.byteLength > 0) {
          const wrote = (await handle.write(rest)).bytesWritten;
          rest = rest.subarray(wrote);
          left -= wrote;
        }
      }
    }
  } finally {
    await handle.close();
  }
}

/** A string as a ClickHouse literal. */
const quoted = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** `SETTINGS k = v, …` of an INSERT … SELECT. */
const settingsClause = (settings: Record<string, string | number>): string =>
  `SETTINGS ${Object.entries(settings)
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : quoted(value)}`)
    .join(', ')}`;

/**
 * ClickHouse embedded in this process (chDB), its data in `dataDir` (a temporary folder when omitted). libchdb binds
 * one data directory per process: every loader, ingest node and reader of that directory must be in this process,
 * or reach it through `serveStore` (see docs/backends/clickhouse.md).
 */
export function openChdbStore(dataDir?: string): ChStore {
  const { Session } = loadChdb();
  const connectionArgs = ['--async_load_databases=0', '--async_load_system_database=0'];
  // Connections to the one data directory (libchdb runs the queries of a connection one at a time, and lets
  // connections to the same directory run side by side): `bound` runs the queries with parameters (the panels, the
  // loader's and the SDK check's look-ups), `plain` the inserts and the queries without parameters (the health
  // check's `SELECT 1`, the read planner's look at system.parts). So an insert or a health check never waits behind
  // a long stats query. chDB's binding also runs every parameterized query of the process one after another
  // (libchdb binds parameters process-wide): a loader's look-up waits behind at most the stats queries in flight,
  // each bounded by its budget (`ChStatsBudget`).
  const plain = new Session(dataDir ? resolve(dataDir) : undefined, { connectionArgs });
  const bound = new Session(plain.path, { connectionArgs });
  // A third connection for bulk inserts, so a loader's two batches loading at once (`parallelLoads`) insert side by
  // side: each insert takes whichever of `plain` and this one has fewer in flight.
  const spare = new Session(plain.path, { connectionArgs });
  const inserters = [
    { session: plain, busy: 0 },
    { session: spare, busy: 0 },
  ];
  const inserting = async <T>(work: (session: ChdbSession) => Promise<T>): Promise<T> => {
    const [a, b] = inserters as [(typeof inserters)[0], (typeof inserters)[0]];
    const inserter = b.busy < a.busy ? b : a;
    inserter.busy++;
    try {
      return await work(inserter.session);
    } finally {
      inserter.busy--;
    }
  };
  let closed = false;
  const run = (sql: string, params: Record<string, unknown>) =>
    Object.keys(params).length === 0
      ? plain.queryAsync(sql, { format: 'JSONEachRow' })
      : bound.queryBindAsync(sql, params, { format: 'JSONEachRow' });
  return {
    kind: 'chdb',
    query: <T>(sql: string, params: Record<string, unknown> = {}) =>
      storeCall('chdb query', async () => parseJsonEachRow<T>((await run(sql, params)).text())),
    command: (sql, params = {}) =>
      storeCall('chdb command', async () => {
        await run(sql, params);
      }),
    insert: (table, rows, dedupToken) =>
      storeCall(`chdb insert into ${table}`, async () => {
        if (rows.length === 0) return;
        await plain.insert({
          table,
          values: Buffer.from(jsonEachRow(rows)),
          format: 'JSONEachRow',
          settings: dedupSettings(dedupToken),
        });
      }),
    insertJsonArrays: (table, arrays, dedupToken) =>
      storeCall(`chdb insert into ${table}`, async () => {
        if (!arrays.some((array) => array.byteLength > 2)) return;
        await plain.insert({ table, values: joinJsonArrays(arrays), format: 'JSONEachRow', settings: jsonInsertSettings(dedupToken) });
      }),
    insertRows: (table, columns, format, chunks, dedupToken) =>
      storeCall(`chdb insert into ${table}`, async () => {
        if (!anyRows(chunks)) return;
        // Rows go through a file of their own, read by ClickHouse's `file()` in the types of the columns inserted
        // into: chDB's insert takes text formats only, and takes them as one buffer, which joining a batch's
        // messages into costs more than the file (Buffer.concat of 45 MB of rows, about 100,000 events, took 250
        // CPU-ms, most of it faulting in the new buffer's pages; written straight from the messages' bytes 15-95).
        // A file of its own (any number of stores in a process), removed once inserted: no folder of them, which a
        // killed process would leave behind.
        const file = join(SCRATCH_ROOT, `trailmark-chdb-rows-${randomUUID()}.bin`);
        try {
          await writeChunks(file, chunks);
          await inserting((session) =>
            session.queryAsync(
              `${insertInto(table, columns)} ${settingsClause(bulkInsertSettings(dedupToken))} SELECT * FROM file(${quoted(file)}, ${format})`,
            ),
          );
        } finally {
          await rm(file, { force: true });
        }
      }),
    async close() {
      if (closed) return;
      closed = true;
      // The other connections first: closing the first removes a temporary data directory.
      spare.close();
      bound.close();
      plain.close();
    },
  };
}
