/**
 * `trailmark/vitals-attribution`: the web-vitals attribution observers, an entry of their own. The attribution build
 * starts a PerformanceObserver when it is imported, so it must not sit behind the main entry, where every bundle
 * importing `trailmark` would carry (and run) it.
 */
export { vitalsAttribution } from './capture/web-vitals-attribution.js';
