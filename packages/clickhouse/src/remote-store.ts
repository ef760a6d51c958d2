import { createServer, type Server } from 'node:http';
import { anyRows, type ChStore, joinJsonArrays, type RowFormat, StoreError, storeCall } from './store.js';

/** One call of the store protocol between processes. */
type Call =
  | { op: 'query'; sql: string; params?: Record<string, unknown> }
  | { op: 'command'; sql: string; params?: Record<string, unknown> }
  | { op: 'insert'; table: string; rows: object[]; token?: string }
  | { op: 'insertJson'; table: string; json: string; token?: string }
  /** `rows`: the rows' bytes in base64 (binary rows too). */
  | { op: 'insertRows'; table: string; columns: string[]; format: RowFormat; rows: string; token?: string };

/** A store served to other processes of this machine. */
export interface ServedStore {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `store` (an embedded chDB) to the other processes of one machine on 127.0.0.1: libchdb binds a data
 * directory to one process, so when loaders, ingest nodes and readers run as separate processes (the cluster
 * test kills them one by one), one process owns chDB and the rest call it here. A ClickHouse server needs none
 * of this: every process then talks to it directly (`CLICKHOUSE_URL`).
 */
export async function serveStore(store: ChStore, port = 0): Promise<ServedStore> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      let call: Call;
      try {
        call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call;
      } catch {
        answer(400, { error: 'the body must be a JSON store call' });
        return;
      }
      try {
        if (call.op === 'query') answer(200, { rows: await store.query(call.sql, call.params) });
        else if (call.op === 'command') {
          await store.command(call.sql, call.params);
          answer(200, { ok: true });
        } else if (call.op === 'insert') {
          await store.insert(call.table, call.rows, call.token);
          answer(200, { ok: true });
        } else if (call.op === 'insertJson') {
          await store.insertJsonArrays(call.table, [Buffer.from(call.json)], call.token);
          answer(200, { ok: true });
        } else if (call.op === 'insertRows') {
          // The format goes into the statement: one of the two, nothing else.
          if (call.format !== 'RowBinary' && call.format !== 'TabSeparated') return answer(400, { error: 'unknown row format' });
          await store.insertRows(call.table, call.columns, call.format, [Buffer.from(call.rows, 'base64')], call.token);
          answer(200, { ok: true });
        } else answer(400, { error: 'unknown op' });
      } catch (error) {
        answer(503, { error: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A store served by `serveStore` in another process. */
export function openRemoteStore(url: string): ChStore {
  const call = async (body: Call): Promise<{ rows?: unknown[] }> => {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    const answer = (await response.json()) as { rows?: unknown[]; error?: string };
    if (!response.ok) throw new StoreError(answer.error ?? `store answered ${response.status}`);
    return answer;
  };
  return {
    kind: 'remote',
    query: <T>(sql: string, params?: Record<string, unknown>) =>
      storeCall('remote query', async () => ((await call({ op: 'query', sql, ...(params ? { params } : {}) })).rows ?? []) as T[]),
    command: (sql, params) =>
      storeCall('remote command', async () => {
        await call({ op: 'command', sql, ...(params ? { params } : {}) });
      }),
    insert: (table, rows, token) =>
      storeCall(`remote insert into ${table}`, async () => {
        if (rows.length > 0) await call({ op: 'insert', table, rows: rows as object[], ...(token ? { token } : {}) });
      }),
    insertJsonArrays: (table, arrays, token) =>
      storeCall(`remote insert into ${table}`, async () => {
        if (!arrays.some((array) => array.byteLength > 2)) return;
        await call({ op: 'insertJson', table, json: joinJsonArrays(arrays).toString('utf8'), ...(token ? { token } : {}) });
      }),
    insertRows: (table, columns, format, chunks, token) =>
      storeCall(`remote insert into ${table}`, async () => {
        if (!anyRows(chunks)) return;
        const rows = Buffer.concat(chunks).toString('base64');
        await call({ op: 'insertRows', table, columns: [...columns], format, rows, ...(token ? { token } : {}) });
      }),
    close: async () => undefined,
  };
}
