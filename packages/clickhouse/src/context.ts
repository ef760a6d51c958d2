import type { Keyring, RateLimiter } from '@trailmark/node-http';
import type { EventLog } from './event-log.js';
import type { RecentIds } from './recent-ids.js';
import type { ChStore } from './store.js';

/** What the routes of one node need: built once by `createNode()`. */
export interface NodeContext {
  keys: Keyring;
  limiter: RateLimiter;
  /** The log (ingest nodes) and the store (every node reads it). */
  log: EventLog | undefined;
  store: ChStore;
  /** The ids this node published lately, by site: answered as stored before the loaders have loaded them. */
  recent: RecentIds;
  /** The time-zone → country lookup the visits of each request are computed with (built once per node). */
  country: (timezone: unknown) => string | null;
  maxEventAgeMs: number;
  retryAfterSeconds: number;
  clock: () => number;
  counters: { accepted: number; duplicates: number; rejected: number; logErrors: number; storeErrors: number };
  say: (line: string) => void;
}
