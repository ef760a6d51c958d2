import type { TrailmarkEvent } from '@trailmark/protocol';
import type { FlushLock } from './lock.js';
import type { DropReason, Queue } from './queue/queue.js';
import type { QueueEntry } from './queue/store.js';
import { backoffMs } from './retry.js';
import type { Payload, Transport, TransportResult } from './transport.js';

/** Options of `createDelivery()`. */
export interface DeliveryOptions {
  _queue: Queue;
  _transport: Transport;
  _lock: FlushLock;
  _sdk: string;
  _maxBatchEvents: number;
  /** Largest body while the page is visible, and while it hides (keepalive fetch and sendBeacon allow 64 KiB). */
  _maxBatchBytes: number;
  _maxUnloadBytes: number;
  /** Events older than this are given up (`retries_exhausted`). */
  _maxEventAgeMs: number;
  /**
   * A request's deadline (ms): with no answer by then it is aborted, its events are handed (see `Queue._hand`) and
   * the flush lock is let go. Hand-offs older than this are asked about (`Transport.confirm`) and resent if missing.
   */
  _timeoutMs: number;
  _now: () => number;
  _random: () => number;
  _onDrop: (reason: DropReason, count: number) => void;
  _onError: (error: unknown, where: string) => void;
}

/** Moves queued events to the transport and applies its answers. */
export interface Delivery {
  /**
   * Sends everything queued, one batch after another, holding the origin's flush lock.
   * Resolves true when the queue was drained, false when it stopped (retry later, lock busy).
   * `force` ignores the backoff (the browser came back online, or the host called `flush()`).
   */
  _flush(force?: boolean): Promise<boolean>;
  /**
   * At page hide: hands every waiting event to the transport now, without waiting for a lock. Events in flight in
   * ordinary requests are handed, not sent again: their request may well outlive the page (keepalive), and if it
   * does not, a later flush finds them unconfirmed and resends them. Resolves when every send has an outcome, true
   * when all were accepted (the page may live on: if not, the scheduler tries again).
   */
  _flushUnloading(): Promise<boolean>;
  /** Time (ms) before which a retry would only meet the same failure. */
  readonly _notBefore: number;
}

// Room for the envelope around the events: {"v":1,"sdk":"…","sent_at":…,"events":[…]}.
const ENVELOPE_BYTES = 128;
/** Ids asked about in one check: the protocol's `MAX_CHECK_IDS`. */
const CHECK_IDS = 500;

/** Builds the payload of a batch: the envelope is concatenated around each event's stored JSON. */
export function payloadOf(entries: readonly QueueEntry[], sdk: string, now: number): Payload {
  const events = entries.map((entry) => entry.body).join(',');
  const head = `{"v":1,"sdk":"${sdk}","sent_at":${now},"events":[`;
  let bytes = head.length + entries.length + 1;
  for (const entry of entries) bytes += entry.bytes;
  return {
    body: `${head}${events}]}`,
    bytes,
    count: entries.length,
    events: () => JSON.parse(`[${events}]`) as TrailmarkEvent[],
  };
}

/**
 * Runs `call` with a deadline of `ms`: resolves to its result, to `undefined` when the deadline passed first (the call
 * is aborted), or to `fallback` when it threw (a custom transport that throws is treated like a network failure).
 */
function withDeadline<T>(call: (signal: AbortSignal) => Promise<T>, fallback: T, ms: number, onError: DeliveryOptions['_onError']) {
  return new Promise<T | undefined>((resolve) => {
    const abort = new AbortController();
    const timer = setTimeout(() => {
      resolve(undefined);
      abort.abort();
    }, ms);
    new Promise<T>((done) => done(call(abort.signal)))
      .then(resolve, (error: unknown) => {
        onError(error, 'transport');
        resolve(fallback);
      })
      .finally(() => clearTimeout(timer));
  });
}

/**
 * Applies a final answer for `part` (accepted, refused, or too large on its own, or handed to a beacon outside page
 * hide): its events leave the queue, those refused counted. True when the server accepted it (the backoff ends).
 */
function applyAnswer(queue: Queue, part: readonly QueueEntry[], result: TransportResult, options: DeliveryOptions): boolean {
  const { _onDrop: onDrop, _onError: onError } = options;
  let dropped = 0;
  if (result.status === 'split') onDrop('too_large', 1);
  else if (result.status === 'drop') {
    dropped = part.length;
    onError(Error(result.reason), 'ingest');
  } else if (result.status === 'ok' && result.rejected?.[0]) {
    dropped = result.rejected.length;
    onError(Error(result.rejected[0].reason), 'ingest');
  }
  if (dropped) onDrop('rejected', dropped);
  // A beacon outside page hide: the browser has taken the events; kept, they would be taken and sent again at once.
  queue._settle(
    part,
    part.map((entry) => entry.id),
  );
  return result.status === 'ok';
}

/**
 * Hand-offs past the deadline (`_timeoutMs`): the server says which it has; those leave the queue, the rest are sent
 * again. False when a check had no answer: they stay handed, and `giveUp` backs off.
 */
