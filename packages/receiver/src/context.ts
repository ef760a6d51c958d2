import type { Keyring, RateLimiter } from '@trailmark/node-http';
import type { StatsBudget } from '@trailmark/protocol';
import type { CommitQueue } from './commit-queue.js';
import type { LiveBus } from './live-bus.js';
import type { RejectionLog } from './rejection-log.js';
import type { EventStore } from './store.js';

/** What every route needs: built once by `createReceiver()`, plain data and a few services. */
export interface ReceiverContext {
  store: EventStore;
  keys: Keyring;
  limiter: RateLimiter;
  rejections: RejectionLog;
  bus: LiveBus;
  /** Group commit (absent when turned off: one transaction per request). */
  commits?: CommitQueue;
  clock: () => number;
  /** Inspection endpoints and an open live page. */
  dev: boolean;
  /** Any origin may send (echoed back); otherwise only each site's configured origins. */
  corsAny: boolean;
  /** Run the redaction rules over stored text. */
  redact: boolean;
  /** The oldest event a request may carry (protocol default: 7 days). */
  maxEventAgeMs: number;
  /** What one `/v1/stats` request may read and spend (the protocol's `STATS_BUDGET` unless told otherwise). */
  statsBudget: StatsBudget;
  startedAt: number;
  counters: { internalErrors: number; storageErrors: number };
  log: (line: string) => void;
}
