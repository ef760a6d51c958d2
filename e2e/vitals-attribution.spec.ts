import { expect, test } from '@playwright/test';
import { control, events, openCore } from './support/recorder-client.js';

test.beforeEach(async () => {
  await control({ reset: true, script: [], delayMs: 0 });
});

/** A click the page takes 150 ms to handle: an interaction long enough for web-vitals to report INP. */
const slowClick = async (page: import('@playwright/test').Page) => {
  await page.evaluate(() =>
    document.querySelector('h1')!.addEventListener('click', () => {
      const end = performance.now() + 150;
      while (performance.now() < end);
    }),
  );
  await page.click('h1');
  // The Event Timing entry INP is made from arrives after the next paint: leaving at once would lose it.
  await page.waitForTimeout(500);
};

const vitals = async () => (await events()).filter((e) => e.type === 'web_vital');

test('with vitalsAttribution(), LCP names its element and INP the interaction target', async ({ page }) => {
  await openCore(page, '?queue=memory&vitals=attribution');
  await slowClick(page); // an interaction: INP has a target, and LCP is final from here on
  await page.goto('/pages/blank.html');
  await expect.poll(async () => (await vitals()).map((e) => e.props?.name)).toEqual(expect.arrayContaining(['LCP', 'INP', 'FCP']));
  const byName = Object.fromEntries((await vitals()).map((e) => [e.props?.name, e.props]));
  expect(byName.LCP!.target).toMatch(/h1/);
  expect(byName.INP!.target).toMatch(/h1/);
  expect(byName.FCP!.target).toBeUndefined();
});

test('without it, no vital carries a target', async ({ page }) => {
  await openCore(page, '?queue=memory&vitals');
  await slowClick(page);
  await page.goto('/pages/blank.html');
  await expect.poll(async () => (await vitals()).map((e) => e.props?.name)).toEqual(expect.arrayContaining(['LCP', 'FCP', 'CLS']));
  expect((await vitals()).filter((e) => e.props?.target !== undefined)).toEqual([]);
});