async function confirmHanded(options: DeliveryOptions, giveUp: () => void): Promise<boolean> {
  const { _queue: queue, _transport: transport, _timeoutMs: timeoutMs } = options;
  for (let due = queue._handedBefore(options._now() - timeoutMs); due[0]; due = due.slice(CHECK_IDS)) {
    const chunk = due.slice(0, CHECK_IDS);
    const ids = chunk.map((entry) => entry.id);
    const stored =
      transport.confirm && (await withDeadline((signal) => transport.confirm!(ids, { signal }), null, timeoutMs, options._onError));
    if (stored === null) {
      // The check itself had no answer (a page that unloads cancels it): they stay handed, asked again later. Sent
      // again now, they were a whole batch of copies in a reload loop.
      queue._hand(due, 1);
      giveUp();
      return false;
    }
    queue._settle(chunk, stored ?? []);
  }
  return true;
}

/**
 * Creates the delivery loop. At-least-once: an event leaves the queue only when the transport reports it
 * accepted (or refused for good); backends store by `event_id`, so a resend is never counted twice.
 */
export function createDelivery(options: DeliveryOptions): Delivery {
  const {
    _queue: queue,
    _transport: transport,
    _lock: lock,
    _sdk: sdk,
    _maxBatchEvents: maxBatchEvents,
    _maxEventAgeMs: maxEventAgeMs,
    _now: now,
    _onDrop: onDrop,
    _onError: onError,
  } = options;
  let attempt = 0;
  let notBefore = 0;
  let running: Promise<boolean> | undefined;

  /** One backoff step per round of sends (batches failing together at page hide count once), or the server's wait. */
  const backOff = (round: number, afterMs = 0) => {
    notBefore = Math.max(notBefore, now() + Math.max(afterMs, backoffMs(round, options._random)));
    attempt = round + 1;
  };

  /** Sends a batch, halving it on 413; false when the rest must wait for a retry. */
  const deliver = async (batch: QueueEntry[], unloading: boolean, round = attempt): Promise<boolean> => {
    const parts = [batch];
    while (parts[0]) {
      const part = parts.pop()!;
      const sentAt = now();
      const result = await withDeadline<TransportResult>(
        (signal) => transport.send(payloadOf(part, sdk, sentAt), { unloading, signal }),
        { status: 'retry' },
        options._timeoutMs,
        onError,
      );
      // This part and those after it, when the rest must wait.
      const rest = [part, ...parts].flat();
      if (!result) {
        // No answer in time: the server may have it. Asked about later, resent only if missing; the lock is let go.
        queue._hand(rest, sentAt);
        backOff(round);
        return false;
      }
      const { status } = result;
      if (status === 'retry') {
        backOff(round, result.afterMs);
        // No answer (a network error): the server may have them. Handed, due at once: the next flush, this page's
        // after the backoff or the next page's, asks the server (ids only) before sending any body again, and a page
        // hide meanwhile leaves them out of the unload batch.
        if (result.unanswered) queue._hand(rest, 1);
        else queue._settle(rest, []);
        return false;
      }
      if (status === 'split' && part[1]) {
        const half = Math.ceil(part.length / 2);
        parts.push(part.slice(half), part.slice(0, half));
        continue;
      }
      if (status === 'unknown' && unloading) {
        // Handed to the browser at page hide with no answer to see: kept, and not sent again by this page.
        queue._hand(part, sentAt);
        continue;
      }
      if (applyAnswer(queue, part, result, options)) attempt = notBefore = 0;
    }
    return true;
  };

  const expire = () => {
    const expired = queue._expire(now() - maxEventAgeMs);
    if (expired) onDrop('retries_exhausted', expired);
  };
  const batches = (unloading: boolean) =>
    queue._take(maxBatchEvents, (unloading ? options._maxUnloadBytes : options._maxBatchBytes) - ENVELOPE_BYTES);

  const drain = async (): Promise<boolean> => {
    await queue._sync();
    expire();
    if (!(await confirmHanded(options, () => backOff(attempt)))) return false;
    for (;;) {
      const batch = batches(false);
      // Hand-offs not yet due keep the scheduler coming back.
      if (!batch[0]) return !queue._handed;
      if (!(await deliver(batch, false))) return false;
    }
  };

  return {
    _flush(force) {
      running ??= (async () => {
        if (!force && now() < notBefore) return false;
        await queue._persist();
        // A queue that is not shared (memory, or IndexedDB fallen back to it: a sandboxed frame, where Web Locks
        // refuse every request too) has nothing to coordinate with other tabs.
        return (await (queue._shared ? lock.run(drain) : drain())) ?? false;
      })()
        .catch((error: unknown) => {
          onError(error, 'flush');
          return false;
        })
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    _flushUnloading() {
      expire();
      // Every batch is taken before any is sent: a transport that fails at once must not free its batch to be taken again.
      const all: QueueEntry[][] = [];
      for (let batch = batches(true); batch[0]; batch = batches(true)) all.push(batch);
      // Recorded as handed before any leaves: the page may be gone before a send's outcome comes back, and the next
      // page must find them to be checked, not sent again at once. An answer that does come settles them.
      queue._handInFlight(now());
      const round = attempt;
      return Promise.all(all.map((batch) => deliver(batch, true, round))).then((done) => !done.includes(false) && !queue._handed);
    },
    get _notBefore() {
      return notBefore;
    },
  };
}
