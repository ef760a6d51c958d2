// Firefox (Debian's firefox-esr, or FIREFOX_PATH) through puppeteer-core over WebDriver BiDi, which stock Firefox
// speaks: no geckodriver, and Playwright's own Firefox build is a patched one that cannot be installed here.
import { existsSync } from 'node:fs';
import type { Engine, EnginePage } from './driver.js';

const firefoxPath = () => process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

type PuppeteerPage = import('puppeteer-core').Page;

const wrap = (page: PuppeteerPage): EnginePage => ({
  goto: async (url) => {
    await page.goto(url, { waitUntil: 'load' });
  },
  evaluate: (fn, arg) => page.evaluate(fn as (arg: unknown) => unknown, arg) as never,
  click: (selector) => page.click(selector),
  type: (selector, text) => page.type(selector, text),
  reload: async () => {
    await page.reload({ waitUntil: 'load' });
  },
  close: () => page.close({ runBeforeUnload: true }),
});

export const firefox: Engine = {
  name: 'firefox',
  missing: () =>
    existsSync(firefoxPath()) ? undefined : `no Firefox at ${firefoxPath()} (apt-get install firefox-esr, or set FIREFOX_PATH)`,
  async launch() {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath(), headless: true });
    return {
      version: `Firefox ${(await browser.version()).replace(/^firefox\//, '')}`,
      async newSession() {
        const context = await browser.createBrowserContext();
        const pages: PuppeteerPage[] = [];
        return {
          async newPage() {
            const page = await context.newPage();
            pages.push(page);
            return wrap(page);
          },
          setOffline: async (offline) => {
            for (const page of pages) if (!page.isClosed()) await page.setOfflineMode(offline);
          },
          close: () => context.close(),
        };
      },
      close: () => browser.close(),
    };
  },
};
