/**
 * Runs `run` in idle time where the browser has it (within a second), else after the current task (WebKit has no
 * `requestIdleCallback`). What waits here stays off the page-load path.
 */
export function whenIdle(win: Window, run: () => void): void {
  if (win.requestIdleCallback) win.requestIdleCallback(run, { timeout: 1000 });
  else setTimeout(run);
}
