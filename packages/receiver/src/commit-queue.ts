import type { TrailmarkEvent } from '@trailmark/protocol';
import type { EventStore, InsertOptions } from './store.js';

/** A request's place in the next group commit, taken when it starts so the commit can wait for it. */
export interface CommitTicket {
  /** Resolves with the ids newly inserted once the batch is durable; rejects (nothing stored) when storage fails. */
  submit(events: readonly TrailmarkEvent[], options: InsertOptions): Promise<Set<string>>;
  /** The request ends without storing (refused, or failed): the commit stops waiting for it. Idempotent. */
  release(): void;
}

/** Hands batches to the store, committing the batches of concurrent requests in one transaction. */
export interface CommitQueue {
  ticket(): CommitTicket;
}

interface Pending {
  events: readonly TrailmarkEvent[];
  options: InsertOptions;
  resolve: (inserted: Set<string>) => void;
  reject: (error: unknown) => void;
}

/** Options of `createCommitQueue()`. */
export interface CommitQueueOptions {
  /** Longest wait for requests still being read and validated before committing what is queued (default 2 ms). */
  maxWaitMs?: number;
  /** Most events in one transaction (default 10 000); the rest go in the next one. */
  maxEvents?: number;
}

/**
 * Group commit. A durable commit costs one fsync whatever its size, and better-sqlite3 blocks the event loop
 * while it runs, so requests arrive in bunches. Each request takes a ticket when it starts; the queue commits
 * once every open ticket has submitted or been released (or after `maxWaitMs`), so one fsync serves the whole
 * bunch. Each batch is still wholly in one transaction, and no request is answered before its commit.
 */
export function createCommitQueue(store: EventStore, { maxWaitMs = 2, maxEvents = 10_000 }: CommitQueueOptions = {}): CommitQueue {
  let queue: Pending[] = [];
  let open = 0;
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    immediate = undefined;
    if (timer) clearTimeout(timer);
    timer = undefined;
    let size = 0;
    let take = 0;
    while (take < queue.length && (take === 0 || size + (queue[take]?.events.length ?? 0) <= maxEvents)) {
      size += queue[take]?.events.length ?? 0;
      take++;
    }
    const group = queue.slice(0, take);
    queue = queue.slice(take);
    if (queue.length > 0) immediate = setImmediate(flush);
    try {
      const results = store.insertBatches(group);
      group.forEach((pending, index) => {
        pending.resolve(results[index] ?? new Set());
      });
    } catch (error) {
      if (group.length === 1) {
        group[0]?.reject(error);
        return;
      }
      // One batch must not fail its neighbours: retry each in its own transaction.
      for (const pending of group) {
        try {
          pending.resolve(store.insert(pending.events, pending.options));
        } catch (single) {
          pending.reject(single);
        }
      }
    }
  };
  // Commit now if nobody else is on the way, else within maxWaitMs at the latest.
  const schedule = () => {
    if (queue.length === 0 || immediate) return;
    if (open === 0) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      immediate = setImmediate(flush);
    } else if (!timer) {
      timer = setTimeout(flush, maxWaitMs);
    }
  };

  return {
    ticket() {
      open++;
      let done = false;
      const close = () => {
        if (done) return false;
        done = true;
        open--;
        return true;
      };
      return {
        submit(events, options) {
          close();
          if (events.length === 0) {
            schedule();
            return Promise.resolve(new Set<string>());
          }
          return new Promise((resolve, reject) => {
            queue.push({ events, options, resolve, reject });
            schedule();
          });
        },
        release() {
          if (close()) schedule();
        },
      };
    },
  };
}
