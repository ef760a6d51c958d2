/**
 * What the backend needs of ClickHouse, whichever one answers: embedded chDB in this process, a ClickHouse server
 * over HTTP, or a chDB that another process owns (`serveStore`). One SQL dialect for all three; parameters are
 * ClickHouse's server-side `{name:Type}` bindings, never spliced into the text.
 */
export interface ChStore {
  readonly kind: 'chdb' | 'clickhouse' | 'remote';
  /** Rows of a SELECT (JSONEachRow). 64-bit integers may arrive as strings: read them with `Number()`. */
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** A statement without rows (DDL, ALTER …). */
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  /**
   * Inserts rows as JSONEachRow in one INSERT. `dedupToken` is ClickHouse's `insert_deduplication_token`: the same
   * token again within the table's deduplication window stores nothing.
   */
  insert(table: string, rows: readonly object[], dedupToken?: string): Promise<void>;
  /**
   * Inserts JSON arrays of rows (each the bytes of one `[{…},{…}]`, as a log message carries them) in one INSERT,
   * without parsing them here; an object where the table has a String column is stored as its JSON text.
   */
  insertJsonArrays(table: string, arrays: readonly Uint8Array[], dedupToken?: string): Promise<void>;
  /**
   * Inserts rows in `format` (each chunk whole rows, as a log message carries them) into `columns` in one INSERT,
   * without parsing them here.
   */
  insertRows(
    table: string,
    columns: readonly string[],
    format: RowFormat,
    chunks: readonly Uint8Array[],
    dedupToken?: string,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * The formats a loader inserts rows in as they come: `RowBinary` (a log message's `events` rows: values as their
 * bytes, nothing to parse) and `TabSeparated` (the `visits` rows, and the `events` rows of older messages).
 */
export type RowFormat = 'RowBinary' | 'TabSeparated';

/** ClickHouse could not answer (down, failing, timed out): the caller answers 503 or retries; nothing was acked. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** Runs `work`, turning any failure into a `StoreError` naming `what`. */
export async function storeCall<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`${what} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** JSONEachRow text of rows. */
export const jsonEachRow = (rows: readonly object[]): string => rows.map((row) => JSON.stringify(row)).join('\n');

/** One JSON array of the rows of several (`[a,b]` and `[c]` make `[a,b,c]`), as bytes, copying each once. */
export function joinJsonArrays(arrays: readonly Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const array of arrays) {
    // `[]` adds nothing.
    if (array.byteLength > 2) parts.push(parts.length === 0 ? OPEN : COMMA, array.subarray(1, array.byteLength - 1));
  }
  if (parts.length === 0) parts.push(OPEN);
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/**
 * Settings of every bulk insert (a loader's batch), chosen for the CPU an event costs, which is what sizes loaders:
 * - `input_format_parallel_parsing: 0`: ClickHouse otherwise cuts the rows into segments parsed by a pool of threads
 *   and puts them back in order, which costs more CPU than it saves time once the cores are busy anyway (the loader
 *   receiving the next batch, the log, other loaders);
 * - `optimize_on_insert: 0`: otherwise each inserted block is merged as `ReplacingMergeTree` would merge it (sorted
 *   rows compared key by key for repeats). A batch's rows repeat no key but by a redelivery, and repeats are
 *   collapsed by the table's merges and by every query that counts rows (`FINAL`) whatever an insert does.
 * Measured into embedded chDB, 100,000 events in 250-message inserts: the `events` insert 12.9 → 9.6 CPU-µs an event
 * with migration 12 (median of 3 alternating runs, load average 13-16).
 */
export const BULK_INSERT_SETTINGS: Readonly<Record<string, number>> = { input_format_parallel_parsing: 0, optimize_on_insert: 0 };

/** The setting of an insert's deduplication token: none without one. */
export const dedupSettings = (dedupToken?: string): Record<string, string> =>
  dedupToken ? { insert_deduplication_token: dedupToken } : {};

/** `BULK_INSERT_SETTINGS` and the deduplication token of one insert. */
export const bulkInsertSettings = (dedupToken?: string): Record<string, string | number> => ({
  ...BULK_INSERT_SETTINGS,
  ...dedupSettings(dedupToken),
});

/** Settings of an insert of JSON rows: objects into String columns as their text, and the bulk insert's settings. */
export const jsonInsertSettings = (dedupToken?: string): Record<string, string | number> => ({
  input_format_json_read_objects_as_strings: 1,
  ...bulkInsertSettings(dedupToken),
});

/** `INSERT INTO table (columns)` of `insertRows`, its table and columns checked as identifiers. */
export function insertInto(table: string, columns: readonly string[]): string {
  for (const name of [table, ...columns]) if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new StoreError(`not an identifier: ${name}`);
  return `INSERT INTO ${table} (${columns.join(', ')})`;
}

/** Whether chunks of rows hold any. */
export const anyRows = (chunks: readonly Uint8Array[]): boolean => chunks.some((chunk) => chunk.byteLength > 0);

/** Parses JSONEachRow text. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') rows.push(JSON.parse(line) as T);
  return rows;
}
