import type { Plugin } from '../plugin.js';
import { engagedClock } from './engaged.js';
import { scope } from './scope.js';

/** Options of `visibility()`. */
export interface VisibilityOptions {
  /** Send a `heartbeat` this often (ms) while the page is visible; off by default. */
  heartbeat?: number;
  /** The page's window (tests pass their own). */
  window?: Window;
  /** Monotonic clock, ms (default `performance.now`). */
  now?: () => number;
}

/**
 * Visibility and engaged time (visible *and* focused): `page_visibility` with `{ state: 'hidden' | 'visible',
 * engaged_ms }` on each change, and with `heartbeat`, a `heartbeat` with `{ engaged_ms }` every interval while the
 * page is visible (skipped when nothing was engaged since the last report). Each `engaged_ms` covers the time since
 * the previous report of either kind, so a backend sums them into the total time on site.
 */
export function visibility(options: VisibilityOptions = {}): Plugin {
  return {
    name: 'visibility',
    setup(tracker) {
      const win = options.window ?? window;
      const doc = win.document;
      const s = scope(tracker, 'visibility');
      const engaged = engagedClock(s, win, options.now ?? (() => win.performance.now()));
      const every = options.heartbeat;
      let state = doc.visibilityState;
      let timer: ReturnType<typeof setInterval> | undefined;

      const beat = s._wrap(() => {
        const ms = engaged();
        if (ms > 0) tracker.track('heartbeat', { engaged_ms: ms });
      });
      // Heartbeats only while visible: a hidden tab is neither engaged nor worth waking up.
      const arm = () => {
        clearInterval(timer);
        timer = every && state === 'visible' ? setInterval(beat, every) : undefined;
      };
      s._on(doc, 'visibilitychange', () => {
        if (doc.visibilityState === state) return;
        state = doc.visibilityState;
        tracker.track('page_visibility', { state, engaged_ms: engaged() });
        arm();
      });
      arm();
      s._add(() => clearInterval(timer));
      return s._stop;
    },
  };
}
