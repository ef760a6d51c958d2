import type { DeviceContext } from '@trailmark/protocol';

/**
 * Device context, read once per tracker: it does not change within a page, and reading it per event
 * (time zone above all) would cost `track()` far more than the event itself.
 */
export function readDevice(win: Window): DeviceContext {
  const nav = win.navigator;
  let timezone: string | undefined;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // No Intl time zone data: the field is simply absent.
  }
  // Undefined fields vanish in JSON.stringify, so nothing here needs filtering.
  return {
    language: nav.language,
    timezone,
    screen_w: win.screen?.width,
    screen_h: win.screen?.height,
    viewport_w: win.innerWidth,
    viewport_h: win.innerHeight,
    dpr: win.devicePixelRatio,
    // Automation and headless browsers are flagged, not dropped: the server decides.
    bot: nav.webdriver ? 'webdriver' : /Headless|PhantomJS|Lighthouse/.test(nav.userAgent) ? 'headless' : undefined,
  } as DeviceContext;
}
