/** A bounded number of places, taken in arrival order, each waiting at most a given time for its turn. */
export interface Slots {
  /** Resolves to the function that gives the place back, or undefined when none came free in `waitMs` or the line is full. */
  take(waitMs: number): Promise<(() => void) | undefined>;
  /** Places taken now. */
  readonly busy: number;
  /** Callers waiting for a place now. */
  readonly waiting: number;
}

/**
 * `size` places at once, at most `maxWaiting` callers in line behind them. The stats requests of pg-ingest and of the
 * ClickHouse backend go through one of these, so however many a client fires at once, only `size` of them hold a
 * database connection (PostgreSQL: the rest of the pool stays free for ingest) or sit in a single queue (PGlite's;
 * chDB's parameterized queries): an ingest statement waits behind one stats query at most, not behind every one
 * fired before it.
 */
export function createSlots(size: number, maxWaiting: number): Slots {
  let busy = 0;
  const line: Array<(release: (() => void) | undefined) => void> = [];
  const release = () => {
    const next = line.shift();
    if (next) next(once());
    else busy--;
  };
  // Each place is given back once, however often its release is called.
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    take(waitMs) {
      if (busy < size) {
        busy++;
        return Promise.resolve(once());
      }
      if (line.length >= maxWaiting) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const waiter = (handed: (() => void) | undefined) => {
          clearTimeout(timer);
          resolve(handed);
        };
        const timer = setTimeout(() => {
          const at = line.indexOf(waiter);
          if (at >= 0) line.splice(at, 1);
          resolve(undefined);
        }, waitMs);
        line.push(waiter);
      });
    },
    get busy() {
      return busy;
    },
    get waiting() {
      return line.length;
    },
  };
}
