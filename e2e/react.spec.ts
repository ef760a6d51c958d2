import { expect, test } from '@playwright/test';
import { control, events } from './support/recorder-client.js';

// examples/react-router, built by `npm run build` and served by the recorder under /react/: the app renders in
// StrictMode (two renders, effects run twice), with @trailmark/react's provider and usePageviews(useLocation()).

test.beforeEach(async () => {
  await control({ reset: true, script: [], delayMs: 0 });
});

test('a React Router app in StrictMode counts each route once, with the previous route as referrer', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto('/react/');
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await page.getByRole('link', { name: 'Pricing' }).click();
  await expect(page.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  await page.getByRole('link', { name: 'Docs' }).click();
  await expect(page.getByRole('heading', { name: 'Docs: install' })).toBeVisible();
  const pageviews = async () => (await events()).filter((e) => e.type === 'pageview').map((e) => [e.path, e.props?.navigation]);
  await expect.poll(pageviews).toHaveLength(3);
  // Let a double count (a second tracker, a second effect) arrive before asserting there is none.
  await page.waitForTimeout(800);
  expect(await pageviews()).toEqual([
    ['/react/', 'load'],
    ['/react/pricing', 'push'],
    ['/react/docs/install', 'push'],
  ]);
  const all = (await events()).filter((e) => e.type === 'pageview');
  expect(all[1]!.referrer).toMatch(/\/react\/$/);
  // urlRules() in the example's options strips the click id the link carries; the other parameter stays.
  expect(all[1]!.url).toMatch(/\/react\/pricing\?ref=nav$/);
  expect(all[2]!.referrer).toMatch(/\/react\/pricing\?ref=nav$/);
  expect(new Set(all.map((e) => e.visitor_id)).size).toBe(1);
  expect(errors).toEqual([]);
});

test('useTracker() in a component tracks its event once, with the clicks plugin of the provider running once', async ({ page }) => {
  await page.goto('/react/pricing');
  await page.getByRole('button', { name: 'Start the pro plan' }).click();
  await expect.poll(async () => (await events()).filter((e) => e.type === 'signup').map((e) => e.props)).toEqual([{ plan: 'pro' }]);
  await page.waitForTimeout(800);
  const all = await events();
  expect(all.filter((e) => e.type === 'signup')).toHaveLength(1);
  expect(all.filter((e) => e.type === 'click' && e.props?.tag === 'button')).toHaveLength(1);
  expect(all.filter((e) => e.type === 'pageview')).toHaveLength(1);
});
