import type { Tracker } from './tracker-types.js';

const none = () => undefined;
const done = async () => undefined;

/**
 * The tracker returned where there is no browser (Node, server rendering, a worker without `window`): every method
 * exists, does nothing and never throws, so code shared by server and client needs no `typeof window` checks.
 */
export function noopTracker(siteId: string): Tracker {
  return {
    siteId,
    track: none,
    onEvent: () => none,
    reportError: none,
    flush: done,
    consent: none,
    identify: none,
    reset: none,
    register: none,
    unregister: none,
    dropped: () => ({}),
    use: () => none,
    shutdown: done,
    visitorId: '',
    sessionId: '',
  };
}

/** The live trackers of one page, by site id: kept on its window, so they outlive a re-imported module (hot reload). */
type Live = Record<string, Tracker | undefined>;

/** The trackers already running on `win`, by site id. */
export const liveTrackers = (win: Window): Live => ((win as unknown as { __trailmark?: Live }).__trailmark ??= {});
