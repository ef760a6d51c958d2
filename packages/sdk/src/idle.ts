/**
 * Runs `run` in idle time where the browser has it (within `timeout` ms), else after the current task (WebKit has no
 * `requestIdleCallback`); returns a function that cancels it. What waits here stays off the page-load path.
 */
export function whenIdle(win: Window, run: () => void, timeout = 1000): () => void {
  if (win.requestIdleCallback) {
    const handle = win.requestIdleCallback(run, { timeout });
    return () => win.cancelIdleCallback(handle);
  }
  const handle = setTimeout(run);
  return () => clearTimeout(handle);
}
