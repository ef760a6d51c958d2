import { createClient } from '@clickhouse/client';
import { bulkInsertSettings, type ChStore, joinJsonArrays, jsonInsertSettings, storeCall, tsvInsertStatement } from './store.js';

/** A ClickHouse server (or ClickHouse Cloud) over HTTP: `url` like `http://user:password@host:8123/database`. */
export function openHttpStore(url: string): ChStore {
  const client = createClient({
    url,
    request_timeout: 30_000,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return {
    kind: 'clickhouse',
    query: <T>(sql: string, params: Record<string, unknown> = {}) =>
      storeCall('clickhouse query', async () => {
        const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
        return (await result.json()) as T[];
      }),
    command: (sql, params = {}) =>
      storeCall('clickhouse command', async () => {
        await client.command({ query: sql, query_params: params });
      }),
    insert: (table, rows, dedupToken) =>
      storeCall(`clickhouse insert into ${table}`, async () => {
        if (rows.length === 0) return;
        await client.insert({
          table,
          values: rows as object[],
          format: 'JSONEachRow',
          ...(dedupToken ? { clickhouse_settings: { insert_deduplication_token: dedupToken } } : {}),
        });
      }),
    insertJsonArrays: (table, arrays, dedupToken) =>
      storeCall(`clickhouse insert into ${table}`, async () => {
        if (!arrays.some((array) => array.byteLength > 2)) return;
        // The rows follow the statement in the request's body, as they are: the client never parses them.
        await client.command({
          query: `INSERT INTO ${table} FORMAT JSONEachRow ${joinJsonArrays(arrays).toString('utf8')}`,
          clickhouse_settings: jsonInsertSettings(dedupToken),
        });
      }),
    insertTsv: (table, columns, chunks, dedupToken) =>
      storeCall(`clickhouse insert into ${table}`, async () => {
        if (!chunks.some((chunk) => chunk.byteLength > 0)) return;
        // The rows follow the statement in the request's body, as they are.
        await client.command({
          query: `${tsvInsertStatement(table, columns)}\n${Buffer.concat(chunks).toString('utf8')}`,
          clickhouse_settings: bulkInsertSettings(dedupToken),
        });
      }),
    close: () => client.close(),
  };
}
