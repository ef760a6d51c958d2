import type { Keyring, RateLimiter, Slots } from '@trailmark/node-http';
import type { IpMode } from './client-ip.js';
import type { Db } from './db.js';
import type { Gate } from './rate-limit.js';
import type { PgStatsBudget } from './stats-budget.js';
import type { InsertStrategy } from './store.js';

/** What every route needs: built once by `createIngest()`, plain data and a few services. */
export interface IngestContext {
  db: Db;
  keys: Keyring;
  limiter: RateLimiter;
  gate: Gate;
  ipMode: IpMode;
  /** Header a trusted reverse proxy sets with the client address (e.g. `x-forwarded-for`). */
  trustProxyHeader: string | undefined;
  insertStrategy: InsertStrategy;
  /** The oldest event a request may carry (protocol default: 7 days). */
  maxEventAgeMs: number;
  /** `Retry-After` seconds of a 503 when the database is unreachable. */
  retryAfterSeconds: number;
  clock: () => number;
  counters: { accepted: number; duplicates: number; rejected: number; storageErrors: number; overloaded: number };
  /** What one stats request may cost, and the places stats requests take turns for (issue 27). */
  stats: { budget: PgStatsBudget; slots: Slots };
  log: (line: string) => void;
}

/** What a runtime passes beside the request: the socket peer, directly or as @hono/node-server's `incoming`. */
export interface RequestEnv {
  remoteAddress?: string | undefined;
  incoming?: { socket?: { remoteAddress?: string | undefined } };
}
