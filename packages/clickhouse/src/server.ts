import { type HttpTimeouts, type SiteConfig, startHttpServer } from '@trailmark/node-http';
import { type ClickhouseNode, createNode } from './app.js';
import { type EventLog, type LogOptions, openEventLog } from './event-log.js';
import { type Loader, type LoaderOptions, startLoader } from './loader.js';
import { migrate } from './migrate.js';
import { freePort } from './nats-node.js';
import { openStore, type StoreLocation } from './open-store.js';
import type { ChStatsBudget } from './stats-budget.js';
import type { ChStore } from './store.js';

/** Options of `startClickhouse()`: which parts run in this process, and where the log and ClickHouse are. */
export interface StartOptions extends StoreLocation {
  sites: SiteConfig[];
  /** An open store (otherwise opened from the location, and closed by `close()`). */
  store?: ChStore;
  /** The log; required for ingest and loaders. */
  log?: LogOptions;
  /** Serve HTTP: ingest (when a log is given) and the stats read API (default true). */
  http?: boolean;
  /** Loaders run in this process (default 1 with a log, else 0). */
  loaders?: number;
  loader?: Pick<
    LoaderOptions,
    'batchMessages' | 'batchBytes' | 'parallelLoads' | 'lingerMs' | 'maxWaitMs' | 'unknownFormatRetryMs' | 'holdBeforeAckMs' | 'onBatch'
  >;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  port?: number;
  host?: string;
  timeouts?: HttpTimeouts;
  rateLimit?: { perSecond: number; burst: number };
  retryAfterSeconds?: number;
  /** What one stats request may cost (see `ChStatsBudget`). */
  statsBudget?: Partial<ChStatsBudget>;
  clock?: () => number;
  say?: (line: string) => void;
}

/** A running process of the ClickHouse backend. */
export interface RunningClickhouse {
  /** The HTTP server's URL (empty when `http: false`). */
  url: string;
  port: number;
  store: ChStore;
  log: EventLog | undefined;
  node: ClickhouseNode;
  loaders: Loader[];
  /** Waits until the loaders' consumer has nothing pending or unacked (what got a 200 is in ClickHouse). */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts what `options` asks for in this process: log connection, store, migrations, loaders, HTTP. */
export async function startClickhouse(options: StartOptions): Promise<RunningClickhouse> {
  const say = options.say ?? ((line: string) => console.error(`[trailmark-clickhouse] ${line}`));
  const ownStore = !options.store;
  const store = options.store ?? openStore(options);
  const cleanups: Array<() => Promise<void>> = [];
  if (ownStore) cleanups.push(() => store.close());
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    if (options.migrate !== false) await migrate(store);
    const log = options.log ? await openEventLog(options.log) : undefined;
    if (log) cleanups.push(() => log.close());
    const loaders: Loader[] = [];
    for (let i = 0; i < (options.loaders ?? (log ? 1 : 0)); i++) {
      if (!log) throw new Error('loaders need a log');
      const loader = startLoader({ log, store, say, ...options.loader });
      loaders.push(loader);
      cleanups.push(() => loader.stop());
    }
    const node = createNode({
      sites: options.sites,
      store,
      log,
      say,
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.retryAfterSeconds ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      ...(options.statsBudget ? { statsBudget: options.statsBudget } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    let url = '';
    let port = 0;
    if (options.http !== false) {
      const started = await startHttpServer({
        fetch: (request) => node.fetch(request),
        port: options.port ?? (process.env.TRAILMARK_PORTS ? await freePort() : 0),
        host: options.host ?? '127.0.0.1',
        ...options.timeouts,
      });
      url = started.url;
      port = started.port;
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            started.server.close(() => resolve());
            started.server.closeAllConnections();
          }),
      );
    }
    return {
      url,
      port,
      store,
      log,
      node,
      loaders,
      async settle(timeoutMs = 30_000) {
        if (!log) return;
        const until = Date.now() + timeoutMs;
        while ((await log.backlog()) > 0) {
          if (Date.now() > until) throw new Error(`the loaders did not catch up within ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
