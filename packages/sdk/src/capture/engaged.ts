import type { Scope } from './scope.js';

/**
 * Engaged time: milliseconds the page was visible *and* focused. Returns `take()`, which reports the time
 * since the previous `take()` (or since setup) and starts counting afresh, so successive reports add up.
 * Listeners live in `s` and go with it.
 */
export function engagedClock(s: Scope, win: Window, now: () => number): () => number {
  const doc = win.document;
  let total = 0;
  /** Start of the current engaged stretch, or -1 while not engaged. */
  let since = -1;
  // Reads the state at call time, so it is right whether it runs before or after another listener of the same event.
  // A page going into the bfcache may still say `visible` at pagehide: it stops counting there regardless.
  const update = (event?: Event) => {
    const t = now();
    if (since >= 0) total += t - since;
    since = event?.type !== 'pagehide' && doc.visibilityState === 'visible' && doc.hasFocus() ? t : -1;
  };
  for (const type of ['focus', 'blur', 'pagehide', 'pageshow']) s._on(win, type, update);
  s._on(doc, 'visibilitychange', update);
  update();
  return () => {
    update();
    const ms = Math.round(total);
    total = 0;
    return ms;
  };
}
