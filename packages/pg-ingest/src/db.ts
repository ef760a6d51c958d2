import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** Something SQL runs on: the database, or one transaction of it. Parameters are `$1, $2, …`. */
export interface Queryable {
  /** Runs one statement and returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The database the ingest server talks to: a node-postgres pool, or an embedded PGlite. The same SQL runs on both. */
export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` inside one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Options of `openDatabase()`. */
export interface OpenDatabaseOptions {
  /** A PostgreSQL connection string. Without it, an embedded PGlite database is opened. */
  databaseUrl?: string | undefined;
  /** PGlite's data directory (created if missing). Without it and without `databaseUrl`: in memory. */
  dataDir?: string | undefined;
  /**
   * PGlite only, a new database: start from this copy of another one's data directory (its `dumpDataDir()`, e.g. a
   * backup) instead of an empty one, which also skips PGlite's initdb (~1.7 CPU-seconds).
   */
  loadDataDir?: Blob | undefined;
  /** PostgreSQL only: run every connection with this `search_path` (tests isolate themselves in a schema). */
  schema?: string | undefined;
  /** PostgreSQL only: pool size (default 10). */
  maxConnections?: number | undefined;
  /** PostgreSQL only: how long to wait for a connection before failing, ms (default 3000). */
  connectTimeoutMs?: number | undefined;
  /** PostgreSQL only: client-side limit on one query, ms (default 30000). */
  queryTimeoutMs?: number | undefined;
  /** Told about errors of idle pooled connections (the server went away); they must not crash the process. */
  onError?: ((error: Error) => void) | undefined;
}

/** Opens the database: `pg.Pool` when a URL is given, else PGlite in `dataDir` (or memory). */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options.dataDir, options.loadDataDir);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates (`create`) or drops with everything in it (`drop`) a PostgreSQL schema, over one connection of its own:
 * `openDatabase({ schema })` runs in a schema that must exist. Names are checked, never interpolated unchecked.
 */
export async function manageSchema(databaseUrl: string, action: 'create' | 'drop', schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(action === 'create' ? `CREATE SCHEMA IF NOT EXISTS ${schema}` : `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

function openPostgres(connectionString: string, options: OpenDatabaseOptions): Db {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client whose server goes away emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (error) => options.onError?.(error));
  const on = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, params as unknown[]);
      return result.rows as R[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });
  return {
    kind: 'postgres',
    ...on(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(on(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        // A connection that could not roll back is destroyed rather than handed to the next caller.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ?? 'memory://', loadDataDir ? { loadDataDir } : {});
  const on = (target: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query<R>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...on(db),
    // PGlite is one connection; its transaction() holds other callers until this one ends.
    transaction: (fn) => db.transaction((tx) => fn(on(tx))),
    close: () => db.close(),
  };
}
