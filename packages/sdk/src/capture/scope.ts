import type { TrackerApi } from '../plugin.js';

/** What one plugin's setup holds on to: guarded listeners and the teardowns that undo them. */
export interface Scope {
  /** Wraps `fn` so that an error in it is reported to the tracker, never thrown into the host page. */
  _wrap<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  /** Adds a guarded listener, removed by `stop()`. */
  _on<E extends Event>(target: EventTarget, type: string, fn: (event: E) => void, options?: AddEventListenerOptions | boolean): void;
  /** Registers a teardown to run on `stop()`. */
  _add(teardown: () => void): void;
  /** Runs every teardown (the plugin's own teardown). */
  _stop(): void;
}

/**
 * The tracker as the script tag's second file gives it to a plugin (script-tag-later.ts): `_early` hands a listener
 * just added at `target` the events of its `type` the page fired there before the plugin started.
 */
export type Replaying = TrackerApi & { _early?: (target: EventTarget, type: string, listener: EventListener) => void };

/** Creates the scope of one plugin setup; errors are reported under `where`. */
export function scope(tracker: Replaying, where: string): Scope {
  const teardowns: Array<() => void> = [];
  const wrap =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        tracker.reportError(error, where);
      }
    };
  return {
    _wrap: wrap,
    _on(target, type, fn, options) {
      const handler = wrap(fn) as EventListener;
      target.addEventListener(type, handler, options);
      teardowns.push(() => target.removeEventListener(type, handler, options));
      tracker._early?.(target, type, handler);
    },
    _add: (teardown) => {
      teardowns.push(teardown);
    },
    _stop: () => {
      for (const teardown of teardowns.splice(0)) teardown();
    },
  };
}
