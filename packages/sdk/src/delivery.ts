import type { TrailmarkEvent } from '@trailmark/protocol';
import type { FlushLock } from './lock.js';
import type { DropReason, Queue } from './queue/queue.js';
import type { QueueEntry } from './queue/store.js';
import { backoffMs } from './retry.js';
import type { Payload, Transport, TransportResult } from './transport.js';

/** Options of `createDelivery()`. */
export interface DeliveryOptions {
  queue: Queue;
  transport: Transport;
  lock: FlushLock;
  sdk: string;
  maxBatchEvents: number;
  maxBatchBytes: number;
  /** Events older than this are given up (`retries_exhausted`). */
  maxEventAgeMs: number;
  now: () => number;
  random: () => number;
  onDrop: (reason: DropReason, count: number) => void;
  onError: (error: unknown, where: string) => void;
}

/** Moves queued events to the transport and applies its answers. */
export interface Delivery {
  /**
   * Sends everything queued, one batch after another, holding the origin's flush lock.
   * Resolves true when the queue was drained, false when it stopped (retry later, lock busy).
   * `force` ignores the backoff (the browser came back online, or the host called `flush()`).
   */
  flush(force?: boolean): Promise<boolean>;
  /** At page hide: hands every queued event to the transport now, without waiting for a lock. */
  flushUnloading(): void;
  /** Time (ms) before which a retry would only meet the same failure. */
  readonly notBefore: number;
}

// Room for the envelope around the events: {"v":1,"sdk":"…","sent_at":…,"events":[…]}.
const ENVELOPE_BYTES = 128;

/** Builds the payload of a batch: the envelope is concatenated around each event's stored JSON. */
export function payloadOf(entries: readonly QueueEntry[], sdk: string, now: number): Payload {
  const events = entries.map((entry) => entry.body).join(',');
  const head = `{"v":1,"sdk":${JSON.stringify(sdk)},"sent_at":${now},"events":[`;
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
 * Creates the delivery loop. At-least-once: an event leaves the queue only when the transport reports it
 * accepted (or refused for good); backends store by `event_id`, so a resend is never counted twice.
 */
export function createDelivery(options: DeliveryOptions): Delivery {
  const { queue, transport, lock, sdk, maxBatchEvents, maxBatchBytes, maxEventAgeMs, now, random, onDrop, onError } = options;
  let attempt = 0;
  let notBefore = 0;
  let running: Promise<boolean> | undefined;
  const limitBytes = maxBatchBytes - ENVELOPE_BYTES;

  const send = async (entries: QueueEntry[], unloading: boolean): Promise<TransportResult> => {
    try {
      return await transport.send(payloadOf(entries, sdk, now()), { unloading });
    } catch (error) {
      // A custom transport that throws is treated like a network failure.
      onError(error, 'transport');
      return { status: 'retry', reason: 'transport threw' };
    }
  };

  /** Sends a batch, halving it on 413; false when the rest must wait for a retry. */
  const deliver = async (batch: QueueEntry[], unloading: boolean): Promise<boolean> => {
    const parts = [batch];
    while (parts.length > 0) {
      const part = parts.pop()!;
      const result = await send(part, unloading);
      const ids = part.map((entry) => entry.id);
      if (result.status === 'ok' || result.status === 'unknown') {
        attempt = 0;
        const rejected = result.status === 'ok' ? (result.rejected?.length ?? 0) : 0;
        if (rejected) {
          onDrop('rejected', rejected);
          onError(new Error(`server rejected ${rejected} event(s): ${result.status === 'ok' && result.rejected?.[0]?.reason}`), 'ingest');
        }
        queue.settle(part, ids);
      } else if (result.status === 'split') {
        if (part.length === 1) {
          onDrop('too_large', 1);
          queue.settle(part, ids);
        } else {
          const half = Math.ceil(part.length / 2);
          parts.push(part.slice(half), part.slice(0, half));
        }
      } else if (result.status === 'drop') {
        onDrop('rejected', part.length);
        onError(new Error(result.reason), 'ingest');
        queue.settle(part, ids);
      } else {
        for (const rest of [part, ...parts]) queue.settle(rest, []);
        notBefore = now() + Math.max(result.afterMs ?? 0, backoffMs(attempt++, random));
        return false;
      }
    }
    return true;
  };

  const expire = () => {
    const expired = queue.expire(now() - maxEventAgeMs);
    if (expired) onDrop('retries_exhausted', expired);
  };

  const drain = async (): Promise<boolean> => {
    await queue.sync();
    expire();
    for (;;) {
      const batch = queue.take(maxBatchEvents, limitBytes);
      if (batch.length === 0) return true;
      if (!(await deliver(batch, false))) return false;
    }
  };

  return {
    flush(force = false) {
      running ??= (async () => {
        if (!force && now() < notBefore) return false;
        await queue.persist();
        return (await lock.run(drain)) ?? false;
      })()
        .catch((error: unknown) => {
          onError(error, 'flush');
          return false;
        })
        // Cleared a tick later, so a flush that ends at once cannot leave a settled promise behind.
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    flushUnloading() {
      expire();
      for (;;) {
        const batch = queue.take(maxBatchEvents, limitBytes);
        if (batch.length === 0) return;
        void deliver(batch, true);
      }
    },
    get notBefore() {
      return notBefore;
    },
  };
}
