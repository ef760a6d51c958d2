import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { APP_ENDPOINTS, buildNext } from './support/app-builds.mjs';
import { hydrated, pageErrors, type Row, settledPageviews } from './support/app-pageviews.js';
import { type AppServer, startApp, startForwarder } from './support/app-server.js';
import { PORTS, RECEIVER_URL } from './support/ports.js';
import { receiver } from './support/receiver-client.js';

// examples/next: a Next.js App Router app with Cache Components on (a static route, a dynamic one with an async
// generateMetadata, query-only navigations, a form, a custom event), built with `next build` and served by
// `next start` as a user deploys it, with the workspace's built trailmark and @trailmark/react. The oracle is
// what the reference receiver stored.

const dir = resolve(import.meta.dirname, '../examples/next');
const next = resolve(import.meta.dirname, '../node_modules/next/dist/bin/next');
const APP = `http://127.0.0.1:${PORTS.next}`;

let app: AppServer;
let forwarder: Awaited<ReturnType<typeof startForwarder>>;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // npm test builds it beside the unit tests (npm run build:apps); alone, this builds it when stale. The build sends
  // to a port of this spec's own, passed on to this worker's receiver.
  await buildNext();
  forwarder = await startForwarder(APP_ENDPOINTS.next, RECEIVER_URL);
  app = await startApp(process.execPath, [next, 'start', '--hostname', '127.0.0.1', '--port', String(PORTS.next)], dir, `${APP}/`);
});

test.afterAll(async () => {
  await app?.stop();
  await forwarder?.close();
});

test.beforeEach(async () => {
  await receiver.reset();
});

test('next build + next start: one pageview per navigation with its path, title and referrer; Back is pop', async ({ page }) => {
  const errors = pageErrors(page);
  await page.goto(`${APP}/`);
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await hydrated();
  await page.getByRole('link', { name: 'Pricing' }).click();
  await expect(page.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  await page.getByRole('button', { name: 'Start the pro plan' }).click();
  await page.getByRole('link', { name: 'Product 42' }).click();
  await expect(page.getByRole('heading', { name: 'Product 42' })).toBeVisible();
  await expect(page).toHaveTitle('Product 42 · Trailmark shop');
  await page.getByRole('link', { name: 'Search' }).click();
  await expect(page.getByRole('heading', { name: 'Results for shoes' })).toBeVisible();
  await page.getByRole('link', { name: 'Boots instead' }).click();
  await expect(page.getByRole('heading', { name: 'Results for boots' })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Results for shoes' })).toBeVisible();
  await page.getByRole('link', { name: 'Contact' }).click();
  await page.getByLabel('Email').fill('jane.doe@example.com');
  await page.getByLabel('Message').fill('call me on 555 0100');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByText('Thanks, we will write back.')).toBeVisible();

  const expected: Row[] = [
    ['/', 'load', 'Home · Trailmark shop', undefined],
    ['/pricing', 'push', 'Pricing · Trailmark shop', `${APP}/`],
    ['/product/42', 'push', 'Product 42 · Trailmark shop', `${APP}/pricing`],
    ['/search', 'push', 'Search · Trailmark shop', `${APP}/product/42`],
    ['/search', 'push', 'Search · Trailmark shop', `${APP}/search?q=shoes`],
    ['/search', 'pop', 'Search · Trailmark shop', `${APP}/search?q=boots`],
    ['/contact', 'push', 'Contact · Trailmark shop', `${APP}/search?q=shoes`],
  ];
  await expect.poll(async () => (await receiver.events({ type: 'form_submit' })).length).toBe(1);
  expect(await settledPageviews(page, expected.length)).toEqual(expected);
  const all = await receiver.events();
  const views = all.filter((e) => e.type === 'pageview');
  expect(views.map((e) => e.url.slice(APP.length))).toEqual([
    '/',
    '/pricing',
    '/product/42',
    '/search?q=shoes',
    '/search?q=boots',
    '/search?q=shoes',
    '/contact',
  ]);
  expect(all.filter((e) => e.type === 'signup').map((e) => [e.path, e.props])).toEqual([['/pricing', { plan: 'pro' }]]);
  const [submit] = all.filter((e) => e.type === 'form_submit');
  expect(submit!.path).toBe('/contact');
  expect(JSON.stringify(all)).not.toContain('jane.doe');
  expect(JSON.stringify(all)).not.toContain('555 0100');
  // Every event came from the one browser visit: none from the server render (it has no visitor, no browser).
  expect(new Set(all.map((e) => e.visitor_id))).toEqual(new Set([views[0]!.visitor_id]));
  expect(errors).toEqual([]);
});

test('the Pages Router: a pageview per navigation from asPath, with the title next/head sets, Back as pop', async ({ page }) => {
  const errors = pageErrors(page);
  await page.goto(`${APP}/legacy`);
  await expect(page.getByRole('heading', { name: 'Legacy home' })).toBeVisible();
  await hydrated();
  await page.getByRole('link', { name: 'About' }).click();
  await expect(page.getByRole('heading', { name: 'Legacy about' })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Legacy home' })).toBeVisible();
  const expected: Row[] = [
    ['/legacy', 'load', 'Legacy · Trailmark shop', undefined],
    ['/legacy/about', 'push', 'About · Trailmark shop', `${APP}/legacy`],
    ['/legacy', 'pop', 'Legacy · Trailmark shop', `${APP}/legacy/about?from=home`],
  ];
  expect(await settledPageviews(page, expected.length)).toEqual(expected);
  expect(errors).toEqual([]);
});

test('the server HTML of a dynamic route carries the page and no tracking call', async ({ request }) => {
  const html = await (await request.get(`${APP}/product/7`)).text();
  expect(html).toContain('Product 7');
  expect(html).not.toContain(APP_ENDPOINTS.next);
  expect(html).not.toContain(RECEIVER_URL);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await receiver.events()).toEqual([]);
});
