import { MAX_BATCH_BYTES } from '@trailmark/protocol';
import type { Buffer } from './buffer.js';
import { createDelivery, type Delivery } from './delivery.js';
import { memoryQueue } from './queue/memory-queue.js';
import { createQueue, type Queue } from './queue/queue.js';
import type { Reporter } from './report.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import type { TrackerOptions } from './tracker-types.js';

/** A backoff shorter than this still counts as able to send: a burst is held for it rather than evicted. */
const SHORT_BACKOFF_MS = 5000;

/** The tracker's way out, after the buffer: the queue, the delivery loop and the scheduler deciding when it runs. */
export interface Pipeline {
  _queue: Queue;
  _delivery: Delivery;
  _scheduler: Scheduler;
}

/**
 * Builds queue → delivery → scheduler for a tracker. The tracker builds it when first needed (the first idle
 * serialisation, a flush, a page hide, a consent change), not at start: building costs 2 ms of a fresh page's
 * load. `granted` says whether consent allows storing and sending; `reportDrops` tracks the `sdk_dropped` report.
 */
export function createPipeline(
  options: TrackerOptions,
  win: Window,
  reporter: Reporter,
  buffer: Buffer,
  granted: () => boolean,
  started: number,
  reportDrops: () => void,
): Pipeline {
  const { _report: onError, _drop: onDrop } = reporter;
  const now = options.now ?? Date.now;
  const interval = options.flushInterval ?? 2000;
  const store = options.queue ?? memoryQueue();
  const queue = createQueue({
    _store: store,
    _maxEvents: options.maxQueueEvents ?? 1000,
    _maxBytes: options.maxQueueBytes ?? 2 * 1024 * 1024,
    _canSend: () => granted() && win.navigator.onLine !== false && delivery._notBefore < now() + SHORT_BACKOFF_MS,
    _onDrop: onDrop,
    _onError: onError,
  });
  const delivery = createDelivery({
    _queue: queue,
    _transport: options.transport,
    _lock: store.lock?.(options.siteId) ?? { run: (fn) => fn() },
    _sdk: `trailmark/${__SDK_VERSION__}`,
    _maxBatchEvents: 500,
    _maxBatchBytes: options.maxBatchBytes ?? 256 * 1024,
    _maxUnloadBytes: Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES),
    _maxEventAgeMs: options.maxEventAge ?? 3 * 24 * 3600_000,
    _timeoutMs: options.requestTimeout ?? 10_000,
    _now: now,
    _random: options.random ?? Math.random,
    _onDrop: onDrop,
    _onError: onError,
  });
  const scheduler = createScheduler({
    _delivery: delivery,
    _queue: queue,
    _now: now,
    _flushInterval: interval,
    _batchSize: options.batchSize ?? 20,
    _batchBytes: options.batchBytes ?? MAX_BATCH_BYTES,
    _active: granted,
    _serialise: () => buffer._process(),
    _beforeSend: reportDrops,
    _onError: onError,
  });
  // Events an earlier page left in a persistent queue go out soon after start (`started`, when the tracker began).
  scheduler._arm((queue._shared ? 1000 : interval) - (now() - started));
  return { _queue: queue, _delivery: delivery, _scheduler: scheduler };
}
