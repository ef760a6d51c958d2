// Chromium through Playwright (Debian's build, or Playwright's own where a user installed one).
import { existsSync } from 'node:fs';
import { type Page, chromium as playwrightChromium } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import type { Engine, EnginePage } from './driver.js';

const wrap = (page: Page): EnginePage => ({
  goto: async (url) => {
    await page.goto(url);
  },
  evaluate: (fn, arg) => page.evaluate(fn as (arg: unknown) => unknown, arg) as never,
  click: (selector) => page.click(selector),
  type: (selector, text) => page.fill(selector, text),
  reload: async () => {
    await page.reload();
  },
  close: () => page.close({ runBeforeUnload: true }),
});

export const chromium: Engine = {
  name: 'chromium',
  missing: () =>
    chromiumPath() || existsSync(playwrightChromium.executablePath())
      ? undefined
      : 'no Chromium (apt-get install chromium, or set CHROMIUM_PATH)',
  async launch() {
    const path = chromiumPath();
    const browser = await playwrightChromium.launch({ ...(path ? { executablePath: path } : {}), args: CHROMIUM_ARGS });
    return {
      version: `Chromium ${browser.version()}`,
      async newSession() {
        const context = await browser.newContext();
        return {
          newPage: async () => wrap(await context.newPage()),
          setOffline: (offline) => context.setOffline(offline),
          close: () => context.close(),
        };
      },
      close: () => browser.close(),
    };
  },
};
