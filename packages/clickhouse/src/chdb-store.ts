import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { type ChStore, joinJsonArrays, jsonEachRow, jsonInsertSettings, parseJsonEachRow, storeCall } from './store.js';

/** The chDB release this backend is tested with (its library embeds ClickHouse 26.x, ~570 MB). */
export const CHDB_VERSION = '3.4.0';

interface ChdbSession {
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
  Session: new (path?: string, opts?: { connectionArgs?: readonly string[] }) => ChdbSession;
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

/**
 * ClickHouse embedded in this process (chDB), its data in `dataDir` (a temporary folder when omitted). libchdb binds
 * one data directory per process: every loader, ingest node and reader of that directory must be in this process,
 * or reach it through `serveStore` (see docs/backends/clickhouse.md).
 */
export function openChdbStore(dataDir?: string): ChStore {
  const { Session } = loadChdb();
  const session = new Session(dataDir ? resolve(dataDir) : undefined, {
    connectionArgs: ['--async_load_databases=0', '--async_load_system_database=0'],
  });
  let closed = false;
  return {
    kind: 'chdb',
    query: <T>(sql: string, params: Record<string, unknown> = {}) =>
      storeCall('chdb query', async () =>
        parseJsonEachRow<T>((await session.queryBindAsync(sql, params, { format: 'JSONEachRow' })).text()),
      ),
    command: (sql, params = {}) =>
      storeCall('chdb command', async () => {
        await session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
      }),
    insert: (table, rows, dedupToken) =>
      storeCall(`chdb insert into ${table}`, async () => {
        if (rows.length === 0) return;
        await session.insert({
          table,
          values: Buffer.from(jsonEachRow(rows)),
          format: 'JSONEachRow',
          ...(dedupToken ? { settings: { insert_deduplication_token: dedupToken } } : {}),
        });
      }),
    insertJsonArrays: (table, arrays, dedupToken) =>
      storeCall(`chdb insert into ${table}`, async () => {
        if (!arrays.some((array) => array.byteLength > 2)) return;
        await session.insert({ table, values: joinJsonArrays(arrays), format: 'JSONEachRow', settings: jsonInsertSettings(dedupToken) });
      }),
    insertTsv: (table, columns, chunks, dedupToken) =>
      storeCall(`chdb insert into ${table}`, async () => {
        if (!chunks.some((chunk) => chunk.byteLength > 0)) return;
        await session.insert({
          table,
          columns: [...columns],
          values: Buffer.concat(chunks),
          format: 'TabSeparated',
          ...(dedupToken ? { settings: { insert_deduplication_token: dedupToken } } : {}),
        });
      }),
    async close() {
      if (closed) return;
      closed = true;
      session.close();
    },
  };
}
