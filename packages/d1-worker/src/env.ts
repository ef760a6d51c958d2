/** The Worker's bindings and vars, as `wrangler.toml` (and the Miniflare setups) declare them. */
export interface Env {
  /** The D1 database with the tables of `migrations/`. */
  DB: D1Database;
  /** One `LiveVisitors` Durable Object per site. */
  LIVE: DurableObjectNamespace;
  /** `"true"` accepts unknown write keys (development only): the seed's "save regardless of key status". */
  ALLOW_UNREGISTERED_KEYS?: string;
  /** Seconds without an event after which a live visitor leaves (default 120). */
  LIVE_TIMEOUT_SECONDS?: string;
  /** Seconds a looked-up key is remembered by an isolate (default 60); revocation takes this long. */
  KEY_CACHE_SECONDS?: string;
  /** Days raw events are kept, enforced by the cron trigger (default 30, at least 8; "0" keeps them forever). */
  EVENT_RETENTION_DAYS?: string;
  /** Events one `/v1/stats` request may read (default 50,000: `D1_STATS_BUDGET`, measured); past it, a 503. */
  STATS_MAX_EVENTS?: string;
  /** Milliseconds one `/v1/stats` request may spend reading (default 10,000); past it, a 503. */
  STATS_TIME_MS?: string;
}

/** A positive number from a string var, or the fallback. */
export function numberVar(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}
