/**
 * Debug output. Every call site is guarded by `__DEBUG_BUILD__`, which the minified script-tag build
 * replaces with `false`, so its log strings never reach the `.min.js`.
 */
export function debugLog(enabled: boolean, ...args: unknown[]): void {
  if (__DEBUG_BUILD__ && enabled) console.debug('[trailmark]', ...args);
}
