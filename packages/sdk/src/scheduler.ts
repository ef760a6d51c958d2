import type { Delivery } from './delivery.js';
import type { Queue } from './queue/queue.js';

/** Options of `createScheduler()`. */
export interface SchedulerOptions {
  _delivery: Delivery;
  _queue: Queue;
  _now: () => number;
  /** Send this long (ms) after an event arrives, at the latest. */
  _flushInterval: number;
  /** Send at once when this many events, or this many bytes, wait. */
  _batchSize: number;
  _batchBytes: number;
  /** False while consent is not granted: nothing is sent (a timer armed meanwhile finds it so and stops). */
  _active: () => boolean;
  /** Moves the events tracked so far into the queue (the tracker's deferred serialisation). */
  _serialise: () => void;
  /** Runs before each send (the tracker's `sdk_dropped` report). */
  _beforeSend: () => void;
  _onError: (error: unknown, where: string) => void;
}

/** When events leave: a timer while the page is visible, at once when it hides. */
export interface Scheduler {
  /** Sets the timer to send in `delay` ms (or when the backoff ends), unless it is due sooner already. */
  _arm(delay: number): void;
  _disarm(): void;
  /** Sends what is queued now; `force` ignores the backoff. Re-arms while something is left. */
  _tick(force?: boolean): Promise<void>;
  /** Events were queued: send soon, or at once when a batch is full. */
  _queued(): void;
  /** The page hides or unloads: everything leaves now through keepalive fetch or sendBeacon. */
  _hide(): void;
  /**
   * `pagehide`. A page still visible then turns hidden in the same task (the HTML standard's "unload a document":
   * pagehide, then visibilitychange), and the capture plugins' last events (web vitals, time visible) come at that
   * visibilitychange: the unload batch waits for it, so they all leave in one request. Events tracked meanwhile are
   * written through at once (`_queued`), and a timer sends them should no visibilitychange follow.
   */
  _pagehide(visible: boolean): void;
  /** The page shows again. */
  _show(): void;
  /** Between a hide and the next show: events tracked now leave at once. */
  readonly _hiding: boolean;
  /**
   * Between pagehide and pageshow: only then does an event go by the unload path, which skips the flush lock. A tab
   * merely hidden lives on, and sends under the lock like any other, at once. Unloading and not yet hiding: between
   * `pagehide` and the visibilitychange it waits for.
   */
  readonly _unloading: boolean;
}

/** Creates the scheduler between the queue and the delivery loop. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { _delivery: delivery, _queue: queue, _now: now, _flushInterval: interval, _active: active } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due = 0;
  let hiding = false;
  let unloading = false;
  let leaving: ReturnType<typeof setTimeout> | undefined;

  const scheduler: Scheduler = {
    _arm(delay) {
      const at = Math.max(now() + delay, delivery._notBefore);
      // Consent is asked at the tick, not here: asking loads the stored state, which start-up does not pay for.
      if (!(timer && due <= at)) {
        clearTimeout(timer);
        due = at;
        timer = setTimeout(scheduler._tick, at - now());
      }
    },
    _disarm() {
      clearTimeout(timer);
      timer = undefined;
    },
    async _tick(force) {
      scheduler._disarm();
      if (!active()) return;
      options._beforeSend();
      if (!(await delivery._flush(force)) || queue._waiting) scheduler._arm(interval);
    },
    _queued() {
      scheduler._arm(!hiding && queue._waiting < options._batchSize && queue._bytes < options._batchBytes ? interval : 0);
    },
    _hide() {
      clearTimeout(leaving);
      hiding = true;
      options._serialise();
      if (active()) {
        // If the page lives on (a hidden tab) and a send failed, the timer takes the rest when the backoff ends.
        delivery._flushUnloading().then(
          (done) => done || scheduler._arm(interval),
          (error: unknown) => options._onError(error, 'flush'),
        );
        queue._spill();
      }
    },
    _pagehide(visible) {
      unloading = true;
      if (!visible || hiding) return scheduler._hide();
      leaving = setTimeout(scheduler._hide);
    },
    _show() {
      hiding = unloading = false;
    },
    get _hiding() {
      return hiding;
    },
    get _unloading() {
      return unloading;
    },
  };
  return scheduler;
}
