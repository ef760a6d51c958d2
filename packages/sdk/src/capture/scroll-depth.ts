import type { PageContext } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/** Options of `scrollDepth()`. */
export interface ScrollDepthOptions {
  /** Percentages reported once each per page view (default 25, 50, 75, 100). */
  milestones?: number[];
  /** The page's window (tests pass their own). */
  window?: Window;
  /** Frame scheduling (default `requestAnimationFrame`/`cancelAnimationFrame`). */
  raf?: (callback: () => void) => number;
  caf?: (id: number) => void;
}

/**
 * Scroll depth: the share of the page seen so far (viewport bottom over page height; a page shorter than the
 * viewport is 100 %). `scroll_depth` with `{ milestone }` as each milestone is first passed, and `{ max_depth }`
 * with the deepest point when the page is left (a `page_leave`, `pagehide`, or the page
 * turning hidden; only when it grew since the last report). Both start over at each `pageview`.
 */
export function scrollDepth(options: ScrollDepthOptions = {}): Plugin {
  return {
    name: 'scrollDepth',
    setup(tracker) {
      const win = options.window ?? window;
      const doc = win.document;
      const raf = options.raf ?? ((callback) => win.requestAnimationFrame(callback));
      const caf = options.caf ?? ((id) => win.cancelAnimationFrame(id));
      const milestones = options.milestones ?? [25, 50, 75, 100];
      const s = scope(tracker, 'scrollDepth');
      let max = 0;
      let reported = 0;
      let pending = false;
      let frame = 0;

      const measure = s._wrap(() => {
        pending = false;
        const height = Math.max(doc.documentElement.scrollHeight, doc.body?.scrollHeight ?? 0);
        const seen = win.scrollY + win.innerHeight;
        const depth = height <= win.innerHeight ? 100 : Math.min(100, Math.round((seen / height) * 100));
        if (depth <= max) return;
        // `max` only grows within a page view, so each milestone is crossed (and sent) once.
        for (const milestone of milestones) if (milestone > max && milestone <= depth) tracker.track('scroll_depth', { milestone });
        max = depth;
      });
      // One measurement per frame however many scroll events arrive: layout is read at most once a frame.
      const schedule = s._wrap(() => {
        if (pending) return;
        pending = true;
        frame = raf(measure);
      });
      const report = (context?: Partial<PageContext>) => {
        if (max <= reported) return;
        reported = max;
        tracker.track('scroll_depth', { max_depth: max }, context);
      };

      s._on(win, 'scroll', schedule, { passive: true });
      s._on(win, 'pagehide', () => report());
      s._on(doc, 'visibilitychange', () => doc.visibilityState === 'hidden' && report());
      s._add(
        tracker.onEvent(
          s._wrap((event) => {
            if (event.type === 'pageview') {
              max = reported = 0;
              // A new page: measured at the next frame, once the router has rendered it.
              schedule();
            } else if (event.type === 'page_leave') report({ url: event.url, path: event.path });
          }),
        ),
      );
      s._add(() => {
        if (pending) caf(frame);
      });
      // A prerendered page has not been seen: it is measured once the user activates it.
      // A prerendered page has not been seen: it is measured once the user activates it.
      if ((doc as { prerendering?: boolean }).prerendering) s._on(doc, 'prerenderingchange', schedule, { once: true });
      else schedule();
      return s._stop;
    },
  };
}
