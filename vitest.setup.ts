import { afterEach } from 'vitest';

// The build replaces these flags (rollup.config.mjs); under vitest they are globals.
Object.assign(globalThis, { __DEBUG_BUILD__: true, __SDK_VERSION__: '0.0.0-test' });

// Each test is a new page: the trackers a test left running (kept per site on the window, so a second
// createTracker on one page returns the first) do not answer the next test's createTracker.
afterEach(() => {
  if (typeof window === 'object') delete (window as { __trailmark?: unknown }).__trailmark;
});
