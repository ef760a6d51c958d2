import type { Props } from '@trailmark/protocol';
import { type MetricType, onCLS, onFCP, onINP, onLCP, onTTFB, type ReportOpts } from 'web-vitals';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/**
 * A web-vitals observer such as `onLCP`. A metric it reports with a `target` (`vitalsAttribution()`) sends it along.
 */
export type VitalObserver = (report: (metric: MetricType & { target?: string }) => void, options?: ReportOpts) => void;

/** Options of `webVitals()`. */
export interface WebVitalsOptions {
  /** Report every change of a metric, not only its final value (default false). */
  reportAllChanges?: boolean;
  /** The observers to run (default `onLCP`, `onINP`, `onCLS`, `onFCP`, `onTTFB` from the bundled `web-vitals`). */
  observers?: VitalObserver[];
  /** The page's window (tests pass their own). */
  window?: Window;
}

/**
 * Core Web Vitals through the bundled `web-vitals` package: `web_vital` with `{ name, value, rating, delta, id,
 * navigation_type, bfcache? }`. A report repeating a metric id with an unchanged value is dropped; a changed one
 * (CLS growing, `reportAllChanges`) is sent again with its `delta`, so consumers keep the last value per `id`.
 * Metrics of the loaded document carry its landing URL, even when reported after SPA navigation.
 */
export function webVitals(options: WebVitalsOptions = {}): Plugin {
  return {
    name: 'webVitals',
    setup(tracker) {
      const win = options.window ?? window;
      const loc = win.location;
      const landing = { url: loc.href, path: loc.pathname };
      const s = scope(tracker, 'webVitals');
      const seen = new Map<string, number>();
      let live = true;
      const report = s._wrap((metric: MetricType & { target?: string }) => {
        if (!live || seen.get(metric.id) === metric.value) return;
        seen.set(metric.id, metric.value);
        // CLS is a small unitless score; the others are milliseconds, whose fractions are noise.
        const round = (value: number) => (metric.name === 'CLS' ? Math.round(value * 1e4) / 1e4 : Math.round(value));
        const props: Props = {
          name: metric.name,
          value: round(metric.value),
          rating: metric.rating,
          delta: round(metric.delta),
          id: metric.id,
          navigation_type: metric.navigationType,
        };
        if (metric.target) props.target = metric.target;
        const restored = metric.navigationType === 'back-forward-cache';
        if (restored) props.bfcache = true;
        // A bfcache restore measures the page as it is now, not as it was loaded.
        tracker.track('web_vital', props, restored ? undefined : landing);
      });
      const opts = options.reportAllChanges ? { reportAllChanges: true } : {};
      // The observers start in idle time, off the page-load path (starting web-vitals' five costs 3 ms of a fresh
      // page's load in Chromium): they observe with `buffered: true`, so what the page measured before still comes.
      // (Not the core's `whenIdle`: a plugin imports nothing of the core at run time.)
      const start = s._wrap(() => {
        for (const observe of options.observers ?? [onLCP, onINP, onCLS, onFCP, onTTFB]) observe(report, opts);
      });
      const idle = !!win.requestIdleCallback;
      const handle = idle ? win.requestIdleCallback(start, { timeout: 1000 }) : setTimeout(start);
      const stop = () => (idle ? win.cancelIdleCallback(handle as number) : clearTimeout(handle));
      // web-vitals offers no way to stop observing: its callbacks stay, inert.
      return () => {
        live = false;
        stop();
      };
    },
  };
}
