/** A bound on requests waiting for the database at once. */
export interface Gate {
  /** Takes a place, or returns false when all are taken (the caller answers 429). */
  enter(): boolean;
  leave(): void;
  readonly inFlight: number;
}

/**
 * Overload protection: past `limit` writes in flight, new ones are refused at once with 429 instead of queueing
 * behind a database that is already saturated (the SDK backs off and retries, its events kept).
 */
export function createGate(limit: number): Gate {
  let inFlight = 0;
  return {
    enter() {
      if (limit > 0 && inFlight >= limit) return false;
      inFlight++;
      return true;
    },
    leave() {
      inFlight = Math.max(0, inFlight - 1);
    },
    get inFlight() {
      return inFlight;
    },
  };
}
