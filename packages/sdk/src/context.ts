import type { DeviceContext } from '@trailmark/protocol';

/**
 * Device context, read once per tracker: it does not change within a page. The time zone is not here: the first
 * `Intl.DateTimeFormat()` of a page costs 30–53 ms in Chromium (the second 0.2 ms), so it is resolved off the page-load
 * path (see `timeZone`) and added to each event as it is serialised.
 */
export function readDevice(win: Window): DeviceContext {
  const nav = win.navigator;
  // Undefined fields vanish in JSON.stringify, so nothing here needs filtering.
  return {
    language: nav.language,
    screen_w: win.screen?.width,
    screen_h: win.screen?.height,
    viewport_w: win.innerWidth,
    viewport_h: win.innerHeight,
    dpr: win.devicePixelRatio,
    // Automation and headless browsers are flagged, not dropped: the server decides.
    bot: nav.webdriver ? 'webdriver' : /Headless|PhantomJS|Lighthouse/.test(nav.userAgent) ? 'headless' : undefined,
  } as DeviceContext;
}

/** The IANA time zone, or `undefined` without Intl time zone data (the field is then absent). Costly the first time. */
export function timeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // No Intl time zone data: the field is simply absent.
  }
}
