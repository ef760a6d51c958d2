import { type MetricWithAttribution, onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals/attribution';
import type { VitalObserver } from './web-vitals.js';

/** What a metric of the attribution build names as its cause: a CSS selector of the element, when it has one. */
function targetOf({ attribution: a }: MetricWithAttribution): string | undefined {
  return 'target' in a
    ? a.target
    : 'interactionTarget' in a
      ? a.interactionTarget
      : 'largestShiftTarget' in a
        ? a.largestShiftTarget
        : undefined;
}

/**
 * The observers of the `web-vitals/attribution` build, for `webVitals({ observers: vitalsAttribution() })`: each
 * `web_vital` then also carries `target`, the element that caused it — the LCP element, the INP interaction's target,
 * the CLS largest shift's source (a CSS selector, at most 256 characters). A separate import: the attribution build
 * (about 1.5 KB more) enters only the bundles that import this.
 */
export function vitalsAttribution(): VitalObserver[] {
  return [onLCP, onINP, onCLS, onFCP, onTTFB].map(
    (observe) => (report, options) =>
      observe((metric) => {
        const target = targetOf(metric as MetricWithAttribution);
        report(target ? { ...metric, target: target.slice(0, 256) } : metric);
      }, options),
  );
}
