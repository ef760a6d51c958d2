import { whenIdle } from './idle.js';
import type { Queue } from './queue/queue.js';
import type { Reporter } from './report.js';
import type { PreparedEvent } from './serialise.js';

/** Options of `createBuffer()`. */
export interface BufferOptions {
  /** The queue, built when first asked for (the tracker builds it at the first serialisation, off start-up). */
  _queue: () => Queue;
  _window: Window;
  /** While consent is not granted, events wait here (memory only), at most this many: oldest first out. */
  _maxHeld: number;
  _granted: () => boolean;
  /** Events reached the queue (the scheduler's `_queued`). */
  _queued: () => void;
  _reporter: Reporter;
}

/**
 * Between `track()` and the queue: events tracked and not yet serialised (the work is deferred off `track()`), and
 * while consent is pending, held here in memory only.
 */
export interface Buffer {
  /**
   * Adds a tracked event (bounded while consent is not granted). True when no run is pending yet: then `_soon`
   * schedules one (which finds out whether consent allows it: asking here would load the stored state at `track()`).
   */
  _push(prepared: PreparedEvent): boolean;
  /** Has what is buffered serialised soon: in idle time, or with `atOnce` right after the current task (page hide). */
  _soon(atOnce?: () => void): void;
  /** Serialises up to `max` buffered events into the queue (one store write for them), then maybe sends. */
  _process(max?: number): void;
  /** Serialises everything and hands what storage may not finish writing to the store's synchronous spill. */
  _writeThrough(): void;
  /** Empties the buffer; returns how many events it held. */
  _clear(): number;
}

/** Creates the buffer in front of the queue. */
export function createBuffer(options: BufferOptions): Buffer {
  const { _queue: queue, _window: win, _granted: granted, _reporter: reporter } = options;
  let buffer: PreparedEvent[] = [];
  let pending = false;

  /**
   * In idle time where the browser has it (within a second), else after the current task (WebKit has no
   * requestIdleCallback): serialising, and the time zone the first serialisation resolves, stay off the page-load
   * path. At most 2,000 events a run, so a burst of thousands is no long task for the page.
   */
  const defer = () => whenIdle(win, () => reporter._guard(() => self._process(2000), 'track'));

  const self: Buffer = {
    _push(prepared) {
      // Only what waits for consent is bounded here (memory only); a burst that can be sent goes to the queue.
      if (buffer.push(prepared) > options._maxHeld && !granted()) {
        buffer.shift();
        reporter._drop('queue_full', 1);
      }
      return !pending;
    },
    _soon(atOnce) {
      pending = true;
      if (atOnce) queueMicrotask(() => reporter._guard(atOnce, 'unload'));
      else defer();
    },
    _process(max = buffer.length) {
      pending = false;
      if (granted() && buffer[0]) {
        const entries = [];
        for (const prepared of buffer.splice(0, max)) {
          const entry = prepared._entry();
          if (entry) entries.push(entry);
        }
        queue()._add(entries);
        options._queued();
        if (buffer[0]) {
          pending = true;
          defer();
        }
      }
    },
    _writeThrough() {
      self._process();
      queue()._spill();
    },
    _clear() {
      const held = buffer.length;
      buffer = [];
      return held;
    },
  };
  return self;
}
