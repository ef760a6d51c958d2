import { Readable } from 'node:stream';
import { createClient } from '@clickhouse/client';
import {
  anyRows,
  bulkInsertSettings,
  type ChStore,
  dedupSettings,
  insertInto,
  joinJsonArrays,
  jsonInsertSettings,
  storeCall,
} from './store.js';

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
          clickhouse_settings: dedupSettings(dedupToken),
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
    insertRows: (table, columns, format, chunks, dedupToken) =>
      storeCall(`clickhouse insert into ${table}`, async () => {
        if (!anyRows(chunks)) return;
        // The rows are the request's body after the statement, as they are (binary ones too).
        const result = await client.exec({
          query: `${insertInto(table, columns)} FORMAT ${format}`,
          values: Readable.from([Buffer.concat(chunks)]),
          clickhouse_settings: bulkInsertSettings(dedupToken),
        });
        result.stream.resume();
      }),
    close: () => client.close(),
  };
}
