// The reference receiver's live page (packages/receiver/public), as a demo user sees it after a visit from a
// newsletter link: the source and campaign, the chart's counts, and the feed without the noisy types.
import { expect, test } from '@playwright/test';
import { waitForTracker } from './support/page-api.js';
import { RECEIVER_URL, SITE_URL } from './support/ports.js';
import { receiver } from './support/receiver-client.js';

test.beforeEach(async () => {
  await receiver.reset();
});

test('shows a newsletter visit as a source and its UTM campaign, the chart with counts, and a feed that hides chosen types', async ({
  page,
  context,
}) => {
  const site = await context.newPage();
  await site.goto(`${SITE_URL}/?utm_source=newsletter&utm_campaign=spring`);
  await waitForTracker(site);
  await site.evaluate(async () => {
    window.scrollTo(0, document.body.scrollHeight);
    // The scroll-depth plugin measures in an animation frame after the scroll event: closing the tab before that
    // frame (a loaded machine) left nothing to send. Two frames later the depth is measured and queued.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
  await site.close();
  await expect
    .poll(async () => (await receiver.events()).map((event) => event.type))
    .toEqual(expect.arrayContaining(['pageview', 'scroll_depth']));

  await page.goto(`${RECEIVER_URL}/`);
  await expect(page.locator('#sources')).toContainText('newsletter · email');
  await expect(page.locator('#campaigns')).toContainText('spring');
  // The y-axis: counts from 0 to a round top at or above the busiest hour (1 pageview: 0, 1, 2).
  await expect(page.locator('#chart text.y')).toHaveText(['0', '1', '2']);

  const feedTypes = () => page.locator('#feed .type').allTextContents();
  await expect.poll(feedTypes).toContain('scroll_depth');
  await page.getByRole('checkbox', { name: 'scroll_depth' }).uncheck();
  await expect.poll(feedTypes).not.toContain('scroll_depth');
  expect(await feedTypes()).toContain('pageview');
  // The choice outlives a reload.
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'scroll_depth' })).not.toBeChecked();
  await expect.poll(feedTypes).toContain('pageview');
  expect(await feedTypes()).not.toContain('scroll_depth');

  // On a phone the chart is drawn at its own width, its labels unstretched: one SVG unit is one pixel each way.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.locator('#chart text.y')).toHaveText(['0', '1', '2']);
  const scale = await page.locator('#chart svg').evaluate((svg) => {
    const box = (svg as SVGSVGElement).viewBox.baseVal;
    const { width, height } = svg.getBoundingClientRect();
    return { x: width / box.width, y: height / box.height, stretch: svg.getAttribute('preserveAspectRatio') };
  });
  expect(scale.stretch).toBeNull();
  expect(scale.x).toBeCloseTo(1, 1);
  expect(scale.y).toBeCloseTo(1, 1);
});
