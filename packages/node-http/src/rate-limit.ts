/** Options of `createRateLimiter()`. */
export interface RateLimitOptions {
  /** Requests per second refilled into each key's bucket; 0 turns limiting off. */
  perSecond: number;
  /** Bucket size: how many requests a key may send at once. */
  burst: number;
  clock?: () => number;
}

/** The outcome of taking a token. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Per-key token buckets. */
export interface RateLimiter {
  take(key: string): RateDecision;
  reset(): void;
}

/**
 * A token bucket per key. Only known keys reach it (unknown keys get 401 first), so the map is bounded
 * by the configured sites and cannot be grown by a client.
 */
export function createRateLimiter({ perSecond, burst, clock = Date.now }: RateLimitOptions): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      if (perSecond <= 0) return { ok: true };
      const now = clock();
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
    },
    reset() {
      buckets.clear();
    },
  };
}
